//! The committed include/nick_tracker.h must be what build.rs generates from the current
//! source. Only in the developer/CI mode (`cargo test --features generate-header`, as
//! scripts/test.sh runs it): build.rs then rewrites the working copy, so the comparison is
//! against the committed version (git HEAD). This fails when someone changes the FFI and
//! forgets to commit the regenerated header.
#![cfg(feature = "generate-header")]

use std::process::Command;

#[test]
fn committed_header_matches_generated_header() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/nick_tracker.h"));
    let output = Command::new("git")
        .args(["show", "HEAD:include/nick_tracker.h"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git must be installed to check the committed header");
    assert!(
        output.status.success(),
        "cannot read the committed header: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed = String::from_utf8(output.stdout).expect("the header is UTF-8");
    assert!(
        committed == generated,
        "include/nick_tracker.h in git HEAD is stale: `cargo build --features generate-header` \
         has regenerated it; review and commit it"
    );
}
