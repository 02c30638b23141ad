//! Replays every input in fuzz/corpus/api_sequence/ through the fuzz target's decoder and
//! checker (`support/api_sequence.rs`), so the corpus is exercised on stable Rust without
//! cargo-fuzz: each input becomes a sequence of C ABI calls on a real tracker, checked against
//! the reference model after every step. Crash inputs kept as regression tests live in the
//! same directory. `NT_TRACE=1 NT_CORPUS=seed-basic cargo test --test fuzz_corpus --
//! --nocapture` prints the calls one seed makes.

#[path = "support/api_sequence.rs"]
mod api_sequence;
#[path = "support/reference_model.rs"]
mod reference_model;

use std::path::PathBuf;

/// `NT_CORPUS=text` replays only the inputs whose file names contain `text` (with
/// `NT_TRACE=1`, the trace of one seed), and skips the check that the corpus reaches
/// everything.
fn filter() -> Option<String> {
    std::env::var("NT_CORPUS")
        .ok()
        .filter(|text| !text.is_empty())
}

fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/api_sequence");
    let filter = filter();
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&directory)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", directory.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            filter
                .as_ref()
                .is_none_or(|text| name.contains(text.as_str()))
        })
        .map(|path| {
            let bytes = std::fs::read(&path).expect("a readable corpus file");
            (path, bytes)
        })
        .collect();
    inputs.sort();
    inputs
}

#[test]
fn every_corpus_input_agrees_with_the_reference_model() {
    let inputs = corpus();
    assert!(!inputs.is_empty(), "the corpus is empty");
    let mut total = api_sequence::Counters::default();
    // Every input is replayed, so that one failing (a library bug left open, say) hides no
    // other.
    let mut failed = Vec::new();
    for (path, bytes) in &inputs {
        match std::panic::catch_unwind(|| api_sequence::run(bytes)) {
            Ok(counters) => total.add(&counters),
            Err(_) => failed.push(path.file_name().unwrap_or_default().to_string_lossy()),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} inputs failed: {} (rerun one with NT_TRACE=1 NT_CORPUS=<name> for a call \
         trace)",
        failed.len(),
        inputs.len(),
        failed.join(", ")
    );
    if filter().is_some() {
        return;
    }
    // The corpus must reach every kind of behaviour the checker knows about, so replaying it
    // is not vacuous.
    let reached = [
        ("joins", total.joins),
        ("leaves", total.leaves),
        ("nick-limit refusals", total.nick_limit_refusals),
        ("directory-limit refusals", total.directory_limit_refusals),
        ("invalid arguments", total.invalid_argument_rejections),
        ("disconnects with leaves", total.disconnects_with_leaves),
        ("reconnects with joins", total.reconnects_with_joins),
        ("packed peerlists", total.packed_syncs),
        ("picks", total.picks),
        ("callbacks", total.callbacks),
        ("nested operations in callbacks", total.nested_operations),
        ("queries in callbacks", total.nested_checks),
        ("log messages", total.logs),
        (
            "events of nested calls delivered by the outer call",
            total.nested_events_delivered,
        ),
        ("callback errors reported", total.callback_errors_reported),
        (
            "calls failed by a callback",
            total.calls_failed_by_callbacks,
        ),
        (
            "nt_free refused inside callbacks",
            total.frees_refused_in_callbacks,
        ),
        ("departures lists checked", total.departures_checked),
        ("calls with (pointer, length) nicks", total.length_calls),
        ("packed active nick lists", total.packed_active_nicks),
        ("peerlists begun (nt_peerlist_begin)", total.snapshots_begun),
        ("chunks added (nt_peerlist_add)", total.chunks_added),
        ("commits with leaves", total.commits_with_leaves),
        ("peerlists aborted", total.aborts),
        ("NT_STATUS_NO_SNAPSHOT refusals", total.no_snapshot_refusals),
        (
            "batches with events (nt_update_batch)",
            total.batches_with_events,
        ),
        ("damaged batches", total.damaged_batches),
        ("trackers with the fake clock", total.fake_clock_trackers),
        ("fake clock moves backwards", total.clock_moves_back),
        (
            "NT_STATUS_CLOCK_WENT_BACKWARDS refusals",
            total.clock_refusals,
        ),
        ("expiries with leaves", total.expiries_with_leaves),
        ("last-seen times checked", total.last_seen_checked),
        ("sticky picks", total.sticky_picks),
        ("per-directory view calls", total.directory_views),
        (
            "re-entrant nt_for_each_directory_nick calls",
            total.directory_visits,
        ),
        ("long peerlists", total.long_peerlists),
    ];
    for (what, count) in reached {
        assert!(count > 0, "the corpus reaches no {what}: {total:?}");
    }
}
