#!/usr/bin/env bash
# Fuzzes the C ABI with cargo-fuzz for a while (default 60 seconds):
#
#     scripts/fuzz.sh [seconds]
#
# The target, fuzz/fuzz_targets/api_sequence.rs, turns each input into a sequence of nt_* calls
# on a real tracker (bad nicks, NULL pointers, odd packed peerlists, random limits and pick
# modes, connection changes, callbacks that call back into the tracker; the 0.3 calls:
# peerlists in chunks, batches, a fake clock that sometimes goes back, expiry, last-seen
# times, sticky picks, the per-directory view, long peerlists) and checks every answer and the
# whole state after every step against the reference model in
# tests/support/reference_model.rs. The input format is described in
# tests/support/api_sequence.rs.
#
# Needs the nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz if it
# is missing. Runs a single libFuzzer job (one core), with AddressSanitizer.
#
# Inputs: the committed seeds in fuzz/corpus/api_sequence/ plus the working corpus
# fuzz/work/api_sequence/ (git-ignored), where libFuzzer keeps what it finds between runs.
# A failure stops the run with a non-zero exit and leaves the input in
# fuzz/artifacts/api_sequence/. To turn it into a regression test that runs on stable Rust,
# minimize it (cargo +nightly fuzz tmin api_sequence <file>) and copy it into
# fuzz/corpus/api_sequence/: tests/fuzz_corpus.rs replays every file there
# (`NT_TRACE=1 cargo test --test fuzz_corpus -- --nocapture` prints the calls it makes).
#
# Environment: FUZZ_ARGS adds libFuzzer arguments (e.g. FUZZ_ARGS=-seed=1).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;;
esac

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "cargo-fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

mkdir -p fuzz/work/api_sequence
cd fuzz
# shellcheck disable=SC2086 # FUZZ_ARGS is split on purpose
exec cargo +nightly fuzz run api_sequence work/api_sequence corpus/api_sequence -- \
  -max_total_time="$seconds" -max_len=1024 -print_final_stats=1 ${FUZZ_ARGS:-}
