//! A port of every case in jmcore's own test suite (tests/test_nick_tracker.py), one test per
//! case with the same name. Directories "dir1".."dir3" become 1..3; jmcore's leave callback
//! becomes the leave events the tracker returns, collected in `left`.

use nick_tracker::{DirectoryId, Events, Nick, NickTracker};

const DIR1: DirectoryId = 1;
const DIR2: DirectoryId = 2;
const DIR3: DirectoryId = 3;

/// The nicks that leave in `events`: what jmcore's leave callback would receive.
fn leaves(events: &Events) -> Vec<String> {
    let leaves = events.iter().filter(|event| event.is_leave());
    leaves.map(|event| event.nick.to_string()).collect()
}

/// The tracker plus everything its leave "callback" has seen.
#[derive(Default)]
struct Harness {
    tracker: NickTracker,
    left: Vec<String>,
}

fn nick(name: &str) -> Nick<'_> {
    Nick::new(name).expect("test nicks are valid")
}

impl Harness {
    fn mark_present(&mut self, name: &str, directory: DirectoryId) {
        let leaves = leaves(self.tracker.mark_present(nick(name), directory).unwrap());
        self.left.extend(leaves);
    }

    fn mark_gone(&mut self, name: &str, directory: DirectoryId) {
        let leaves = leaves(self.tracker.mark_gone(nick(name), directory).unwrap());
        self.left.extend(leaves);
    }

    fn sync(&mut self, directory: DirectoryId, peerlist: &[&str]) {
        let peerlist: Vec<Nick> = peerlist.iter().map(|name| nick(name)).collect();
        let leaves = leaves(self.tracker.sync_peerlist(directory, &peerlist).unwrap());
        self.left.extend(leaves);
    }

    fn remove_directory(&mut self, directory: DirectoryId) -> Vec<String> {
        let leaves = self
            .tracker
            .remove_directory(directory)
            .map_or(vec![], leaves);
        self.left.extend(leaves.iter().cloned());
        leaves
    }

    fn active(&self, name: &str) -> bool {
        self.tracker.is_active(name)
    }

    fn directories(&self, name: &str) -> Vec<DirectoryId> {
        self.tracker.active_directories(name).collect()
    }

    fn all_active(&self) -> Vec<&str> {
        self.tracker.active_nicks()
    }
}

#[test]
fn test_nick_tracker_basic() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    assert!(h.active("maker1"));
    assert_eq!(h.directories("maker1"), [DIR1]);
    h.mark_present("maker1", DIR2);
    assert!(h.active("maker1"));
    assert_eq!(h.directories("maker1"), [DIR1, DIR2]);
}

#[test]
fn test_nick_leave_single_directory() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    h.mark_present("maker1", DIR2);
    h.mark_gone("maker1", DIR1);
    assert!(h.active("maker1"));
    assert_eq!(h.directories("maker1"), [DIR2]);
    assert!(h.left.is_empty());
}

#[test]
fn test_nick_leave_all_directories() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    h.mark_present("maker1", DIR2);
    h.mark_gone("maker1", DIR1);
    assert!(h.left.is_empty());
    h.mark_gone("maker1", DIR2);
    assert!(!h.active("maker1"));
    assert!(h.directories("maker1").is_empty());
    assert_eq!(h.left, ["maker1"]);
}

#[test]
fn test_nick_return_after_leaving() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    h.mark_gone("maker1", DIR1);
    assert_eq!(h.left.len(), 1);
    assert!(!h.active("maker1"));
    h.mark_present("maker1", DIR1);
    assert!(h.active("maker1"));
    assert_eq!(h.left.len(), 1);
}

#[test]
fn test_sync_with_peerlist() {
    let mut h = Harness::default();
    h.sync(DIR1, &["maker1", "maker2", "maker3"]);
    assert_eq!(h.all_active(), ["maker1", "maker2", "maker3"]);
    h.sync(DIR1, &["maker1"]);
    assert_eq!(h.left, ["maker2", "maker3"]);
    assert!(h.active("maker1"));
    assert!(!h.active("maker2"));
    assert!(!h.active("maker3"));
}

