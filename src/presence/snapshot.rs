//! Peerlists that arrive in chunks: JoinMarket directories send theirs as many messages of
//! about 20 entries, with no end marker, and a refresh can fail halfway. Feeding each chunk
//! as a whole peerlist would make the nicks of every other chunk gone (the false leaves this
//! library exists to prevent); a snapshot instead makes gone only what the complete list
//! left out, when the caller says it is complete.
//!
//! A snapshot is a stamp: its chunks stamp the members they list (present at once), as does
//! any present report on the directory meanwhile; commit makes gone the members it missed.
//! So it holds no memory of its own, a chunk costs what an update of each of its nicks
//! costs, and a commit costs one pass over the directory's members.

use super::config::{ChangeError, DirectoryId};
use super::events::{Events, Order};
use super::packed::PackedNicks;
use super::records::DirectoryKey;
use super::tracker::{NickTracker, Source};

impl NickTracker {
    /// Begins receiving `directory`'s peerlist in chunks; restarts it if one is open. An
    /// unknown directory becomes known (subject to the directory limit). Nothing changes
    /// until chunks come: no events.
    pub fn begin_peerlist(&mut self, directory: DirectoryId) -> Result<(), ChangeError> {
        self.ledger.begin();
        let directory_key = match self.directory_keys.get(&directory) {
            Some(&key) => key,
            None => {
                self.config.limits.check_directory(self.directories.len())?;
                self.insert_directory(directory)
            }
        };
        // The commit will change the directory's nicks outside a full sync: the memo of its
        // last full list could no longer vouch for them.
        let listing = self.directories[directory_key].memo.invalidate();
        self.record_listing(directory_key, listing);
        let entry = &mut self.directories[directory_key];
        if entry.snapshot.is_none() {
            self.open_snapshots += 1;
        }
        entry.snapshot = Some(entry.next_sync_stamp());
        Ok(())
    }

    /// Adds one chunk of `directory`'s open peerlist (packed nicks, as for
    /// [`NickTracker::sync_peerlist_bytes`]): its nicks are present on the directory at once
    /// (joins). All or nothing: a bad nick, or new nicks beyond the nick limit, refuse the
    /// chunk.
    pub fn add_peerlist_chunk(
        &mut self,
        directory: DirectoryId,
        chunk: &[u8],
    ) -> Result<&Events, ChangeError> {
        self.ledger.begin();
        let (directory_key, stamp) = self.open_snapshot(directory)?;
        let list = PackedNicks::new(chunk)?;
        if self.config.limits.max_nicks.is_some() {
            let new = self.count_unknown(list.iter());
            self.config.limits.check_nicks(self.nicks.len(), new)?;
        }
        let now = self.time.now()?;
        for nick in list.iter() {
            let nick_key = self.find_or_insert_nick(nick);
            self.list_present(nick_key, directory_key, stamp, Source::Other, now);
        }
        Ok(self.ledger.finish(Order::AsHappened))
    }

    /// Completes `directory`'s open peerlist: every nick it reported present that neither
    /// a chunk listed nor a present report named since it began becomes gone on it (leaves).
    pub fn commit_peerlist(&mut self, directory: DirectoryId) -> Result<&Events, ChangeError> {
        self.ledger.begin();
        let (directory_key, stamp) = self.open_snapshot(directory)?;
        let now = self.time.now()?;
        self.close_snapshot(directory_key);
        let unlisted: Vec<_> = self.directories[directory_key]
            .members
            .iter()
            .filter(|member| member.sync_stamp != stamp)
            .map(|member| member.nick)
            .collect();
        for nick_key in unlisted {
            let position = self.nicks[nick_key]
                .position(directory_key)
                .expect("a member has a report");
            self.set_report(nick_key, position, false, Source::Other, now);
        }
        let entry = &mut self.directories[directory_key];
        entry.peerlists += 1;
        entry.last_peerlist_at = Some(now);
        Ok(self.ledger.finish(Order::LeavesByFirstSeen))
    }

    /// Drops `directory`'s open peerlist: what its chunks listed stays present, nothing
    /// becomes gone.
    pub fn abort_peerlist(&mut self, directory: DirectoryId) -> Result<(), ChangeError> {
        self.ledger.begin();
        let (directory_key, _) = self.open_snapshot(directory)?;
        self.close_snapshot(directory_key);
        Ok(())
    }

    /// The directory's key and its open snapshot's stamp.
    fn open_snapshot(&self, directory: DirectoryId) -> Result<(DirectoryKey, u32), ChangeError> {
        let no_snapshot = ChangeError::NoSnapshot { directory };
        let directory_key = *self.directory_keys.get(&directory).ok_or(no_snapshot)?;
        let stamp = self.directories[directory_key]
            .snapshot
            .ok_or(no_snapshot)?;
        Ok((directory_key, stamp))
    }

