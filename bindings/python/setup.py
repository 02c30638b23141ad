"""Builds libnick_tracker from the Rust crate with cargo and ships it inside the package.

The metadata is in pyproject.toml; this file adds what a declarative setup cannot say:

- where the crate is: the repository root (../../Cargo.toml) in a checkout, or the copy under
  rust/ that `sdist` puts into the source distribution, so an sdist builds on its own;
- the version, read from the crate's Cargo.toml (one number to bump), also written to
  nick_tracker/_version.py in the build for `nick_tracker.__version__`;
- the library's name in the package: the platform's own (libnick_tracker.so,
  libnick_tracker.dylib, nick_tracker.dll), which the package's loader looks for first, instead
  of setuptools' CPython extension-module name: the library is loaded with ctypes, not imported;
- the wheel tag py3-none-<platform>: the library does not depend on the CPython ABI, so one
  wheel serves every Python 3 on a platform (auditwheel can then retag it manylinux);
- the repository's LICENSE-* files, copied next to this file when they exist so setuptools
  ships them in the sdist and the wheel.
"""

import os
import shutil
import sys
from pathlib import Path

from packaging.version import Version
from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools_rust import Binding, RustExtension, build_rust

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
CHECKOUT_ROOT = HERE.parent.parent  # bindings/python -> the repository, in a checkout

# Where `sdist` copies the crate, relative to this directory, and what it copies: what cargo
# needs to build the library. cargo refuses a manifest whose declared targets are missing, so
# the benchmarks' sources come too (not built).
CRATE_COPY = "rust"
CRATE_FILES = [
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "cbindgen.toml",
    "src",
    "include",
    "benches/tracker",
    "benches/trace/replay.rs",
]
LICENSE_FILES = ["LICENSE-MIT", "LICENSE-APACHE"]


def crate_dir() -> Path:
    """The crate to build: an unpacked sdist's copy (an sdist has PKG-INFO at its root), else
    the checkout's root."""
    crate = HERE / CRATE_COPY if (HERE / "PKG-INFO").is_file() else CHECKOUT_ROOT
    if not (crate / "Cargo.toml").is_file() or not (crate / "src" / "lib.rs").is_file():
        raise SystemExit(
            f"nick-tracker: no Rust crate at {crate}: build from a checkout of the repository "
            "or from an sdist made by `python -m build --sdist bindings/python`"
        )
    return crate


CRATE = crate_dir()


def crate_version() -> str:
    """The crate's version as a normalised PEP 440 version ("0.3.0-rc.1" -> "0.3.0rc1")."""
    with open(CRATE / "Cargo.toml", "rb") as manifest:
        return str(Version(tomllib.load(manifest)["package"]["version"]))


VERSION = crate_version()


def native_library_name(plat_name: str) -> str:
    """The file name cargo gives a cdylib named nick_tracker on the target platform."""
    if plat_name.startswith(("win", "mingw")):
        return "nick_tracker.dll"
    if plat_name.startswith(("macosx", "darwin", "ios")):
        return "libnick_tracker.dylib"
    return "libnick_tracker.so"


def copy_licenses() -> None:
    """Copies the repository's licence files here, where setuptools' default license-files
    patterns (LICEN[CS]E*) find them. An sdist has them here already."""
    if CRATE != CHECKOUT_ROOT:
        return
    for name in LICENSE_FILES:
        source = CHECKOUT_ROOT / name
        target = HERE / name
        if not source.is_file():
            continue
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)


class BuildRustNativeName(build_rust):
    """Gives the library its platform's own name inside the package, next to __init__.py."""

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        path = super().get_dylib_ext_path(ext, target_fname)
        return os.path.join(os.path.dirname(path), native_library_name(self.plat_name))


class BuildPyWithVersion(build_py):
    """Writes nick_tracker/_version.py into the build (never into the source tree)."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "nick_tracker" / "_version.py"
        target.write_text(
            '"""Written by setup.py from the crate\'s Cargo.toml when the package was built."""\n'
            f'\n__version__ = "{VERSION}"\n'
        )


class BdistWheelAnyPython3(bdist_wheel):
    """Tags the wheel py3-none-<platform>: it holds a library loaded with ctypes, which works
    with any Python 3, not a CPython extension module (cp311-cp311-<platform>)."""

    def get_tag(self) -> tuple:
        _python, _abi, platform = super().get_tag()
        return "py3", "none", platform


class SdistWithCrate(sdist):
    """Puts a copy of the crate under rust/, so the sdist builds the library on its own."""

    def make_release_tree(self, base_dir: str, files: list) -> None:
        super().make_release_tree(base_dir, files)
        # From a checkout, or from an unpacked sdist's own copy.
        ignore = shutil.ignore_patterns("target", "__pycache__", "*.pyc", ".*")
        for name in CRATE_FILES:
            source = CRATE / name
            target = Path(base_dir) / CRATE_COPY / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


copy_licenses()

setup(
    version=VERSION,
    rust_extensions=[
        RustExtension(
            # Only the directory matters: BuildRustNativeName picks the file name.
            "nick_tracker.libnick_tracker",
            path=os.path.relpath(CRATE / "Cargo.toml", HERE),
            binding=Binding.NoBinding,
            # The dependency versions in Cargo.lock, as every other build of the library uses.
            args=["--locked"],
        )
    ],
    cmdclass={
        "build_rust": BuildRustNativeName,
        "build_py": BuildPyWithVersion,
        "bdist_wheel": BdistWheelAnyPython3,
        "sdist": SdistWithCrate,
    },
    # A shared library cannot be loaded from inside a zip file.
    zip_safe=False,
)
