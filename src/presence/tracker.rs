//! The tracker's state and the changes single reports make, alone or in batches. Peerlists
//! are in [`super::sync`] and [`super::snapshot`], directory changes in
//! [`super::directories`], time in [`super::expiry`], queries in [`super::queries`].

use std::collections::HashMap;
use std::fmt;

use super::clock::{self, Clock, Time};
use super::config::{ChangeError, Config, DirectoryId};
use super::events::{Events, Ledger, Order};
use super::expiry::{Expiries, Pair};
use super::hashing::{DirectoryIdHasher, NickIndex, SplitMix64};
use super::nick::Nick;
use super::packed::PackedNicks;
use super::records::{Directory, DirectoryKey, Member, NickKey, NickRecord};
use super::slab::Slab;
use super::sync::SyncState;
use super::sync::memo::Listing;

/// Per-nick presence across directories. See the [module documentation](super) for the rules.
pub struct NickTracker {
    pub(super) index: NickIndex,
    pub(super) nicks: Slab<NickRecord>,
    pub(super) directory_keys: HashMap<DirectoryId, DirectoryKey, DirectoryIdHasher>,
    pub(super) directories: Slab<Directory>,
    pub(super) connected_directories: usize,
    /// How many directories have a peerlist open (so single reports need not look).
    pub(super) open_snapshots: usize,
    pub(super) ledger: Ledger,
    pub(super) config: Config,
    pub(super) rng: SplitMix64,
    pub(super) sync: SyncState,
    pub(super) time: Time,
    pub(super) expiries: Expiries,
}

/// What made a report change, for [`NickTracker::set_report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The directory's own full peerlist, which its memo is about to describe.
    OwnPeerlist,
    /// Anything else: the directory's memo must note it.
    Other,
}

impl Default for NickTracker {
    fn default() -> Self {
        Self::with_config(Config::default())
    }
}

