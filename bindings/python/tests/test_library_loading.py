"""How `import nick_tracker` finds the shared library, and how it fails. Each case imports the
package in a fresh interpreter, since a process loads the library only once."""

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nick_tracker

PACKAGE_ROOT = Path(nick_tracker.__file__).resolve().parents[1]
REPORT = "import nick_tracker; print(nick_tracker.library_path)"


def run_python(code, *, library=None, python_path=PACKAGE_ROOT, extra_env=None):
    """Runs `code` in a fresh interpreter with NICK_TRACKER_LIBRARY set to `library` (unset
    if None) and nick_tracker imported from `python_path` (also the working directory, which
    `python -c` puts first on sys.path)."""
    env = {key: value for key, value in os.environ.items() if key != "NICK_TRACKER_LIBRARY"}
    if library is not None:
        env["NICK_TRACKER_LIBRARY"] = str(library)
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


def test_env_var_selects_the_library():
    result = run_python(REPORT, library=nick_tracker.library_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == nick_tracker.library_path


def test_env_var_with_a_bad_path_fails_clearly_without_trying_elsewhere(tmp_path):
    missing = tmp_path / "no-such" / "libnick_tracker.so"
    result = run_python(REPORT, library=missing)
    assert result.returncode != 0
    assert "ImportError: nick_tracker cannot load libnick_tracker. Tried:" in result.stderr
    assert f"NICK_TRACKER_LIBRARY: {missing}" in result.stderr
    assert "system loader" not in result.stderr


def test_library_of_another_major_version_is_refused(tmp_path):
    fake = build_fake_library(tmp_path, "1.0.0")
    result = run_python(REPORT, library=fake)
    assert result.returncode != 0
    assert f"ImportError: {fake} is nick-tracker 1.0.0, but this package needs 0.x" in result.stderr


def test_library_missing_a_function_is_refused(tmp_path):
    fake = build_fake_library(tmp_path, "0.0.1")
    result = run_python(REPORT, library=fake)
    assert result.returncode != 0
    assert f"ImportError: {fake} lacks nt_status_str, so it is not a usable" in result.stderr


def test_library_that_is_not_nick_tracker_is_refused():
    result = run_python(REPORT, library=ctypes.util.find_library("c"))
    assert result.returncode != 0
    assert "lacks nt_version, so it is not a usable libnick_tracker" in result.stderr


def test_library_next_to_the_package_is_found_without_env_var(tmp_path):
    package = tmp_path / "nick_tracker"
    shutil.copytree(PACKAGE_ROOT / "nick_tracker", package)
    bundled = package / "libnick_tracker.so"
    shutil.copy(nick_tracker.library_path, bundled)
    result = run_python(REPORT, python_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(bundled)


def test_system_loader_is_tried_by_soname(tmp_path):
    shutil.copy(nick_tracker.library_path, tmp_path / "libnick_tracker.so.0")
    result = run_python(REPORT, extra_env={"LD_LIBRARY_PATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "libnick_tracker.so.0"


def test_library_of_an_older_minor_version_is_refused_with_the_reason(tmp_path):
    fake = build_fake_library(tmp_path, "0.1.3")
    result = run_python(REPORT, library=fake)
    assert result.returncode != 0
    assert f"ImportError: {fake} lacks nt_status_str, so it is not a usable" in result.stderr
    assert "it is nick-tracker 0.1.3, this package needs 0.2 or later" in result.stderr
