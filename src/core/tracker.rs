//! The tracking rules, in plain safe Rust with no knowledge of C.
//!
//! A nick is *active* while at least one directory reports it present. A directory that loses
//! sight of a nick does not make it leave: only when every directory that reported the nick has
//! also reported it gone (or has been removed) does the nick leave, once, and the tracker
//! forgets it. That is what keeps one flapping directory connection from producing false
//! "peer left" events.
//!
//! The methods return the nicks that left instead of calling anything, so the caller (the C
//! layer) can run user callbacks after it has released its lock.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::nick::Nick;

/// A directory server, identified by a number the caller chooses.
pub type DirectoryId = u64;

/// Per-nick presence across directories. See the module documentation for the rules.
#[derive(Default)]
pub struct NickTracker {
    /// Only active nicks are stored: a nick is removed the moment it leaves. So `len()` is the
    /// number of active nicks, and lookups never meet a leftover entry.
    nicks: HashMap<Box<str>, NickRecord>,
    /// Source of [`NickRecord::first_seen`].
    next_first_seen: u64,
}

/// What the tracker knows about one active nick.
struct NickRecord {
    /// When the nick (re)appeared, as a counter. Batch operations report departures in this
    /// order, which is the order jmcore's insertion-ordered dict yields them.
    first_seen: u64,
    /// Every directory that has reported the nick since it (re)appeared, in the order of their
    /// first report. A directory keeps its place when it reports the nick gone and later
    /// present again, as in jmcore.
    reports: Vec<DirectoryReport>,
}

#[derive(Clone, Copy)]
struct DirectoryReport {
    directory: DirectoryId,
    present: bool,
}

impl NickRecord {
    fn is_active(&self) -> bool {
        self.reports.iter().any(|report| report.present)
    }

    fn report_from(&mut self, directory: DirectoryId) -> Option<&mut DirectoryReport> {
        self.reports
            .iter_mut()
            .find(|report| report.directory == directory)
    }
}

impl NickTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `directory` reports `nick` present (`present == true`) or gone.
    ///
    /// Returns `true` when this report made the nick leave: it was present on `directory` and
    /// no other directory still reports it present. The nick is then forgotten.
    ///
    /// A "gone" report from a directory that never reported the nick present is ignored, as
    /// the JoinMarket daemon does (jmcore would store it and could later announce the
    /// departure of a nick that was never there).
    pub fn update(&mut self, nick: Nick<'_>, directory: DirectoryId, present: bool) -> bool {
        if present {
            self.mark_present(nick, directory);
            false
        } else {
            self.mark_gone(nick, directory)
        }
    }

    /// Records that `directory` reports `nick` present. A nick never leaves because of this.
    pub fn mark_present(&mut self, nick: Nick<'_>, directory: DirectoryId) {
        if let Some(record) = self.nicks.get_mut(nick.as_str()) {
            match record.report_from(directory) {
                Some(report) => report.present = true,
                None => record.reports.push(DirectoryReport {
                    directory,
                    present: true,
                }),
            }
            return;
        }
        let first_seen = self.next_first_seen;
        self.next_first_seen += 1;
        self.nicks.insert(
            nick.as_str().into(),
            NickRecord {
                first_seen,
                reports: vec![DirectoryReport {
                    directory,
                    present: true,
                }],
            },
        );
    }

    /// Records that `directory` reports `nick` gone; returns `true` if the nick left.
    /// See [`NickTracker::update`].
    pub fn mark_gone(&mut self, nick: Nick<'_>, directory: DirectoryId) -> bool {
        let Some(record) = self.nicks.get_mut(nick.as_str()) else {
            return false;
        };
        match record.report_from(directory) {
            Some(report) if report.present => report.present = false,
            _ => return false,
        }
        if record.is_active() {
            return false;
        }
        self.nicks.remove(nick.as_str());
        true
    }

    /// Forgets everything `directory` reported, as when its connection is lost.
    ///
    /// Returns the nicks that left because of it (those no remaining directory reports
    /// present), in the order they were first seen.
    pub fn remove_directory(&mut self, directory: DirectoryId) -> Vec<Box<str>> {
        self.take_departed(|_, record| {
            record
                .reports
                .retain(|report| report.directory != directory);
        })
    }

    /// Makes `directory`'s view match its peerlist: every listed nick becomes present on
    /// `directory`, and every nick that `directory` reported present but is not listed becomes
    /// gone on it.
    ///
    /// Returns the nicks that left, in the order they were first seen. Listing a nick twice is
    /// the same as listing it once.
    pub fn sync_peerlist(
        &mut self,
        directory: DirectoryId,
        peerlist: &[Nick<'_>],
    ) -> Vec<Box<str>> {
        for &nick in peerlist {
            self.mark_present(nick, directory);
        }
        let listed: HashSet<&str> = peerlist.iter().map(Nick::as_str).collect();
        self.take_departed(|nick, record| {
            if !listed.contains(nick)
                && let Some(report) = record.report_from(directory)
            {
                report.present = false;
            }
        })
    }

    /// Applies `change` to every record, then removes and returns (in first-seen order) the
    /// nicks it left inactive. Every stored nick is active beforehand, so exactly the nicks
    /// the change affected can leave.
    fn take_departed(&mut self, mut change: impl FnMut(&str, &mut NickRecord)) -> Vec<Box<str>> {
        let mut departed: Vec<(u64, Box<str>)> = self
            .nicks
            .extract_if(|nick, record| {
                change(nick, record);
                !record.is_active()
            })
            .map(|(nick, record)| (record.first_seen, nick))
            .collect();
        departed.sort_unstable_by_key(|&(first_seen, _)| first_seen);
        departed.into_iter().map(|(_, nick)| nick).collect()
    }

    /// Whether at least one directory reports `nick` present.
    pub fn is_active(&self, nick: &str) -> bool {
        self.nicks.contains_key(nick)
    }

    /// The directories that report `nick` present, in the order they first reported it.
    /// Empty for a nick that is not active.
    pub fn active_directories(&self, nick: &str) -> impl Iterator<Item = DirectoryId> + '_ {
        self.nicks
            .get(nick)
            .into_iter()
            .flat_map(|record| record.reports.iter())
            .filter(|report| report.present)
            .map(|report| report.directory)
    }

    /// All active nicks, in the order they were first seen.
    pub fn active_nicks(&self) -> Vec<&str> {
        let mut nicks: Vec<(u64, &str)> = self
            .nicks
            .iter()
            .map(|(nick, record)| (record.first_seen, &**nick))
            .collect();
        nicks.sort_unstable_by_key(|&(first_seen, _)| first_seen);
        nicks.into_iter().map(|(_, nick)| nick).collect()
    }

    /// The number of active nicks.
    pub fn len(&self) -> usize {
        self.nicks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nicks.is_empty()
    }
}

