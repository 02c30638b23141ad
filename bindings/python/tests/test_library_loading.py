"""How `import nick_tracker` finds the shared library, and how it fails.

The order: $NICK_TRACKER_LIBRARY alone if set; else the library inside the package (where pip
puts the one it builds), under cargo's name for the platform first; else the system loader.
The cases that load a library import the package in a fresh interpreter, since a process loads
the library only once, from a copy of the package's Python files, so they hold whether the
tests run against the source tree or an installed wheel (which has a library inside). The name
chosen for each platform is checked without loading anything: there is no macOS or Windows
here.
"""

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nick_tracker
from nick_tracker import _lib
from nick_tracker._lib import ENV_VAR, library_names

PACKAGE_DIR = Path(nick_tracker.__file__).resolve().parent
REPORT = "import nick_tracker; print(nick_tracker.library_path)"
NATIVE = library_names(sys.platform)


def package_copy(directory, *, bundled=None):
    """A copy of the package's Python files in `directory`/nick_tracker, without any library
    the original holds, and with a copy of `bundled` under cargo's name if given. Returns the
    directory to import it from."""
    package = directory / "nick_tracker"
    package.mkdir(parents=True)
    for source in PACKAGE_DIR.iterdir():
        if source.suffix in (".py", ".typed"):
            shutil.copy(source, package / source.name)
    if bundled is not None:
        shutil.copy(bundled, package / NATIVE.bundled)
    return directory


def run_python(code, python_path, *, library=None, extra_env=None):
    """Runs `code` in a fresh interpreter with NICK_TRACKER_LIBRARY set to `library` (unset
    if None) and nick_tracker imported from `python_path` (also the working directory, which
    `python -c` puts first on sys.path)."""
    env = {key: value for key, value in os.environ.items() if key != ENV_VAR}
    if library is not None:
        env[ENV_VAR] = str(library)
    env["PYTHONPATH"] = str(python_path)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=python_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def build_fake_library(directory, version):
    """A shared library whose nt_version() says `version` and that has nothing else."""
    source = directory / "fake.c"
    source.write_text(f'const char *nt_version(void) {{ return "{version}"; }}\n')
    library = directory / "libfake.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", library, source], check=True)
    return library


def test_the_library_loaded_is_the_first_candidate_that_exists():
    """With NICK_TRACKER_LIBRARY set (the source tree's test run) that file; unset, for an
    installed wheel, the library inside the package."""
    first = next(path for _, path in _lib._candidates() if path is not None)
    assert nick_tracker.library_path == first


