//! The tracker's state and the changes single reports, removals and connection changes make.
//! Peerlists are in [`super::sync`], queries in [`super::queries`].

use std::collections::HashMap;
use std::fmt;

use super::config::{Config, DirectoryId, LimitError};
use super::events::{Events, Ledger, Order};
use super::hashing::{DirectoryIdHasher, NickIndex, SplitMix64};
use super::nick::Nick;
use super::records::{Directory, DirectoryKey, Member, NickKey, NickRecord};
use super::slab::Slab;
use super::sync::SyncState;

/// Per-nick presence across directories. See the [module documentation](super) for the rules.
pub struct NickTracker {
    pub(super) index: NickIndex,
    pub(super) nicks: Slab<NickRecord>,
    pub(super) directory_keys: HashMap<DirectoryId, DirectoryKey, DirectoryIdHasher>,
    pub(super) directories: Slab<Directory>,
    pub(super) connected_directories: usize,
    pub(super) ledger: Ledger,
    pub(super) config: Config,
    pub(super) rng: SplitMix64,
    pub(super) sync: SyncState,
}

/// What made a report change, for [`NickTracker::set_report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The directory's own peerlist, which its memo is about to describe.
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

    pub fn with_config(config: Config) -> Self {
        NickTracker {
            index: NickIndex::new(),
            nicks: Slab::default(),
            directory_keys: HashMap::default(),
            directories: Slab::default(),
            connected_directories: 0,
            ledger: Ledger::default(),
            config,
            rng: SplitMix64::from_entropy(),
            sync: SyncState::default(),
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
    ) -> Result<&Events, LimitError> {
        if present {
            self.mark_present(nick, directory)
        } else {
            Ok(self.mark_gone(nick, directory))
        }
    }

    /// Records that `directory` reports `nick` present. The nick joins if no connected
    /// directory reported it present before. Fails only when a new nick or directory would
    /// exceed a limit, and then changes nothing.
    pub fn mark_present(
        &mut self,
        nick: Nick<'_>,
        directory: DirectoryId,
    ) -> Result<&Events, LimitError> {
        self.ledger.begin();
        let hash = self.index.hash(nick.as_str().as_bytes());
        let known_nick = self.find_hashed(hash, nick.as_str());
        let known_directory = self.directory_keys.get(&directory).copied();
        // The common case: a directory repeating itself.
        if let (Some(nick_key), Some(directory_key)) = (known_nick, known_directory) {
            let record = &self.nicks[nick_key];
            if record.present_on(directory_key) == Some(true) {
                return Ok(self.ledger.finish(Order::AsHappened));
            }
            if let Some(position) = record.position(directory_key) {
                self.set_report(nick_key, position, true, Source::Other);
                return Ok(self.ledger.finish(Order::AsHappened));
            }
        }
        // The directory limit first, as for peerlists, so both report the same refusal.
        if known_directory.is_none() {
            self.config.limits.check_directory(self.directories.len())?;
        }
        if known_nick.is_none() {
            self.config.limits.check_nicks(self.nicks.len(), 1)?;
        }
        let directory_key = known_directory.unwrap_or_else(|| self.insert_directory(directory));
        let nick_key = known_nick.unwrap_or_else(|| self.insert_nick(nick, hash));
        let position = self.add_report(nick_key, directory_key);
        self.set_report(nick_key, position, true, Source::Other);
        Ok(self.ledger.finish(Order::AsHappened))
    }

    /// Records that `directory` reports `nick` gone. The nick leaves if this was the last
    /// connected directory reporting it present.
    pub fn mark_gone(&mut self, nick: Nick<'_>, directory: DirectoryId) -> &Events {
        self.ledger.begin();
        if let Some(nick_key) = self.find_nick(nick.as_str())
            && let Some(&directory_key) = self.directory_keys.get(&directory)
            && let Some(position) = self.nicks[nick_key].position(directory_key)
        {
            self.set_report(nick_key, position, false, Source::Other);
        }
        self.ledger.finish(Order::AsHappened)
    }

    /// Forgets everything `directory` reported, as when it is dropped for good. Nicks that no
    /// remaining connected directory reports present leave. `None` if the directory is not
    /// known.
    pub fn remove_directory(&mut self, directory: DirectoryId) -> Option<&Events> {
        self.ledger.begin();
        let directory_key = self.directory_keys.remove(&directory)?;
        let removed = self.directories.remove(directory_key);
        if removed.connected {
            self.connected_directories -= 1;
        }
        for member in &removed.members {
            let record = &mut self.nicks[member.nick];
            let position = record
                .position(directory_key)
                .expect("a member has a report");
            if record.remove_report(position) {
                record.present -= 1;
                if removed.connected {
                    self.ledger.lose(record, directory);
                }
                if record.present == 0 {
                    self.forget(member.nick);
                }
            }
        }
        Some(self.ledger.finish(Order::LeavesByFirstSeen))
    }

    /// Marks `directory`'s connection down (`connected == false`) or back up.
    ///
    /// While down, the directory's reports are kept but do not count: nicks it alone reported
    /// present leave. When it is back up they count again and those nicks join, until its
    /// next peerlist says otherwise. Reports that arrive while it is down are recorded the
    /// same way. An unknown directory is created in the given state (subject to the
    /// directory limit). `None` if the directory already had that state.
    pub fn set_directory_connected(
        &mut self,
        directory: DirectoryId,
        connected: bool,
    ) -> Result<Option<&Events>, LimitError> {
        self.ledger.begin();
        let directory_key = match self.directory_keys.get(&directory) {
            Some(&key) if self.directories[key].connected == connected => return Ok(None),
            Some(&key) => key,
            None => {
                self.config.limits.check_directory(self.directories.len())?;
                let key = self.insert_directory(directory);
                if connected {
                    return Ok(Some(self.ledger.finish(Order::AsHappened)));
                }
                key
            }
        };
        let entry = &mut self.directories[directory_key];
        entry.connected = connected;
        let nicks = &self.nicks;
        let present = entry
            .members
            .iter()
            .map(|member| member.nick)
            .filter(|&nick| nicks[nick].reports_present(directory_key) == Some(true));
        let mut affected: Vec<(u64, NickKey)> =
            present.map(|nick| (nicks[nick].activated, nick)).collect();
        // In the order the nicks were first seen, as batch leaves are reported.
        affected.sort_unstable();
        if connected {
            self.connected_directories += 1;
            for (_, nick_key) in affected {
                self.ledger.gain(&mut self.nicks[nick_key], directory);
            }
        } else {
            self.connected_directories -= 1;
            for (_, nick_key) in affected {
                self.ledger.lose(&mut self.nicks[nick_key], directory);
            }
        }
        Ok(Some(self.ledger.finish(Order::LeavesByFirstSeen)))
    }

    pub(super) fn find_nick(&self, nick: &str) -> Option<NickKey> {
        self.find_hashed(self.index.hash(nick.as_bytes()), nick)
    }

    fn find_hashed(&self, hash: u64, nick: &str) -> Option<NickKey> {
        let nicks = &self.nicks;
        self.index
            .find(hash, nick.as_bytes(), |key| nicks[key].name.as_bytes())
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
        let slot = u32::try_from(directory.members.len()).expect("u32::MAX members");
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

    /// Sets the nick's report at `position` present or gone; false if it said so already.
    ///
    /// The one place a report changes: it keeps the counts and the ledger, notes the change
    /// in the directory's peerlist memo (unless the directory's own peerlist made it), and
    /// forgets a nick that no directory reports present any more.
    pub(super) fn set_report(
        &mut self,
        nick_key: NickKey,
        position: usize,
        present: bool,
        source: Source,
    ) -> bool {
        let record = &mut self.nicks[nick_key];
        let report = &record.reports[position];
        if report.present == present {
            return false;
        }
        let directory = &mut self.directories[report.directory];
        record.set_report(position, present);
        if source == Source::Other {
            // Before forget() below, which must see the note.
            directory.memo.note_changed(nick_key);
        }
        if present {
            record.present += 1;
            if directory.connected {
                self.ledger.gain(record, directory.id);
            }
        } else {
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

    /// Drops a nick no directory reports present, with its reports of "gone".
    fn forget(&mut self, nick_key: NickKey) {
        let record = self.nicks.remove(nick_key);
        for report in &record.reports {
            let directory = &mut self.directories[report.directory];
            // Its key may be reused: a directory whose memo noted it must know it is stale.
            directory.memo.note_forgotten(nick_key);
            let members = &mut directory.members;
            members.swap_remove(report.slot as usize);
            if let Some(moved) = members.get(report.slot as usize) {
                let moved = &mut self.nicks[moved.nick];
                let position = moved
                    .position(report.directory)
                    .expect("a member has a report");
                moved.reports[position].slot = report.slot;
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
    use crate::presence::{Limits, PickMode, Stats};

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
        assert!(tracker.mark_gone(nick("alice"), 1).is_empty());
        let left = summary(tracker.mark_gone(nick("alice"), 2));
        assert_eq!(left, [("leave", "alice".into(), 2)]);
        assert!(
            tracker.mark_gone(nick("alice"), 2).is_empty(),
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
        tracker.mark_gone(nick("alice"), 1);
        present(&mut tracker, "alice", 1);
        assert_eq!(directories(&tracker, "alice"), [1, 2]);
    }

    #[test]
    fn gone_from_a_directory_that_never_reported_the_nick_is_ignored() {
        let mut tracker = NickTracker::new();
        assert!(tracker.mark_gone(nick("ghost"), 1).is_empty());
        present(&mut tracker, "alice", 1);
        assert!(tracker.mark_gone(nick("alice"), 2).is_empty());
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
        tracker.mark_gone(nick("alice"), 1);
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
            tracker.mark_gone(nick("alice"), 1).is_empty(),
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
        assert_eq!(error, LimitError::Nicks { held: 1, limit: 2 });
        assert_eq!(tracker.active_nicks(), ["a"], "all or nothing");
        // Duplicates of one new nick count once.
        tracker.sync_peerlist(1, &nicks(&["a", "b", "b"])).unwrap();
        assert_eq!(
            tracker.mark_present(nick("c"), 1),
            Err(LimitError::Nicks { held: 2, limit: 2 })
        );
        assert_eq!(
            tracker.mark_present(nick("a"), 2),
            Err(LimitError::Directories { limit: 1 })
        );
        assert_eq!(
            tracker.set_directory_connected(2, true),
            Err(LimitError::Directories { limit: 1 })
        );
        let before = tracker.stats();
        assert_eq!(
            tracker.sync_peerlist(2, &[]),
            Err(LimitError::Directories { limit: 1 })
        );
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
        assert_eq!(error, LimitError::Nicks { held: 2, limit: 2 });
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
        tracker.mark_gone(nick("alice"), 4);
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
}