impl fmt::Debug for NickTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NickTracker")
            .field("active_nicks", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nick(name: &str) -> Nick<'_> {
        Nick::new(name).unwrap()
    }

    fn directories(tracker: &NickTracker, name: &str) -> Vec<DirectoryId> {
        tracker.active_directories(name).collect()
    }

    #[test]
    fn a_directory_that_reports_again_keeps_its_place() {
        let mut tracker = NickTracker::new();
        tracker.mark_present(nick("alice"), 1);
        tracker.mark_present(nick("alice"), 2);
        assert!(!tracker.mark_gone(nick("alice"), 1));
        tracker.mark_present(nick("alice"), 1);
        tracker.mark_present(nick("alice"), 2);
        assert_eq!(directories(&tracker, "alice"), [1, 2]);
    }

    #[test]
    fn a_nick_leaves_once_and_is_forgotten() {
        let mut tracker = NickTracker::new();
        tracker.mark_present(nick("alice"), 1);
        assert!(tracker.mark_gone(nick("alice"), 1));
        assert!(!tracker.mark_gone(nick("alice"), 1), "a second departure");
        assert!(tracker.remove_directory(1).is_empty());
        assert!(tracker.is_empty() && !tracker.is_active("alice"));
        assert!(directories(&tracker, "alice").is_empty());
    }

    #[test]
    fn a_returning_nick_counts_as_first_seen_when_it_returned() {
        let mut tracker = NickTracker::new();
        tracker.mark_present(nick("alice"), 1);
        tracker.mark_present(nick("bob"), 1);
        assert!(tracker.mark_gone(nick("alice"), 1));
        tracker.mark_present(nick("alice"), 1);
        assert_eq!(tracker.active_nicks(), ["bob", "alice"]);
        assert_eq!(
            &*tracker.remove_directory(1),
            ["bob".into(), "alice".into()]
        );
    }

    #[test]
    fn sync_marks_gone_only_on_the_syncing_directory() {
        let mut tracker = NickTracker::new();
        tracker.mark_present(nick("alice"), 1);
        tracker.mark_present(nick("alice"), 2);
        tracker.mark_present(nick("bob"), 2);
        assert_eq!(&*tracker.sync_peerlist(2, &[]), ["bob".into()]);
        assert_eq!(directories(&tracker, "alice"), [1]);
        assert_eq!(
            &*tracker.sync_peerlist(1, &[nick("carol")]),
            ["alice".into()]
        );
        assert_eq!(tracker.active_nicks(), ["carol"]);
    }

    #[test]
    fn debug_output_shows_the_count_not_the_nicks() {
        let mut tracker = NickTracker::new();
        tracker.mark_present(nick("alice"), 1);
        assert_eq!(format!("{tracker:?}"), "NickTracker { active_nicks: 1 }");
    }
}