#[test]
fn test_sync_multi_directory_peerlist() {
    let mut h = Harness::default();
    h.sync(DIR1, &["maker1", "maker2"]);
    h.sync(DIR2, &["maker1", "maker3"]);
    assert_eq!(h.all_active(), ["maker1", "maker2", "maker3"]);
    h.sync(DIR1, &["maker2"]);
    assert!(h.active("maker1"));
    assert!(h.left.is_empty());
    h.sync(DIR2, &["maker3"]);
    assert!(!h.active("maker1"));
    assert_eq!(h.left, ["maker1"]);
}

#[test]
fn test_remove_directory() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    h.mark_present("maker2", DIR1);
    h.mark_present("maker2", DIR2);
    h.mark_present("maker3", DIR2);
    let gone = h.remove_directory(DIR1);
    assert_eq!(gone, ["maker1"]);
    assert!(!h.active("maker1"));
    assert!(h.active("maker2"));
    assert!(h.active("maker3"));
    assert_eq!(h.left, ["maker1"]);
}

#[test]
fn test_multiple_nicks_multiple_directories() {
    let mut h = Harness::default();
    h.sync(DIR1, &["maker1", "maker2", "maker3"]);
    h.sync(DIR2, &["maker1", "maker2", "maker4"]);
    h.sync(DIR3, &["maker1", "maker5"]);
    assert_eq!(
        h.all_active(),
        ["maker1", "maker2", "maker3", "maker4", "maker5"]
    );
    h.sync(DIR1, &["maker1", "maker2"]);
    assert_eq!(h.left, ["maker3"]);
    h.sync(DIR1, &["maker2"]);
    assert!(h.active("maker1"));
    h.sync(DIR2, &["maker2", "maker4"]);
    assert!(h.active("maker1"));
    assert_eq!(h.left, ["maker3"]);
    h.sync(DIR3, &["maker5"]);
    assert!(!h.active("maker1"));
    assert_eq!(h.left, ["maker3", "maker1"]);
}

#[test]
fn test_get_all_active_nicks() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    h.mark_present("maker2", DIR1);
    h.mark_present("maker2", DIR2);
    h.mark_present("maker3", DIR2);
    assert_eq!(h.all_active(), ["maker1", "maker2", "maker3"]);
    h.mark_gone("maker2", DIR1);
    h.mark_gone("maker2", DIR2);
    assert_eq!(h.all_active(), ["maker1", "maker3"]);
}

#[test]
fn test_no_callback() {
    // The core has no callback at all; the C-level variant (on_leave NULL) is in tests/c.
    let mut tracker = NickTracker::new();
    tracker.mark_present(nick("maker1"), DIR1).unwrap();
    let events = tracker.mark_gone(nick("maker1"), DIR1).unwrap();
    assert!(events.get(0).unwrap().is_leave());
    assert!(!tracker.is_active("maker1"));
}

#[test]
fn test_nick_returns_after_marked_gone_on_directory() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    h.mark_present("maker1", DIR2);
    h.mark_gone("maker1", DIR1);
    assert!(h.active("maker1"));
    h.mark_present("maker1", DIR1);
    assert!(h.active("maker1"));
    // dir1 keeps the place it had before it reported the nick gone.
    assert_eq!(h.directories("maker1"), [DIR1, DIR2]);
}

#[test]
fn test_remove_directory_nick_gone_on_remaining() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    h.mark_present("maker1", DIR2);
    h.mark_gone("maker1", DIR2);
    assert!(h.active("maker1"));
    let gone = h.remove_directory(DIR1);
    assert_eq!(gone, ["maker1"]);
    assert_eq!(h.left, ["maker1"]);
    assert!(!h.active("maker1"));
}

#[test]
fn test_repr() {
    let mut h = Harness::default();
    h.mark_present("maker1", DIR1);
    h.mark_present("maker2", DIR2);
    assert_eq!(
        format!("{:?}", h.tracker),
        "NickTracker { active_nicks: 2 }"
    );
}

/// The one deliberate difference from jmcore (README, "Differences from jmcore"): jmcore
/// stores a "gone" report for a nick it never saw and later announces that nick leaving.
#[test]
fn gone_report_for_an_unseen_nick_is_ignored() {
    let mut h = Harness::default();
    h.mark_gone("ghost", DIR1);
    h.mark_present("maker1", DIR1);
    h.mark_gone("maker1", DIR2);
    assert!(!h.active("ghost"));
    assert_eq!(h.remove_directory(DIR1), ["maker1"]);
    assert!(h.remove_directory(DIR2).is_empty(), "no phantom departure");
    assert_eq!(h.left, ["maker1"]);
}