impl NickTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tracker whose clock is std's monotonic clock ([`clock::monotonic`]). Every report
    /// reads it: at high report rates a cheaper clock given to [`NickTracker::with_clock`]
    /// saves most of an update's cost (BENCHMARKS.md, section 3; the C ABI reads the coarse
    /// monotonic clock for this reason).
    pub fn with_config(config: Config) -> Self {
        Self::with_clock(config, clock::monotonic())
    }

    /// A tracker reading time from `clock` (milliseconds), at most once per call: for tests
    /// (a fake clock) and for callers with a clock of their own.
    pub fn with_clock(config: Config, clock: Clock) -> Self {
        NickTracker {
            index: NickIndex::new(),
            nicks: Slab::default(),
            directory_keys: HashMap::default(),
            directories: Slab::default(),
            connected_directories: 0,
            open_snapshots: 0,
            ledger: Ledger::default(),
            config,
            rng: SplitMix64::from_entropy(),
            sync: SyncState::default(),
            time: Time::new(clock),
            expiries: Expiries::new(config.expiry),
        }
    }

    pub fn config(&self) -> Config {
        self.config
    }

    /// Records that `directory` reports `nick` present (`present == true`) or gone.
    ///
    /// A "gone" report from a directory that never reported the nick present is ignored, as
    /// the JoinMarket daemon does (jmcore would store it and could later announce the
    /// departure of a nick that was never there).
    pub fn update(
        &mut self,
        nick: Nick<'_>,
        directory: DirectoryId,
        present: bool,
    ) -> Result<&Events, ChangeError> {
        if present {
            self.mark_present(nick, directory)
        } else {
            self.mark_gone(nick, directory)
        }
    }

    /// Records that `directory` reports `nick` present. The nick joins if no connected
    /// directory reported it present before. Fails only when a new nick or directory would
    /// exceed a limit, or the clock went backwards, and then changes nothing.
    pub fn mark_present(
        &mut self,
        nick: Nick<'_>,
        directory: DirectoryId,
    ) -> Result<&Events, ChangeError> {
        self.ledger.begin();
        let hash = self.index.hash(nick.as_str().as_bytes());
        let known_nick = self.find_hashed(hash, nick.as_str());
        let known_directory = self.directory_keys.get(&directory).copied();
        if known_directory.is_none() {
            self.config.limits.check_directory(self.directories.len())?;
        }
        if known_nick.is_none() {
            self.config.limits.check_nicks(self.nicks.len(), 1)?;
        }
        let now = self.time.now()?;
        let directory_key = known_directory.unwrap_or_else(|| self.insert_directory(directory));
        let nick_key = known_nick.unwrap_or_else(|| self.insert_nick(nick, hash));
        self.directories[directory_key].note_report(now);
        self.report_present(nick_key, directory_key, now);
        Ok(self.ledger.finish(Order::AsHappened))
    }

    /// Records that `directory` reports `nick` gone. The nick leaves if this was the last
    /// connected directory reporting it present, or, with a grace period set, once it passes
    /// without a present report ([`NickTracker::expire`]). Fails only when the clock went
    /// backwards.
    pub fn mark_gone(
        &mut self,
        nick: Nick<'_>,
        directory: DirectoryId,
    ) -> Result<&Events, ChangeError> {
        self.ledger.begin();
        if let Some(nick_key) = self.find_nick(nick.as_str())
            && let Some(&directory_key) = self.directory_keys.get(&directory)
            && let Some(position) = self.nicks[nick_key].position(directory_key)
        {
            let now = self.time.now()?;
            self.directories[directory_key].note_report(now);
            self.report_gone(nick_key, directory_key, position, now);
        }
        Ok(self.ledger.finish(Order::AsHappened))
    }

    /// Applies a message's worth of single reports from one directory, in order: the nicks
    /// of `nicks`, each reported present or gone as `present` says (one flag per nick). The
    /// same as one `update` per nick, but all or nothing: a bad nick, a flag count that is not
    /// the nick count, or new nicks (those reported present, counted once) beyond the nick
    /// limit refuse the whole batch.
    pub fn apply_reports(
        &mut self,
        directory: DirectoryId,
        nicks: &[u8],
        present: &[bool],
    ) -> Result<&Events, ChangeError> {
        self.ledger.begin();
        let list = PackedNicks::new(nicks)?;
        if list.len() != present.len() {
            return Err(ChangeError::ReportCountMismatch {
                nicks: list.len(),
                flags: present.len(),
            });
        }
        let known_directory = self.directory_keys.get(&directory).copied();
        let adds = present.contains(&true);
        if known_directory.is_none() && !adds {
            // Gone reports only, from a directory it does not know: nothing to record.
            return Ok(self.ledger.finish(Order::AsHappened));
        }
        if known_directory.is_none() {
            self.config.limits.check_directory(self.directories.len())?;
        }
        if adds && self.config.limits.max_nicks.is_some() {
            let reported = list.iter().zip(present).filter(|&(_, &present)| present);
            let new = self.count_unknown(reported.map(|(nick, _)| nick));
            self.config.limits.check_nicks(self.nicks.len(), new)?;
        }
        let mut directory_key = known_directory;
        let mut now = None;
        for (nick, &present) in list.iter().zip(present) {
            // A gone report for a pair without a report is ignored, as by `mark_gone`.
            let gone = match (present, directory_key) {
                (true, _) => None,
                (false, None) => continue,
                (false, Some(directory_key)) => {
                    let Some(nick_key) = self.find_nick(nick.as_str()) else {
                        continue;
                    };
                    let Some(position) = self.nicks[nick_key].position(directory_key) else {
                        continue;
                    };
                    Some((nick_key, position))
                }
            };
            // The first report that counts reads the clock: the ones before it changed
            // nothing, so a refusal still leaves the tracker as it was.
            let now = match now {
                Some(now) => now,
                None => *now.insert(self.time.now()?),
            };
            let directory_key =
                *directory_key.get_or_insert_with(|| self.insert_directory(directory));
            self.directories[directory_key].note_report(now);
            match gone {
                None => {
                    let nick_key = self.find_or_insert_nick(nick);
                    self.report_present(nick_key, directory_key, now);
                }
                Some((nick_key, position)) => {
                    self.report_gone(nick_key, directory_key, position, now);
                }
            }
        }
        Ok(self.ledger.finish(Order::AsHappened))
    }

    /// A present report of a held nick from a known directory, received at `now`.
    fn report_present(&mut self, nick_key: NickKey, directory_key: DirectoryKey, now: u64) {
        let record = &mut self.nicks[nick_key];
        // The common case, a directory repeating itself, only refreshes the report.
        let position = match record.position(directory_key) {
            Some(position) if record.reports[position].present() => {
                record.reports[position].saw(now);
                self.expiries.cancel_gone(nick_key, directory_key);
                position
            }
            Some(position) => {
                self.set_report(nick_key, position, true, Source::Other, now);
                position
            }
            None => {
                let position = self.add_report(nick_key, directory_key);
                self.set_report(nick_key, position, true, Source::Other, now);
                position
            }
        };
        if self.open_snapshots > 0 {
            self.stamp_for_snapshot(nick_key, directory_key, position);
        }
    }

    /// A gone report of a held nick from a directory that has a report of it (at
    /// `position`), received at `now`: at once, or after the grace period if one is set.
    fn report_gone(
        &mut self,
        nick_key: NickKey,
        directory_key: DirectoryKey,
        position: usize,
        now: u64,
    ) {
        let record = &self.nicks[nick_key];
        if !record.reports[position].present() {
            return;
        }
        if self.expiries.defer_gone(nick_key, directory_key, now) {
            // The report may change at expiry: the memo must not vouch for it meanwhile.
            self.note_change(nick_key, directory_key, position);
        } else {
            self.set_report(nick_key, position, false, Source::Other, now);
        }
    }

    /// A present report on a directory with a peerlist open counts as listed in it.
    fn stamp_for_snapshot(
        &mut self,
        nick_key: NickKey,
        directory_key: DirectoryKey,
        position: usize,
    ) {
        let slot = self.nicks[nick_key].reports[position].slot();
        let directory = &mut self.directories[directory_key];
        if let Some(stamp) = directory.snapshot {
            directory.members[slot as usize].sync_stamp = stamp;
        }
    }

    pub(super) fn find_nick(&self, nick: &str) -> Option<NickKey> {
        self.find_hashed(self.index.hash(nick.as_bytes()), nick)
    }

    fn find_hashed(&self, hash: u64, nick: &str) -> Option<NickKey> {
        let nicks = &self.nicks;
        self.index
            .find(hash, nick.as_bytes(), |key| nicks[key].name.as_bytes())
    }

    /// How many distinct nicks among `nicks` the tracker does not hold yet.
    pub(super) fn count_unknown<'n>(&self, nicks: impl Iterator<Item = Nick<'n>>) -> usize {
        let mut unknown: Vec<&str> = nicks
            .map(|nick| nick.as_str())
            .filter(|nick| self.find_nick(nick).is_none())
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        unknown.len()
    }

    /// Adds a record for a nick the tracker does not hold, whose name hashes to `hash`.
    pub(super) fn insert_nick(&mut self, nick: Nick<'_>, hash: u64) -> NickKey {
        // A nick first reported by a disconnected directory is not active yet, but its
        // creation still orders it among the others should that directory reconnect.
        let first_seen = self.ledger.stamp();
        let key = self
            .nicks
            .insert(NickRecord::new(nick.as_str(), first_seen));
        let nicks = &self.nicks;
        self.index
            .insert(hash, key, |key| nicks[key].name.as_bytes());
        key
    }

    pub(super) fn find_or_insert_nick(&mut self, nick: Nick<'_>) -> NickKey {
        let hash = self.index.hash(nick.as_str().as_bytes());
        match self.find_hashed(hash, nick.as_str()) {
            Some(key) => key,
            None => self.insert_nick(nick, hash),
        }
    }

    pub(super) fn insert_directory(&mut self, directory: DirectoryId) -> DirectoryKey {
        let key = self.directories.insert(Directory::new(directory));
        self.directory_keys.insert(directory, key);
        self.connected_directories += 1;
        key
    }

    /// Links a nick and a directory that has not reported it yet (as not present); returns
    /// the position of the new report in the nick's reports.
    pub(super) fn add_report(&mut self, nick_key: NickKey, directory_key: DirectoryKey) -> usize {
        let directory = &mut self.directories[directory_key];
        // A directory of 2^30 members would hold about 100 GB; past it, a panic (poisoning
        // the tracker), as for 2^32 nicks in the slab.
        let slot = u32::try_from(directory.members.len()).expect("2^30 members at most");
        directory.members.push(Member {
            nick: nick_key,
            sync_stamp: 0,
        });
        self.nicks[nick_key].add_report(directory_key, slot)
    }

    /// The position of the directory's report in the nick's reports, added (as not present)
    /// if the directory has not reported the nick yet.
    pub(super) fn report_position(
        &mut self,
        nick_key: NickKey,
        directory_key: DirectoryKey,
    ) -> usize {
        match self.nicks[nick_key].position(directory_key) {
            Some(position) => position,
            None => self.add_report(nick_key, directory_key),
        }
    }

    /// Sets the nick's report at `position` present (seen at `now`) or gone; false if it
    /// said so already.
    ///
    /// The one place a report changes: it keeps the counts and the ledger, notes the change
    /// in the directory's peerlist memo (unless the directory's own peerlist made it), keeps
    /// the expiry deadlines, and forgets a nick that no directory reports present any more.
    pub(super) fn set_report(
        &mut self,
        nick_key: NickKey,
        position: usize,
        present: bool,
        source: Source,
        now: u64,
    ) -> bool {
        if self.nicks[nick_key].reports[position].present() == present {
            return false;
        }
        let directory_key = self.nicks[nick_key].reports[position].directory;
        let pair = self.pair(nick_key, directory_key);
        // Before forget() below, which must see the note.
        if source == Source::Other {
            self.note_change(nick_key, directory_key, position);
        }
        let record = &mut self.nicks[nick_key];
        let report = &mut record.reports[position];
        let directory = &mut self.directories[directory_key];
        if present {
            report.saw(now);
        } else if let Some(listed_at) = directory.memo.listed_at(nick_key) {
            // Its own peerlist drops it: the listing in the memo being replaced counts.
            report.saw_at_least(listed_at);
        }
        record.set_report(position, present);
        if present {
            directory.present += 1;
            record.present += 1;
            if directory.connected {
                self.ledger.gain(record, directory.id);
            }
            self.expiries
                .on_present(pair, &mut record.reports[position], now);
        } else {
            directory.present -= 1;
            record.present -= 1;
            if directory.connected {
                self.ledger.lose(record, directory.id);
            }
            if record.present == 0 {
                self.forget(nick_key);
            }
        }
        true
    }

    /// Notes in the directory's memo that something other than its own peerlist changed (or
    /// may change) the nick's report at `position`. The memo stops vouching for the nick, so
    /// the time it listed it moves into the report first.
    fn note_change(&mut self, nick_key: NickKey, directory_key: DirectoryKey, position: usize) {
        let memo = &mut self.directories[directory_key].memo;
        let report = &mut self.nicks[nick_key].reports[position];
        if report.present()
            && let Some(listed_at) = memo.listed_at(nick_key)
        {
            report.saw_at_least(listed_at);
        }
        let listing = memo.note_changed(nick_key);
        self.record_listing(directory_key, listing);
    }

    /// The pair's names for good (keys with their generations), for deadlines to refer to.
    pub(super) fn pair(&self, nick_key: NickKey, directory_key: DirectoryKey) -> Pair {
        Pair {
            nick: (nick_key, self.nicks.generation(nick_key)),
            directory: (directory_key, self.directories.generation(directory_key)),
        }
    }

    /// Writes when a dropped memo's nicks were listed into their reports (see
    /// [`PeerlistMemo::invalidate`](super::sync::PeerlistMemo)).
    pub(super) fn record_listing(&mut self, directory_key: DirectoryKey, listing: Option<Listing>) {
        let Some(listing) = listing else { return };
        for key in listing.keys {
            // A nick just forgotten by the change that dropped the memo is gone with it.
            if let Some(record) = self.nicks.get_mut(key)
                && let Some(position) = record.position(directory_key)
            {
                let report = &mut record.reports[position];
                report.saw_at_least(listing.at);
            }
        }
    }

    /// Drops a nick no directory reports present, with its reports of "gone".
    pub(super) fn forget(&mut self, nick_key: NickKey) {
        let record = self.nicks.remove(nick_key);
        for report in &record.reports {
            let directory = &mut self.directories[report.directory];
            // Its key may be reused: a directory whose memo noted it must know it is stale.
            directory.memo.note_forgotten(nick_key);
            self.expiries.cancel_gone(nick_key, report.directory);
            let members = &mut directory.members;
            members.swap_remove(report.slot() as usize);
            if let Some(moved) = members.get(report.slot() as usize) {
                let moved = &mut self.nicks[moved.nick];
                let position = moved
                    .position(report.directory)
                    .expect("a member has a report");
                moved.reports[position].set_slot(report.slot());
            }
        }
        let hash = self.index.hash(record.name.as_bytes());
        self.index.remove(hash, nick_key);
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
    use crate::presence::testing::{nick, nicks, summary};
    use crate::presence::{ChangeError, LimitError, Limits, PickMode, Stats};

    fn directories(tracker: &NickTracker, name: &str) -> Vec<DirectoryId> {
        tracker.active_directories(name).collect()
    }

    fn present(
        tracker: &mut NickTracker,
        name: &str,
        directory: DirectoryId,
    ) -> Vec<(&'static str, String, DirectoryId)> {
        summary(tracker.mark_present(nick(name), directory).unwrap())
    }

    #[test]
    fn a_nick_joins_once_and_leaves_once_per_presence_period() {
        let mut tracker = NickTracker::new();
        assert_eq!(
            present(&mut tracker, "alice", 1),
            [("join", "alice".into(), 1)]
        );
        assert!(present(&mut tracker, "alice", 2).is_empty());
        assert!(tracker.mark_gone(nick("alice"), 1).unwrap().is_empty());
        let left = summary(tracker.mark_gone(nick("alice"), 2).unwrap());
        assert_eq!(left, [("leave", "alice".into(), 2)]);
        assert!(
            tracker.mark_gone(nick("alice"), 2).unwrap().is_empty(),
            "a second departure"
        );
        assert!(tracker.is_empty() && !tracker.is_active("alice"));
        assert_eq!(tracker.stats().nicks, 0, "a departed nick is forgotten");
        assert_eq!(
            present(&mut tracker, "alice", 3),
            [("join", "alice".into(), 3)]
        );
    }

    #[test]
    fn a_directory_that_reports_again_keeps_its_place() {
        let mut tracker = NickTracker::new();
        present(&mut tracker, "alice", 1);
        present(&mut tracker, "alice", 2);
        tracker.mark_gone(nick("alice"), 1).unwrap();
        present(&mut tracker, "alice", 1);
        assert_eq!(directories(&tracker, "alice"), [1, 2]);
    }

    #[test]
    fn gone_from_a_directory_that_never_reported_the_nick_is_ignored() {
        let mut tracker = NickTracker::new();
        assert!(tracker.mark_gone(nick("ghost"), 1).unwrap().is_empty());
        present(&mut tracker, "alice", 1);
        assert!(tracker.mark_gone(nick("alice"), 2).unwrap().is_empty());
        assert_eq!(
            tracker.stats().directories,
            1,
            "a gone report creates no directory"
        );
        assert!(tracker.is_active("alice"));
    }

    #[test]
    fn batches_report_leaves_in_first_seen_order_then_joins() {
        let mut tracker = NickTracker::new();
        for name in ["carol", "alice", "bob"] {
            present(&mut tracker, name, 1);
        }
        // "alice" returns after leaving, so she now counts as seen after "bob".
        tracker.mark_gone(nick("alice"), 1).unwrap();
        present(&mut tracker, "alice", 1);
        assert_eq!(tracker.active_nicks(), ["carol", "bob", "alice"]);
        let events = tracker.sync_peerlist(1, &nicks(&["dave", "erin"])).unwrap();
        assert_eq!(
            summary(events),
            [
                ("leave", "carol".into(), 1),
                ("leave", "bob".into(), 1),
                ("leave", "alice".into(), 1),
                ("join", "dave".into(), 1),
                ("join", "erin".into(), 1),
            ]
        );
    }

    #[test]
    fn sync_marks_gone_only_on_the_syncing_directory_and_ignores_duplicates() {
        let mut tracker = NickTracker::new();
        present(&mut tracker, "alice", 1);
        present(&mut tracker, "alice", 2);
        present(&mut tracker, "bob", 2);
        let events = tracker.sync_peerlist(2, &[]).unwrap();
        assert_eq!(summary(events), [("leave", "bob".into(), 2)]);
        assert_eq!(directories(&tracker, "alice"), [1]);
        let events = tracker
            .sync_peerlist(1, &nicks(&["carol", "carol"]))
            .unwrap();
        assert_eq!(
            summary(events),
            [("leave", "alice".into(), 1), ("join", "carol".into(), 1)]
        );
        assert_eq!(tracker.active_nicks(), ["carol"]);
    }

    #[test]
    fn removing_a_directory_moves_no_other_directory_members() {
        // Forgetting nicks swaps entries inside member lists; this checks the slots stay right.
        let mut tracker = NickTracker::new();
        let all = ["a", "b", "c", "d", "e"];
        tracker.sync_peerlist(1, &nicks(&all)).unwrap();
        tracker.sync_peerlist(2, &nicks(&["b", "d"])).unwrap();
        let events = tracker.remove_directory(1).unwrap();
        assert_eq!(
            summary(events),
            [
                ("leave", "a".into(), 1),
                ("leave", "c".into(), 1),
                ("leave", "e".into(), 1)
            ]
        );
        assert_eq!(tracker.active_nicks(), ["b", "d"]);
        let events = tracker.sync_peerlist(2, &nicks(&["d"])).unwrap();
        assert_eq!(summary(events), [("leave", "b".into(), 2)]);
        assert!(tracker.remove_directory(1).is_none(), "already removed");
        assert_eq!(tracker.stats().nicks, 1);
    }

    #[test]
    fn a_disconnected_directory_keeps_its_reports_but_they_do_not_count() {
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["alice", "bob"])).unwrap();
        present(&mut tracker, "bob", 2);
        let events = tracker.set_directory_connected(1, false).unwrap().unwrap();
        assert_eq!(summary(events), [("leave", "alice".into(), 1)]);
        assert_eq!(directories(&tracker, "bob"), [2]);
        assert_eq!(tracker.stats().nicks, 2, "alice is kept for directory 1");
        assert!(tracker.set_directory_connected(1, false).unwrap().is_none());
        // A report while down is recorded, without a join.
        assert!(present(&mut tracker, "carol", 1).is_empty());
        let events = tracker.set_directory_connected(1, true).unwrap().unwrap();
        assert_eq!(
            summary(events),
            [("join", "alice".into(), 1), ("join", "carol".into(), 1)]
        );
        assert_eq!(directories(&tracker, "bob"), [1, 2]);
        // The next peerlist has the last word.
        let events = tracker.sync_peerlist(1, &nicks(&["carol"])).unwrap();
        assert_eq!(summary(events), [("leave", "alice".into(), 1)]);
        assert_eq!(tracker.stats().nicks, 2);
    }

    #[test]
    fn nicks_rejoin_in_first_seen_order_even_if_first_seen_while_down() {
        let mut tracker = NickTracker::new();
        present(&mut tracker, "zed", 2);
        present(&mut tracker, "alice", 1);
        tracker.set_directory_connected(1, false).unwrap();
        present(&mut tracker, "carol", 1);
        let events = tracker.set_directory_connected(1, true).unwrap().unwrap();
        assert_eq!(
            summary(events),
            [("join", "alice".into(), 1), ("join", "carol".into(), 1)]
        );
        assert_eq!(tracker.active_nicks(), ["zed", "alice", "carol"]);
    }

    #[test]
    fn a_nick_gone_everywhere_while_its_directory_is_down_is_forgotten_silently() {
        let mut tracker = NickTracker::new();
        present(&mut tracker, "alice", 1);
        tracker.set_directory_connected(1, false).unwrap();
        assert!(
            tracker.mark_gone(nick("alice"), 1).unwrap().is_empty(),
            "already left"
        );
        assert_eq!(tracker.stats().nicks, 0);
        let events = tracker.set_directory_connected(1, true).unwrap();
        assert!(events.unwrap().is_empty());
        tracker.set_directory_connected(2, false).unwrap();
        present(&mut tracker, "bob", 2);
        assert!(tracker.remove_directory(2).unwrap().is_empty());
        assert_eq!(tracker.stats().nicks, 0);
    }

    #[test]
    fn limits_refuse_changes_without_making_any() {
        let limits = Limits {
            max_nicks: Some(2),
            max_directories: Some(1),
        };
        let mut tracker = NickTracker::with_config(Config {
            limits,
            ..Config::default()
        });
        tracker.sync_peerlist(1, &nicks(&["a", "a"])).unwrap();
        let error = tracker
            .sync_peerlist(1, &nicks(&["b", "c", "a"]))
            .unwrap_err();
        assert_eq!(error, LimitError::Nicks { held: 1, limit: 2 }.into());
        assert_eq!(tracker.active_nicks(), ["a"], "all or nothing");
        // Duplicates of one new nick count once.
        tracker.sync_peerlist(1, &nicks(&["a", "b", "b"])).unwrap();
        let nick_limit = ChangeError::Limit(LimitError::Nicks { held: 2, limit: 2 });
        let directory_limit = ChangeError::Limit(LimitError::Directories { limit: 1 });
        assert_eq!(tracker.mark_present(nick("c"), 1), Err(nick_limit));
        assert_eq!(tracker.mark_present(nick("a"), 2), Err(directory_limit));
        assert_eq!(
            tracker.set_directory_connected(2, true),
            Err(directory_limit)
        );
        let before = tracker.stats();
        assert_eq!(tracker.sync_peerlist(2, &[]), Err(directory_limit));
        assert_eq!(tracker.stats(), before);
        // Known nicks and directories never hit a limit.
        assert!(tracker.mark_present(nick("b"), 1).unwrap().is_empty());
        // At the limit, a peerlist may still replace nicks that only it listed.
        let events = tracker.sync_peerlist(1, &nicks(&["c", "d"])).unwrap();
        assert_eq!(summary(events).len(), 4, "two leaves, two joins");
        assert_eq!(tracker.active_nicks(), ["c", "d"]);
        // But not to grow past it.
        let error = tracker
            .sync_peerlist(1, &nicks(&["c", "d", "e"]))
            .unwrap_err();
        assert_eq!(error, LimitError::Nicks { held: 2, limit: 2 }.into());
        assert_eq!(tracker.active_nicks(), ["c", "d"]);
    }

    #[test]
    fn round_robin_cycles_through_the_active_directories() {
        let mut tracker = NickTracker::with_config(Config {
            pick: PickMode::RoundRobin,
            ..Config::default()
        });
        assert_eq!(tracker.pick_directory("alice"), None);
        for directory in [3, 1, 2] {
            present(&mut tracker, "alice", directory);
        }
        let picks: Vec<_> = (0..4).map(|_| tracker.pick_directory("alice")).collect();
        assert_eq!(picks, [Some(3), Some(1), Some(2), Some(3)]);
        tracker.set_directory_connected(1, false).unwrap();
        let picks: Vec<_> = (0..3).map(|_| tracker.pick_directory("alice")).collect();
        assert_eq!(picks, [Some(2), Some(3), Some(2)]);
    }

    #[test]
    fn random_picks_are_spread_over_active_directories_only() {
        let mut tracker = NickTracker::new();
        for directory in 1..=4 {
            present(&mut tracker, "alice", directory);
        }
        tracker.mark_gone(nick("alice"), 4).unwrap();
        let mut counts = [0usize; 5];
        for _ in 0..3000 {
            counts[tracker.pick_directory("alice").unwrap() as usize] += 1;
        }
        assert_eq!(counts[0] + counts[4], 0);
        // Each of 3 directories expects 1000 picks; 800 is more than 7 sigma below.
        assert!(counts[1..4].iter().all(|&count| count > 800), "{counts:?}");
    }

    #[test]
    fn stats_count_everything_exactly() {
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["a", "b"])).unwrap();
        present(&mut tracker, "b", 2);
        tracker.set_directory_connected(2, false).unwrap();
        tracker.sync_peerlist(1, &[]).unwrap();
        assert_eq!(
            tracker.stats(),
            Stats {
                nicks: 1,
                active_nicks: 0,
                directories: 2,
                connected_directories: 1,
                joins: 2,
                leaves: 2,
            }
        );
        assert_eq!(format!("{tracker:?}"), "NickTracker { active_nicks: 0 }");
    }

    #[test]
    fn a_batch_applies_its_reports_in_order_or_none_of_them() {
        let mut tracker = NickTracker::with_config(Config {
            limits: Limits {
                max_nicks: Some(3),
                max_directories: None,
            },
            ..Config::default()
        });
        present(&mut tracker, "a", 1);
        let events = tracker
            .apply_reports(1, b"b\0a\0b\0c\0", &[true, false, false, true])
            .unwrap();
        let expected = [
            ("join", "b".into(), 1),
            ("leave", "a".into(), 1),
            ("leave", "b".into(), 1),
            ("join", "c".into(), 1),
        ];
        assert_eq!(summary(events), expected, "as they happened");
        let before = tracker.stats();
        let mismatch = ChangeError::ReportCountMismatch { nicks: 1, flags: 2 };
        assert_eq!(
            tracker.apply_reports(1, b"x\0", &[true, true]),
            Err(mismatch)
        );
        let bad = tracker
            .apply_reports(1, b"x\0\0", &[true, true])
            .unwrap_err();
        assert!(matches!(bad, ChangeError::Peerlist(_)));
        let too_many = tracker.apply_reports(2, b"x\0y\0z\0", &[true, true, true]);
        let refusal = LimitError::Nicks { held: 1, limit: 3 };
        assert_eq!(too_many.unwrap_err(), ChangeError::Limit(refusal));
        assert_eq!(tracker.stats(), before, "nothing changed");
        assert!(
            tracker
                .apply_reports(9, b"x\0", &[false])
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            tracker.stats().directories,
            1,
            "gone reports make no directory"
        );
        let stats = tracker.directory_stats(1).unwrap();
        assert_eq!((stats.reports, stats.nicks), (5, 1));
    }

    #[test]
    fn a_batch_ignores_gone_reports_as_mark_gone_does() {
        let (mut tracker, clock) = crate::presence::testing::tracker_at_zero(Config::default());
        clock.set(10);
        present(&mut tracker, "a", 1);
        present(&mut tracker, "b", 2);
        clock.set(5); // back: refuses only what needs the time
        // Gone reports for pairs without a report: not counted, no time needed.
        assert!(tracker.mark_gone(nick("b"), 1).unwrap().is_empty());
        let ignored = tracker.apply_reports(1, b"zz\0b\0", &[false, false]);
        assert!(ignored.unwrap().is_empty());
        let stats = tracker.directory_stats(1).unwrap();
        assert_eq!((stats.reports, stats.last_report_at), (1, Some(10)));
        let counted = tracker.apply_reports(1, b"zz\0a\0", &[false, false]);
        let backwards = ChangeError::ClockWentBackwards { last: 10, now: 5 };
        assert_eq!(counted.unwrap_err(), backwards);
        clock.set(20);
        let events = tracker
            .apply_reports(1, b"zz\0a\0", &[false, false])
            .unwrap();
        assert_eq!(summary(events), [("leave", "a".into(), 1)]);
        let stats = tracker.directory_stats(1).unwrap();
        assert_eq!((stats.reports, stats.last_report_at), (2, Some(20)));
    }

    #[test]
    fn sticky_picks_keep_a_directory_while_the_nick_stays_active_there() {
        let mut tracker = NickTracker::with_config(Config {
            pick: PickMode::Sticky,
            ..Config::default()
        });
        for directory in [1, 2, 3] {
            present(&mut tracker, "alice", directory);
        }
        let first = tracker.pick_directory("alice").unwrap();
        assert!((0..20).all(|_| tracker.pick_directory("alice") == Some(first)));
        tracker.set_directory_connected(first, false).unwrap();
        let second = tracker.pick_directory("alice").unwrap();
        assert_ne!(second, first, "failed over");
        assert!((0..20).all(|_| tracker.pick_directory("alice") == Some(second)));
        tracker.set_directory_connected(first, true).unwrap();
        assert_eq!(
            tracker.pick_directory("alice"),
            Some(second),
            "stays after failover"
        );
        tracker.mark_gone(nick("alice"), second).unwrap();
        assert!(![second].contains(&tracker.pick_directory("alice").unwrap()));
    }

    #[test]
    fn each_directory_has_its_own_view() {
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["a", "b"])).unwrap();
        present(&mut tracker, "c", 2);
        tracker.mark_gone(nick("b"), 1).unwrap();
        tracker.set_directory_connected(2, false).unwrap();
        let nicks_of = |d| tracker.directory_nicks(d).unwrap().collect::<Vec<_>>();
        assert_eq!(nicks_of(1), ["a"]);
        assert_eq!(nicks_of(2), ["c"], "kept while disconnected");
        assert!(tracker.directory_nicks(3).is_none());
        let stats = tracker.directory_stats(2).unwrap();
        assert_eq!((stats.nicks, stats.connected, stats.reports), (1, false, 1));
        assert!(stats.last_peerlist_at.is_none() && stats.last_report_at.is_some());
        let mut directories: Vec<_> = tracker.directories().collect();
        directories.sort();
        assert_eq!(directories, [1, 2]);
    }
}
