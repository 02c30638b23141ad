"""nick_tracker.__version__ is the Rust crate's version, the one number bumped for a release."""

import importlib.util
import re
from pathlib import Path

import pytest
from packaging.version import Version

import nick_tracker

CARGO_TOML = Path(__file__).resolve().parents[3] / "Cargo.toml"


def crate_version() -> str:
    """[package] version from the repository's Cargo.toml."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11: [package] comes first, so its version line does too
        match = re.search(r'^version\s*=\s*"([^"]+)"', CARGO_TOML.read_text(), re.MULTILINE)
        assert match, f"no version in {CARGO_TOML}"
        return match.group(1)
    with open(CARGO_TOML, "rb") as manifest:
        return tomllib.load(manifest)["package"]["version"]


def test_version_is_the_crates():
    # PEP 440 spells a Cargo pre-release differently ("0.3.0-rc.1" is "0.3.0rc1").
    assert Version(nick_tracker.__version__) == Version(crate_version())


def test_version_of_a_built_package_is_its_metadata():
    if importlib.util.find_spec("nick_tracker._version") is None:
        pytest.skip("the source tree, not a built package: no metadata of its own")
    from importlib.metadata import version

    assert nick_tracker.__version__ == version("nick-tracker")
