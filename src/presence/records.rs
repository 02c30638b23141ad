//! What the tracker stores: a record per nick with its reports, and per directory the nicks
//! it reported.
//!
//! Presence is stored from both sides, so each operation touches only what it is asked about:
//! a nick's [`Report`]s say which directories reported it and whether each says present; a
//! directory's [`Member`]s list every nick it reported. Both refer to the other side by `u32`
//! slab keys, and each report knows where its member entry is (`slot`), so either side finds
//! the other without hashing.

use super::config::DirectoryId;
use super::slab::Key;
use super::sync::PeerlistMemo;

pub(crate) type NickKey = Key;
pub(crate) type DirectoryKey = Key;

/// Directory keys below this have a bit in [`NickRecord`]'s two bit words.
const BITS: DirectoryKey = u64::BITS;

pub(crate) struct NickRecord {
    pub name: Box<str>,
    /// When the nick was first seen in its current presence period, as a ledger stamp: the
    /// order in which batch operations report leaves and `active_nicks` lists nicks.
    pub activated: u64,
    /// How many connected directories report the nick present; active while > 0.
    pub live: u32,
    /// How many directories, connected or not, report it present; forgotten at 0.
    pub present: u32,
    /// Next position for round-robin picks.
    pub pick_cursor: u32,
    /// Bit `k` is whether the directory with key `k` (< 64) reports the nick present: the
    /// reports' `present` flags again, so that the most common update, a directory
    /// repeating a report, is answered from the record without reading the reports.
    present_bits: u64,
    /// Bit `k` is whether the directory with key `k` (< 64) has a report here at all, so
    /// that a directory's first report of the nick needs no scan to know it is the first.
    reported_bits: u64,
    /// Every directory that has reported the nick since it was last forgotten, in the order
    /// of their first report. A directory keeps its place when it reports the nick gone and
    /// later present again, as in jmcore.
    pub reports: Vec<Report>,
}

/// A nick's link to one directory that reported it (12 bytes: a nick has one per directory).
pub(crate) struct Report {
    pub directory: DirectoryKey,
    /// Index of the nick's entry in that directory's `members`.
    pub slot: u32,
    /// Whether the directory's latest report says present (counted only while connected).
    pub present: bool,
}

/// A directory's link back to one nick it reported.
pub(crate) struct Member {
    pub nick: NickKey,
    /// The stamp of the latest peerlist of the directory that listed the nick.
    pub sync_stamp: u32,
}

pub(crate) struct Directory {
    pub id: DirectoryId,
    pub connected: bool,
    /// Stamp of the latest peerlist; the members it listed carry the same stamp.
    pub sync_stamp: u32,
    pub members: Vec<Member>,
    /// The last peerlist, for matching the next one against it.
    pub memo: PeerlistMemo,
}

impl NickRecord {
    pub fn new(name: &str, first_seen: u64) -> Self {
        NickRecord {
            name: name.into(),
            activated: first_seen,
            live: 0,
            present: 0,
            pick_cursor: 0,
            present_bits: 0,
            reported_bits: 0,
            reports: Vec::new(),
        }
    }

    /// Where the report of the directory with this key is in `reports`.
    pub fn position(&self, directory: DirectoryKey) -> Option<usize> {
        let scan = || {
            self.reports
                .iter()
                .position(|report| report.directory == directory)
        };
        if directory < BITS && self.reported_bits & (1 << directory) == 0 {
            debug_assert_eq!(scan(), None);
            return None;
        }
        scan()
    }

    /// Whether the directory with this key reports the nick present, if the record can tell
    /// without reading the reports (keys under 64).
    pub fn present_on(&self, directory: DirectoryKey) -> Option<bool> {
        let known = (directory < BITS).then(|| self.present_bits & (1 << directory) != 0);
        debug_assert!(
            known.is_none_or(|bit| bit == (self.reports_present(directory) == Some(true)))
        );
        known
    }

    /// Whether the directory's report says present, reading the reports; `None` if it has
    /// none.
    pub fn reports_present(&self, directory: DirectoryKey) -> Option<bool> {
        let position = self.position(directory)?;
        Some(self.reports[position].present)
    }

    /// Adds the report of a directory that has not reported the nick yet (as not present),
    /// with its bit; returns its position.
    pub fn add_report(&mut self, directory: DirectoryKey, slot: u32) -> usize {
        debug_assert!(self.position(directory).is_none());
        if directory < BITS {
            self.reported_bits |= 1 << directory;
        }
        self.reports.push(Report {
            directory,
            slot,
            present: false,
        });
        self.reports.len() - 1
    }

    /// Removes the report at `position` with its bits (the directory's key may be reused by
    /// a new directory); returns whether it said present.
    pub fn remove_report(&mut self, position: usize) -> bool {
        let directory = self.reports[position].directory;
        let was_present = self.reports[position].present;
        self.set_report(position, false);
        self.reports.remove(position);
        if directory < BITS {
            self.reported_bits &= !(1 << directory);
        }
        was_present
    }

    /// Sets the report at `position` present or gone, with its bit.
    pub fn set_report(&mut self, position: usize, present: bool) {
        let report = &mut self.reports[position];
        report.present = present;
        if report.directory < BITS {
            let bit = 1 << report.directory;
            self.present_bits = if present {
                self.present_bits | bit
            } else {
                self.present_bits & !bit
            };
        }
    }
}

impl Directory {
    pub fn new(id: DirectoryId) -> Self {
        Directory {
            id,
            connected: true,
            sync_stamp: 0,
            members: Vec::new(),
            memo: PeerlistMemo::default(),
        }
    }

    /// A stamp no member carries yet. Members start at 0, which is never handed out.
    pub fn next_sync_stamp(&mut self) -> u32 {
        self.sync_stamp = self.sync_stamp.wrapping_add(1);
        if self.sync_stamp == 0 {
            // After 2^32 peerlists of one directory: clear old stamps so none can match.
            self.members.iter_mut().for_each(|m| m.sync_stamp = 0);
            self.sync_stamp = 1;
        }
        self.sync_stamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bits_follow_the_reports() {
        let mut record = NickRecord::new("alice", 1);
        for directory in [3, 70, 5] {
            let position = record.add_report(directory, 0);
            record.set_report(position, true);
        }
        assert_eq!(record.position(70), Some(1));
        assert_eq!(
            (record.present_on(3), record.present_on(70)),
            (Some(true), None)
        );
        record.set_report(0, false);
        assert_eq!(record.present_on(3), Some(false));
        assert!(!record.remove_report(0), "it said gone");
        assert!(record.remove_report(1), "directory 5 said present");
        assert_eq!((record.position(3), record.position(5)), (None, None));
        assert_eq!(record.reports_present(70), Some(true));
        assert_eq!(
            record.present_on(5),
            Some(false),
            "a reused key starts clean"
        );
    }

    #[test]
    fn stamps_skip_zero_when_they_wrap_around() {
        let mut directory = Directory::new(1);
        directory.members.push(Member {
            nick: 0,
            sync_stamp: 7,
        });
        directory.sync_stamp = u32::MAX;
        assert_eq!(directory.next_sync_stamp(), 1);
        assert_eq!(directory.members[0].sync_stamp, 0, "old stamps are cleared");
    }
}
