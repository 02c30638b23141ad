//! Random sequences of C ABI calls on a real nt_tracker, checked against the reference model
//! after every step; the decoding and checking live in tests/support/api_sequence.rs, shared
//! with tests/fuzz_corpus.rs (which replays fuzz/corpus/api_sequence on stable Rust).
#![no_main]

#[path = "../../tests/support/api_sequence.rs"]
mod api_sequence;
#[path = "../../tests/support/reference_model.rs"]
mod reference_model;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    api_sequence::run(data);
});