    /// Closes the directory's snapshot if it has one (a full sync replaces it).
    pub(super) fn close_snapshot(&mut self, directory_key: DirectoryKey) {
        if self.directories[directory_key].snapshot.take().is_some() {
            self.open_snapshots -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::presence::testing::{nick, nicks, summary};
    use crate::presence::{ChangeError, Config, LimitError, Limits, NickTracker};

    fn packed(names: &[&str]) -> Vec<u8> {
        names.iter().flat_map(|n| n.bytes().chain([0])).collect()
    }

    fn chunk(tracker: &mut NickTracker, names: &[&str]) -> Vec<(&'static str, String, u64)> {
        summary(tracker.add_peerlist_chunk(1, &packed(names)).unwrap())
    }

    #[test]
    fn chunks_join_at_once_and_only_the_commit_drops_what_none_listed() {
        let mut tracker = NickTracker::new();
        tracker
            .sync_peerlist(1, &nicks(&["a", "b", "c", "d"]))
            .unwrap();
        tracker.begin_peerlist(1).unwrap();
        assert!(chunk(&mut tracker, &["b", "e"]) == [("join", "e".into(), 1)]);
        tracker.mark_present(nick("c"), 1).unwrap(); // reported since the list began
        assert_eq!(
            tracker.active_nicks(),
            ["a", "b", "c", "d", "e"],
            "nothing gone yet"
        );
        assert_eq!(chunk(&mut tracker, &["a"]), []);
        let events = tracker.commit_peerlist(1).unwrap();
        assert_eq!(summary(events), [("leave", "d".into(), 1)]);
        assert_eq!(tracker.active_nicks(), ["a", "b", "c", "e"]);
        let closed = ChangeError::NoSnapshot { directory: 1 };
        assert_eq!(tracker.commit_peerlist(1).unwrap_err(), closed);
        // The next full list of the directory is matched from scratch, and right.
        let events = tracker.sync_peerlist(1, &nicks(&["a", "e"])).unwrap();
        assert_eq!(
            summary(events),
            [("leave", "b".into(), 1), ("leave", "c".into(), 1)]
        );
    }

    #[test]
    fn an_aborted_or_closed_peerlist_makes_nothing_gone() {
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["a", "b"])).unwrap();
        tracker.begin_peerlist(1).unwrap();
        chunk(&mut tracker, &["c"]);
        tracker.abort_peerlist(1).unwrap();
        assert_eq!(
            tracker.active_nicks(),
            ["a", "b", "c"],
            "c stays, nothing left"
        );
        for close in 0..3 {
            tracker.begin_peerlist(1).unwrap();
            match close {
                0 => drop(tracker.sync_peerlist(1, &nicks(&["a", "b", "c"])).unwrap()),
                1 => drop(tracker.set_directory_connected(1, false).unwrap()),
                _ => drop(tracker.remove_directory(1)),
            }
            let error = tracker.add_peerlist_chunk(1, b"a\0").unwrap_err();
            assert_eq!(error, ChangeError::NoSnapshot { directory: 1 });
            tracker.set_directory_connected(1, true).unwrap();
        }
        assert_eq!(tracker.stats().directories, 1);
    }

    #[test]
    fn beginning_again_restarts_and_a_bad_chunk_changes_nothing() {
        let config = Config {
            limits: Limits {
                max_nicks: Some(3),
                max_directories: None,
            },
            ..Config::default()
        };
        let mut tracker = NickTracker::with_config(config);
        tracker.sync_peerlist(1, &nicks(&["a", "b"])).unwrap();
        tracker.begin_peerlist(1).unwrap();
        chunk(&mut tracker, &["a"]);
        tracker.begin_peerlist(1).unwrap(); // restarts: a must be listed again
        let bad = tracker.add_peerlist_chunk(1, b"b\0\xff\0").unwrap_err();
        assert!(matches!(bad, ChangeError::Peerlist(_)));
        let too_many = tracker.add_peerlist_chunk(1, &packed(&["b", "x", "y"]));
        let refusal = LimitError::Nicks { held: 2, limit: 3 };
        assert_eq!(too_many.unwrap_err(), ChangeError::Limit(refusal));
        chunk(&mut tracker, &["b", "x"]);
        let events = tracker.commit_peerlist(1).unwrap();
        assert_eq!(summary(events), [("leave", "a".into(), 1)]);
        assert_eq!(tracker.active_nicks(), ["b", "x"]);
        let stats = tracker.directory_stats(1).unwrap();
        assert_eq!(
            (stats.peerlists, stats.snapshot_open, stats.nicks),
            (2, false, 2)
        );
    }
}
