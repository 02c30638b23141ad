# Sourced by the other scripts: installs the build and test tools a fresh Debian/Ubuntu machine
# lacks (it has Rust, gcc and python3), using apt-get and pip, and only what is missing.

# ensure_commands [--no-install-recommends] <command:package>... installs each package whose
# command is missing (without the packages it only recommends, if asked).
ensure_commands() {
  local apt_options=()
  if [ "${1:-}" = --no-install-recommends ]; then
    apt_options=(--no-install-recommends)
    shift
  fi
  local missing=()
  local pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_options[@]}" "${missing[@]}" \
    >/dev/null
}

ensure_pytest() {
  python3 -m pytest --version >/dev/null 2>&1 && return 0
  echo "==> installing pytest"
  python3 -m pip install --quiet pytest
}

# ensure_nightly_components <component>... makes sure the nightly toolchain (used for Miri and
# for the ThreadSanitizer build of the library) has these rustup components.
ensure_nightly_components() {
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  local installed
  installed=$(rustup component list --toolchain nightly --installed)
  local component
  for component in "$@"; do
    [[ "$installed" == *"$component"* ]] || rustup component add --toolchain nightly "$component"
  done
}

# ensure_rust_targets <triple>... adds the standard library for these targets to the default
# toolchain (for cross-builds: scripts/test-windows.sh, scripts/check-macos.sh).
ensure_rust_targets() {
  local installed
  installed=$(rustup target list --installed)
  local target
  for target in "$@"; do
    grep -qx "$target" <<<"$installed" || rustup target add "$target"
  done
}
