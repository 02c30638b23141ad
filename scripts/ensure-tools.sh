# Sourced by the other scripts: installs the build and test tools a fresh Debian/Ubuntu machine
# lacks (it has Rust, gcc and python3), using apt-get and pip, and only what is missing.

# ensure_commands <command:package>... installs each package whose command is missing.
ensure_commands() {
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
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
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
