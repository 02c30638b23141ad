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

/// Directory keys below this have a bit in [`NickRecord::reported_bits`].
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
    /// Bit `k` is whether the directory with key `k` (< 64) has a report here at all, so
    /// that a directory's first report of the nick needs no scan to know it is the first.
    reported_bits: u64,
    /// Every directory that has reported the nick since it was last forgotten, in the order
    /// of their first report. A directory keeps its place when it reports the nick gone and
    /// later present again, as in jmcore.
    pub reports: Vec<Report>,
}

/// A nick's link to one directory that reported it (16 bytes: a nick has one per directory).
pub(crate) struct Report {
    pub directory: DirectoryKey,
    /// The index of the nick's entry in that directory's `members` ([`MAX_SLOT`] at most),
    /// and two flags in its top bits: whether the directory's latest report says present
    /// (counted only while connected), and whether the pair has a presence deadline queued
    /// (with a presence TTL set). Packed, since there is one report per (nick, directory)
    /// pair, so that the time below keeps all 64 bits.
    slot_and_flags: u32,
    /// When the directory last reported the nick present, in clock milliseconds, unless a
    /// later peerlist listed it: see [`NickTracker::last_seen`](super::NickTracker::last_seen).
    last_seen: u64,
}

const PRESENT: u32 = 1 << 31;
const TTL_QUEUED: u32 = 1 << 30;

/// The most members a directory can have (2^30, a billion: far beyond memory, about 100 GB a
/// billion pairs): the top two bits of a report's slot are its flags.
pub(crate) const MAX_SLOT: u32 = TTL_QUEUED - 1;

impl Report {
    fn new(directory: DirectoryKey, slot: u32) -> Self {
        assert!(slot <= MAX_SLOT, "a directory has at most 2^30 members");
        Report {
            directory,
            slot_and_flags: slot,
            last_seen: 0,
        }
    }

    /// Where the nick's entry is in its directory's `members`.
    pub fn slot(&self) -> u32 {
        self.slot_and_flags & MAX_SLOT
    }

    pub fn set_slot(&mut self, slot: u32) {
        assert!(slot <= MAX_SLOT, "a directory has at most 2^30 members");
        self.slot_and_flags = (self.slot_and_flags & !MAX_SLOT) | slot;
    }

    pub fn present(&self) -> bool {
        self.slot_and_flags & PRESENT != 0
    }

    pub fn set_present(&mut self, present: bool) {
        self.set_flag(PRESENT, present);
    }

    pub fn ttl_queued(&self) -> bool {
        self.slot_and_flags & TTL_QUEUED != 0
    }

    pub fn set_ttl_queued(&mut self, queued: bool) {
        self.set_flag(TTL_QUEUED, queued);
    }

    pub fn last_seen(&self) -> u64 {
        self.last_seen
    }

    /// The directory reported or listed the nick present at `now`.
    pub fn saw(&mut self, now: u64) {
        self.last_seen = now;
    }

    /// The directory listed the nick at `then`, which may be earlier than its last report.
    pub fn saw_at_least(&mut self, then: u64) {
        self.last_seen = self.last_seen.max(then);
    }

    fn set_flag(&mut self, flag: u32, on: bool) {
        self.slot_and_flags = if on {
            self.slot_and_flags | flag
        } else {
            self.slot_and_flags & !flag
        };
    }
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
    /// The stamp of the peerlist being received in chunks, if one is open: its members carry
    /// it once listed (or reported present) since it began.
    pub snapshot: Option<u32>,
    pub members: Vec<Member>,
    /// How many members the directory reports present.
    pub present: usize,
    /// The last peerlist, for matching the next one against it.
    pub memo: PeerlistMemo,
    /// When it was last disconnected (clock milliseconds).
    pub disconnected_at: u64,
    pub last_peerlist_at: Option<u64>,
    pub last_report_at: Option<u64>,
    /// Peerlists completed (synced or committed), and single reports recorded.
    pub peerlists: u64,
    pub reports: u64,
}

impl NickRecord {
    pub fn new(name: &str, first_seen: u64) -> Self {
        NickRecord {
            name: name.into(),
            activated: first_seen,
            live: 0,
            present: 0,
            pick_cursor: 0,
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

    /// Whether the directory's report says present, reading the reports; `None` if it has
    /// none.
    pub fn reports_present(&self, directory: DirectoryKey) -> Option<bool> {
        let position = self.position(directory)?;
        Some(self.reports[position].present())
    }

    /// Adds the report of a directory that has not reported the nick yet (as not present),
    /// with its bit; returns its position.
    pub fn add_report(&mut self, directory: DirectoryKey, slot: u32) -> usize {
        debug_assert!(self.position(directory).is_none());
        if directory < BITS {
            self.reported_bits |= 1 << directory;
        }
        if self.reports.is_empty() {
            // Most nicks are seen through one directory or two: no room for four to start.
            self.reports.reserve_exact(1);
        }
        self.reports.push(Report::new(directory, slot));
        self.reports.len() - 1
    }

    /// Removes the report at `position` with its bit (the directory's key may be reused by
    /// a new directory); returns whether it said present.
    pub fn remove_report(&mut self, position: usize) -> bool {
        let directory = self.reports[position].directory;
        let was_present = self.reports[position].present();
        self.set_report(position, false);
        self.reports.remove(position);
        if directory < BITS {
            self.reported_bits &= !(1 << directory);
        }
        was_present
    }

    /// Sets the report at `position` present or gone.
    pub fn set_report(&mut self, position: usize, present: bool) {
        self.reports[position].set_present(present);
    }
}

impl Directory {
    pub fn new(id: DirectoryId) -> Self {
        Directory {
            id,
            connected: true,
            sync_stamp: 0,
            snapshot: None,
            members: Vec::new(),
            present: 0,
            memo: PeerlistMemo::default(),
            disconnected_at: 0,
            last_peerlist_at: None,
            last_report_at: None,
            peerlists: 0,
            reports: 0,
        }
    }

    /// Notes a single report received at `now`.
    pub fn note_report(&mut self, now: u64) {
        self.reports += 1;
        self.last_report_at = Some(now);
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
    fn the_bit_follows_the_reports() {
        let mut record = NickRecord::new("alice", 1);
        for directory in [3, 70, 5] {
            let position = record.add_report(directory, 0);
            record.set_report(position, true);
        }
        assert_eq!(record.position(70), Some(1));
        record.set_report(0, false);
        assert_eq!(record.reports_present(3), Some(false));
        assert!(!record.remove_report(0), "it said gone");
        assert!(record.remove_report(1), "directory 5 said present");
        assert_eq!((record.position(3), record.position(5)), (None, None));
        assert_eq!(record.reports_present(70), Some(true));
        assert_eq!(record.reports_present(5), None, "a reused key starts clean");
    }

    #[test]
    fn a_report_keeps_its_slot_flags_and_time_apart() {
        let mut report = Report::new(1, 2);
        report.set_present(true);
        report.saw(40);
        report.set_ttl_queued(true);
        report.saw_at_least(30);
        assert_eq!(
            (report.slot(), report.present(), report.ttl_queued()),
            (2, true, true)
        );
        assert_eq!(report.last_seen(), 40);
        report.saw(u64::MAX); // every time a clock may read
        report.set_present(false);
        report.set_slot(MAX_SLOT);
        assert_eq!(
            (report.slot(), report.present(), report.ttl_queued()),
            (MAX_SLOT, false, true)
        );
        assert_eq!(report.last_seen(), u64::MAX);
        assert_eq!(std::mem::size_of::<Report>(), 16);
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