def test_env_var_selects_the_library(tmp_path):
    result = run_python(REPORT, package_copy(tmp_path), library=nick_tracker.library_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == nick_tracker.library_path


def test_env_var_wins_over_the_bundled_library(tmp_path):
    chosen = tmp_path / "elsewhere" / NATIVE.bundled
    chosen.parent.mkdir()
    shutil.copy(nick_tracker.library_path, chosen)
    python_path = package_copy(tmp_path / "site", bundled=nick_tracker.library_path)
    result = run_python(REPORT, python_path, library=chosen)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(chosen)


def test_env_var_with_a_bad_path_fails_clearly_without_trying_elsewhere(tmp_path):
    missing = tmp_path / "no-such" / "libnick_tracker.so"
    python_path = package_copy(tmp_path / "site", bundled=nick_tracker.library_path)
    result = run_python(REPORT, python_path, library=missing)
    assert result.returncode != 0
    assert "ImportError: nick_tracker cannot load libnick_tracker. Tried:" in result.stderr
    assert f"NICK_TRACKER_LIBRARY: {missing}" in result.stderr
    assert "next to the package" not in result.stderr
    assert "system loader" not in result.stderr


def test_library_of_another_major_version_is_refused(tmp_path):
    fake = build_fake_library(tmp_path, "1.0.0")
    result = run_python(REPORT, package_copy(tmp_path / "site"), library=fake)
    assert result.returncode != 0
    assert f"ImportError: {fake} is nick-tracker 1.0.0, but this package needs 0.x" in result.stderr


def test_library_missing_a_function_is_refused(tmp_path):
    fake = build_fake_library(tmp_path, "0.0.1")
    result = run_python(REPORT, package_copy(tmp_path / "site"), library=fake)
    assert result.returncode != 0
    assert f"ImportError: {fake} lacks nt_status_str, so it is not a usable" in result.stderr


def test_library_that_is_not_nick_tracker_is_refused(tmp_path):
    result = run_python(REPORT, package_copy(tmp_path), library=ctypes.util.find_library("c"))
    assert result.returncode != 0
    assert "lacks nt_version, so it is not a usable libnick_tracker" in result.stderr


def test_library_of_an_older_minor_version_is_refused_with_the_reason(tmp_path):
    fake = build_fake_library(tmp_path, "0.1.3")
    result = run_python(REPORT, package_copy(tmp_path / "site"), library=fake)
    assert result.returncode != 0
    assert f"ImportError: {fake} lacks nt_status_str, so it is not a usable" in result.stderr
    assert "it is nick-tracker 0.1.3, this package needs 0.2 or later" in result.stderr


def test_library_next_to_the_package_is_found_without_env_var(tmp_path):
    python_path = package_copy(tmp_path, bundled=nick_tracker.library_path)
    result = run_python(REPORT, python_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "nick_tracker" / NATIVE.bundled)


def test_bundled_library_comes_before_the_system_loader(tmp_path):
    system = tmp_path / "system"
    system.mkdir()
    shutil.copy(nick_tracker.library_path, system / NATIVE.system[0])
    python_path = package_copy(tmp_path / "site", bundled=nick_tracker.library_path)
    result = run_python(REPORT, python_path, extra_env={"LD_LIBRARY_PATH": str(system)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(python_path / "nick_tracker" / NATIVE.bundled)


def test_system_loader_is_tried_by_soname(tmp_path):
    system = tmp_path / "system"
    system.mkdir()
    shutil.copy(nick_tracker.library_path, system / "libnick_tracker.so.0")
    python_path = package_copy(tmp_path / "site")
    result = run_python(REPORT, python_path, extra_env={"LD_LIBRARY_PATH": str(system)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "libnick_tracker.so.0"


@pytest.mark.skipif(
    ctypes.util.find_library("nick_tracker") is not None,
    reason="a libnick_tracker is installed on this system, so the import would succeed",
)
def test_failure_lists_every_place_tried(tmp_path):
    python_path = package_copy(tmp_path)
    result = run_python(REPORT, python_path)
    assert result.returncode != 0
    package = python_path / "nick_tracker"
    assert (
        "ImportError: nick_tracker cannot load libnick_tracker. Tried:\n"
        f"  next to the package ({package / 'libnick_tracker.so'}): found nothing\n"
        "  system loader: libnick_tracker.so.0: "
    ) in result.stderr
    assert "  ctypes.util.find_library('nick_tracker'): found nothing\n" in result.stderr
    assert "Set NICK_TRACKER_LIBRARY to the full path of libnick_tracker.so." in result.stderr


# The name selection for each platform, without loading anything.

LINUX = ("libnick_tracker.so", "libnick_tracker.so*", ["libnick_tracker.so.0"])
MACOS = (
    "libnick_tracker.dylib",
    "libnick_tracker*.dylib",
    ["libnick_tracker.0.dylib", "libnick_tracker.dylib"],
)
WINDOWS = ("nick_tracker.dll", "nick_tracker*.dll", ["nick_tracker.dll"])


@pytest.mark.parametrize(
    "platform, names",
    [("linux", LINUX), ("freebsd14", LINUX), ("darwin", MACOS), ("win32", WINDOWS)],
)
def test_library_names_per_platform(platform, names):
    assert tuple(library_names(platform)) == names


# What a package directory may hold on each platform, and what is tried from it, in order:
# cargo's name first, other copies of the library next, another platform's files never.
PACKAGE_FILES = [
    "libnick_tracker.so",
    "libnick_tracker.so.0",
    "libnick_tracker.0.dylib",
    "libnick_tracker.dylib",
    "nick_tracker.dll",
    "nick_tracker.lib",
    "__init__.py",
]


@pytest.mark.parametrize(
    "platform, bundled, system",
    [
        ("linux", ["libnick_tracker.so", "libnick_tracker.so.0"], ["libnick_tracker.so.0"]),
        (
            "darwin",
            ["libnick_tracker.dylib", "libnick_tracker.0.dylib"],
            ["libnick_tracker.0.dylib", "libnick_tracker.dylib"],
        ),
        ("win32", ["nick_tracker.dll"], ["nick_tracker.dll"]),
    ],
)
def test_candidates_per_platform(tmp_path, platform, bundled, system):
    for name in PACKAGE_FILES:
        (tmp_path / name).touch()
    found = {"nick_tracker": f"/found/by/find_library/{platform}"}
    candidates = _lib._candidates(
        platform=platform, environ={}, package_dir=tmp_path, find_library=found.get
    )
    assert candidates == (
        [("next to the package", str(tmp_path / name)) for name in bundled]
        + [("system loader", name) for name in system]
        + [("ctypes.util.find_library('nick_tracker')", found["nick_tracker"])]
    )


@pytest.mark.parametrize(
    "platform, names", [("linux", LINUX), ("darwin", MACOS), ("win32", WINDOWS)]
)
def test_candidates_with_nothing_bundled(tmp_path, platform, names):
    candidates = _lib._candidates(
        platform=platform, environ={}, package_dir=tmp_path, find_library=lambda name: None
    )
    assert candidates[0] == (f"next to the package ({tmp_path / names[0]})", None)
    assert [path for where, path in candidates if where == "system loader"] == names[2]
    assert candidates[-1] == ("ctypes.util.find_library('nick_tracker')", None)


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_env_var_is_the_only_candidate_on_every_platform(tmp_path, platform):
    (tmp_path / library_names(platform).bundled).touch()
    candidates = _lib._candidates(
        platform=platform,
        environ={ENV_VAR: "/opt/lib/nick_tracker"},
        package_dir=tmp_path,
        find_library=lambda name: "/usr/lib/found",
    )
    assert candidates == [(ENV_VAR, "/opt/lib/nick_tracker")]
