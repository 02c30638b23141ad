//! Peerlist syncs: making a directory's view match the full list it sent.
//!
//! A sync first matches the list against a reference, once ([`plan::match_list`]): the
//! directory's own last peerlist while its [memo](memo) is exact, or else the last list of the
//! directory synced last, whose nicks it likely shares in the same order. Then:
//!
//! - *incremental*: against its own memo, when every nick the matching could not place is new
//!   to the directory (or changed by a single report since) and listed once, only those nicks,
//!   the ones the list dropped and the ones changed since are touched. Steady resends cost a
//!   byte comparison per nick.
//! - *general*: otherwise (a first list, a reordered one, repeats), every listed nick is
//!   looked up (unless the matching already has its key) and stamped, then every member the
//!   stamp missed is marked gone.
//!
//! Raw bytes from C are validated on the way ([`plan::assemble`]): what matched the reference
//! byte for byte was valid, so only the other nicks are checked, while the list is copied
//! into the buffer that becomes the directory's memo.

pub(crate) mod memo;
mod plan;

use std::collections::HashSet;

use self::memo::{LastPeerlist, SinceLastSync};
use self::plan::{Matching, UNMATCHED};
use super::config::{ChangeError, DirectoryId, LimitError};
use super::events::{Events, Order};
use super::nick::Nick;
use super::packed::{PackedNicks, Peerlist, PeerlistError};
use super::records::{DirectoryKey, NickKey};
use super::tracker::{NickTracker, Source};

pub(crate) use memo::PeerlistMemo;

/// What syncs keep between calls.
#[derive(Default)]
pub(crate) struct SyncState {
    /// The buffer of the last memo a sync replaced, for the next sync's copy: steady syncs of
    /// long lists then allocate nothing. Only ever a buffer of an accepted list.
    spare: String,
    /// The nicks a sync marks gone.
    unlisted: Vec<NickKey>,
    /// The directory synced last, whose memo a directory's first list borrows keys from.
    last_synced: Option<DirectoryKey>,
}

/// A list matched and copied, not applied yet.
struct Copied {
    /// What changed since the directory's own last list, if that was the reference.
    own: Option<SinceLastSync>,
    matching: Matching,
    copy: Peerlist,
    /// Whether `copy` is in the spare buffer (else in a new one).
    spare: bool,
}

impl NickTracker {
    /// Makes `directory`'s view match its peerlist: every listed nick becomes present on
    /// `directory`, and every nick that `directory` reported present but is not listed becomes
    /// gone on it. Listing a nick twice is the same as listing it once.
    ///
    /// This is a whole peerlist at once: it replaces a peerlist being received in chunks
    /// ([`NickTracker::begin_peerlist`]), if one is open. Fails without changing anything if
    /// the new nicks (or a new directory) would exceed a limit, or the clock went backwards.
    pub fn sync_peerlist(
        &mut self,
        directory: DirectoryId,
        peerlist: &[Nick<'_>],
    ) -> Result<&Events, ChangeError> {
        let size = peerlist.iter().map(|nick| nick.as_str().len() + 1).sum();
        let mut bytes = Vec::with_capacity(size);
        for nick in peerlist {
            bytes.extend_from_slice(nick.as_str().as_bytes());
            bytes.push(0);
        }
        self.sync_peerlist_bytes(directory, &bytes)
    }

    /// [`NickTracker::sync_peerlist`] for a list already packed and validated.
    pub fn sync_peerlist_packed(
        &mut self,
        directory: DirectoryId,
        peerlist: PackedNicks<'_>,
    ) -> Result<&Events, ChangeError> {
        self.sync_peerlist_bytes(directory, peerlist.as_bytes())
    }

    /// [`NickTracker::sync_peerlist_packed`] for bytes not validated yet, as peerlists arrive
    /// from C: fails on bad bytes with the error [`PackedNicks::new`] gives, on a limit or on
    /// the clock, in every case changing nothing and keeping no memory.
    pub fn sync_peerlist_bytes(
        &mut self,
        directory: DirectoryId,
        bytes: &[u8],
    ) -> Result<&Events, ChangeError> {
        self.ledger.begin();
        if bytes.last().is_some_and(|&last| last != 0) {
            return Err(PeerlistError::Unterminated.into());
        }
        let known = self.directory_keys.get(&directory).copied();
        let Copied {
            own,
            mut matching,
            copy,
            spare,
        } = self.match_and_copy(known, bytes)?;
        let refusal = self.check_room_for_sync(known, copy.view());
        let now = refusal
            .map_err(ChangeError::from)
            .and_then(|()| self.time.now());
        let now = match now {
            Ok(now) => now,
            Err(refusal) => {
                if spare {
                    self.sync.spare = copy.into_buffer();
                }
                return Err(refusal);
            }
        };
        let directory_key = known.unwrap_or_else(|| self.insert_directory(directory));
        self.close_snapshot(directory_key);
        let list = copy.view();
        let keys = match own {
            Some(since) if self.is_exact(directory_key, &since, &mut matching, list) => {
                let changed = since.into_changed();
                self.sync_incrementally(directory_key, list, matching, changed, now)
            }
            _ => self.sync_fully(directory_key, list, &matching.keys, now),
        };
        let last = keys.map(|keys| LastPeerlist {
            list: copy,
            keys,
            listed_at: now,
        });
        let entry = &mut self.directories[directory_key];
        entry.peerlists += 1;
        entry.last_peerlist_at = Some(now);
        if let Some(replaced) = entry.memo.replace(last) {
            self.sync.spare = replaced.into_buffer();
        }
        self.sync.last_synced = Some(directory_key);
        Ok(self.ledger.finish(Order::LeavesByFirstSeen))
    }

    /// Matches `bytes` (ending with a NUL, or empty) against the best reference there is, and
    /// checks and copies them as it found them. On a bad nick, fails having kept nothing.
    fn match_and_copy(
        &mut self,
        known: Option<DirectoryKey>,
        bytes: &[u8],
    ) -> Result<Copied, PeerlistError> {
        let own = known.and_then(|key| self.directories[key].memo.reference());
        let borrowed = || {
            let key = self.sync.last_synced.filter(|&key| Some(key) != known)?;
            self.directories.get(key)?.memo.reference()
        };
        let (own, last, matching) = match own {
            Some((last, since)) => {
                let matching = plan::match_list(last, &since, bytes);
                (Some(since), Some(last), matching)
            }
            None => match borrowed() {
                Some((last, since)) => {
                    let matching = plan::match_list(last, &since, bytes);
                    (None, Some(last), matching)
                }
                None => (None, None, Matching::default()),
            },
        };
        let last_text = last.map_or("", |last| last.list.view().as_str());
        // The copy goes into the spare buffer if it fits, else into a new one, which a
        // refusal drops: the tracker keeps no buffer of a list it refused.
        let spare = self.sync.spare.capacity() >= bytes.len();
        let mut buffer = Peerlist::recycle(std::mem::take(&mut self.sync.spare), bytes.len());
        match plan::assemble(&matching, last_text, bytes, &mut buffer) {
            Ok(len) => Ok(Copied {
                own,
                matching,
                copy: Peerlist::assembled(buffer, len),
                spare,
            }),
            Err(error) => {
                if spare {
                    self.sync.spare = buffer;
                }
                Err(error)
            }
        }
    }

    /// Whether the matching against the directory's own memo is exact: it reached the end of
    /// the list (it did not give up), and every nick it could not place is looked up (filling
    /// in its key) and must be new to the directory (or changed since the last list) and
    /// listed once.
    fn is_exact(
        &self,
        directory_key: DirectoryKey,
        since: &SinceLastSync,
        matching: &mut Matching,
        list: PackedNicks<'_>,
    ) -> bool {
        if matching.keys.len() != list.len() {
            return false; // gave up: the rest of the list is for the general path
        }
        let mut unmatched: Vec<&str> = Vec::new();
        for (index, bytes) in &mut matching.to_list {
            let Some(range) = bytes.clone() else { continue };
            let nick = list.nick_at(range).as_str();
            unmatched.push(nick);
            if let Some(nick_key) = self.find_nick(nick) {
                let record = &self.nicks[nick_key];
                if record.reports_present(directory_key) == Some(true) && !since.changed(nick_key) {
                    return false; // listed before, now out of order or repeated
                }
                // Held already: only its key was unknown.
                matching.keys[*index] = nick_key;
                *bytes = None;
            }
        }
        unmatched.sort_unstable();
        !unmatched.windows(2).any(|pair| pair[0] == pair[1])
    }

    /// The general sync: every listed nick is looked up (unless `hints` has its key) and
    /// stamped, then every member the stamp missed is marked gone. Returns the keys of the
    /// list, unless it has repeats.
    fn sync_fully(
        &mut self,
        directory_key: DirectoryKey,
        list: PackedNicks<'_>,
        hints: &[NickKey],
        now: u64,
    ) -> Option<Vec<NickKey>> {
        let stamp = self.directories[directory_key].next_sync_stamp();
        let mut keys = Vec::with_capacity(list.len());
        let mut repeats = false;
        for (index, nick) in list.iter().enumerate() {
            let nick_key = match hints.get(index) {
                Some(&key) if key != UNMATCHED => key,
                _ => self.find_or_insert_nick(nick),
            };
            debug_assert_eq!(&*self.nicks[nick_key].name, nick.as_str());
            keys.push(nick_key);
            repeats |= !self.list_present(nick_key, directory_key, stamp, Source::OwnPeerlist, now);
        }
        // Unlisted members: the nicks this list dropped, and those already reported gone.
        let mut unlisted = std::mem::take(&mut self.sync.unlisted);
        unlisted.extend(
            self.directories[directory_key]
                .members
                .iter()
                .filter(|member| member.sync_stamp != stamp)
                .map(|member| member.nick),
        );
        for &nick_key in &unlisted {
            let position = self.nicks[nick_key]
                .position(directory_key)
                .expect("a member has a report");
            self.set_report(nick_key, position, false, Source::OwnPeerlist, now);
        }
        unlisted.clear();
        self.sync.unlisted = unlisted;
        (!repeats).then_some(keys)
    }

    /// The incremental sync: unmatched nicks are added, and they and the matched nicks that
    /// changed since are set present; the dropped nicks, and changed ones the list leaves
    /// out, become gone. Nicks set present here are stamped, so none is dropped twice.
    /// Returns the keys of the list, unless it has repeats.
    fn sync_incrementally(
        &mut self,
        directory_key: DirectoryKey,
        list: PackedNicks<'_>,
        matching: Matching,
        changed: Vec<NickKey>,
        now: u64,
    ) -> Option<Vec<NickKey>> {
        let stamp = self.directories[directory_key].next_sync_stamp();
        let Matching {
            mut keys,
            to_list,
            dropped,
            ..
        } = matching;
        let mut repeats = false;
        for (index, new_nick) in to_list {
            if let Some(range) = new_nick {
                keys[index] = self.find_or_insert_nick(list.nick_at(range));
            }
            repeats |=
                !self.list_present(keys[index], directory_key, stamp, Source::OwnPeerlist, now);
        }
        let mut unlisted = dropped;
        unlisted.extend_from_slice(&changed);
        unlisted.sort_unstable();
        unlisted.dedup();
        for nick_key in unlisted {
            let record = &self.nicks[nick_key];
            let position = record
                .position(directory_key)
                .expect("a nick of the last peerlist or changed since has a report");
            let slot = record.reports[position].slot();
            if self.directories[directory_key].members[slot as usize].sync_stamp != stamp {
                self.set_report(nick_key, position, false, Source::OwnPeerlist, now);
            }
        }
        if repeats {
            // Not kept as the memo, which would have said when the nicks it matched in runs
            // were seen: they say it themselves.
            self.mark_listed(directory_key, &keys, now);
            return None;
        }
        Some(keys)
    }

    /// Records in each report that the directory listed the nick at `now`.
    fn mark_listed(&mut self, directory_key: DirectoryKey, keys: &[NickKey], now: u64) {
        for &nick_key in keys {
            let record = &mut self.nicks[nick_key];
            let position = record.position(directory_key).expect("listed, so reported");
            record.reports[position].saw(now);
        }
    }

    /// Marks the nick present on the directory as listed, at `now`, in the peerlist with
    /// `stamp` (a full one or a snapshot); false if it was already listed (a repeat).
    pub(super) fn list_present(
        &mut self,
        nick_key: NickKey,
        directory_key: DirectoryKey,
        stamp: u32,
        source: Source,
        now: u64,
    ) -> bool {
        let position = self.report_position(nick_key, directory_key);
        let report = &mut self.nicks[nick_key].reports[position];
        report.saw(now);
        let slot = report.slot();
        let member = &mut self.directories[directory_key].members[slot as usize];
        let first = member.sync_stamp != stamp;
        member.sync_stamp = stamp;
        if !self.set_report(nick_key, position, true, source, now) {
            // Already present: listed again, which voids a held-back gone report.
            self.expiries.cancel_gone(nick_key, directory_key);
        }
        first
    }

    /// Refuses a sync whose outcome would know one directory too many, or hold more nicks
    /// than the limit: the new nicks it lists, less the nicks it drops that no other
    /// directory reports present. So a directory at the limit can still replace some of its
    /// nicks.
    fn check_room_for_sync(
        &self,
        directory_key: Option<DirectoryKey>,
        list: PackedNicks<'_>,
    ) -> Result<(), LimitError> {
        let limits = self.config.limits;
        if directory_key.is_none() {
            limits.check_directory(self.directories.len())?;
        }
        if limits.max_nicks.is_none() {
            return Ok(());
        }
        let new = self.count_unknown(list.iter());
        let refusal = match limits.check_nicks(self.nicks.len(), new) {
            Ok(()) => return Ok(()),
            Err(refusal) => refusal,
        };
        let Some(directory_key) = directory_key else {
            return Err(refusal);
        };
        let freed = self.count_dropped_alone(directory_key, list);
        limits
            .check_nicks(self.nicks.len(), new.saturating_sub(freed))
            .map_err(|_| refusal)
    }

    /// How many nicks a sync of `list` would forget: those the directory alone reports
    /// present and the list leaves out.
    fn count_dropped_alone(&self, directory_key: DirectoryKey, list: PackedNicks<'_>) -> usize {
        let listed: HashSet<NickKey> = list
            .iter()
            .filter_map(|nick| self.find_nick(nick.as_str()))
            .collect();
        let nicks = &self.nicks;
        self.directories[directory_key]
            .members
            .iter()
            .filter(|member| !listed.contains(&member.nick))
            .filter(|member| {
                let record = &nicks[member.nick];
                record.present == 1 && record.reports_present(directory_key) == Some(true)
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::testing::{nick, nicks, summary};

    fn directories(tracker: &NickTracker, name: &str) -> Vec<DirectoryId> {
        tracker.active_directories(name).collect()
    }

    fn present(tracker: &mut NickTracker, name: &str, directory: DirectoryId) {
        tracker.mark_present(nick(name), directory).unwrap();
    }

    #[test]
    fn an_incremental_sync_redoes_what_single_updates_changed_since_the_last_one() {
        let mut tracker = NickTracker::new();
        tracker
            .sync_peerlist(1, &nicks(&["a", "b", "c", "d"]))
            .unwrap();
        present(&mut tracker, "b", 2);
        tracker.mark_gone(nick("b"), 1).unwrap();
        present(&mut tracker, "x", 1);
        present(&mut tracker, "c", 1); // no change
        let key = tracker.directory_keys[&1];
        assert!(tracker.directories[key].memo.is_exact());
        let events = tracker
            .sync_peerlist(1, &nicks(&["a", "b", "c", "e"]))
            .unwrap();
        assert_eq!(
            summary(events),
            [
                ("leave", "d".into(), 1),
                ("leave", "x".into(), 1),
                ("join", "e".into(), 1),
            ]
        );
        assert!(tracker.directories[key].memo.is_exact());
        assert_eq!(directories(&tracker, "b"), [1, 2], "present on 1 again");
        assert_eq!(tracker.active_nicks(), ["a", "b", "c", "e"]);
        // Reordered and repeated lists take the general path, with the same outcome.
        let events = tracker
            .sync_peerlist(1, &nicks(&["e", "a", "e", "c"]))
            .unwrap();
        assert!(events.is_empty());
        assert_eq!(directories(&tracker, "b"), [2]);
        assert_eq!(directories(&tracker, "e"), [1]);
    }

    #[test]
    fn a_forgotten_nick_whose_key_is_reused_cannot_match_the_last_peerlist() {
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["a", "b"])).unwrap();
        tracker.mark_gone(nick("b"), 1).unwrap(); // b is forgotten; its key is free
        present(&mut tracker, "z", 2); // and reused
        let events = tracker.sync_peerlist(1, &nicks(&["a", "b"])).unwrap();
        assert_eq!(summary(events), [("join", "b".into(), 1)]);
        assert_eq!(directories(&tracker, "z"), [2]);
        assert_eq!(directories(&tracker, "b"), [1]);
    }

    #[test]
    fn a_first_peerlist_borrows_keys_from_another_directory_but_never_stale_ones() {
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["a", "b", "c"])).unwrap();
        tracker.mark_gone(nick("b"), 1).unwrap(); // b is forgotten; its key is free
        present(&mut tracker, "z", 3); // and reused
        // Directory 2's first list matches directory 1's, the last synced, in order.
        let events = tracker
            .sync_peerlist(2, &nicks(&["a", "b", "c", "d"]))
            .unwrap();
        let joins = [("join", "b".into(), 2), ("join", "d".into(), 2)];
        assert_eq!(summary(events), joins);
        assert_eq!(directories(&tracker, "a"), [1, 2]);
        assert_eq!(directories(&tracker, "b"), [2]);
        assert_eq!(directories(&tracker, "c"), [1, 2]);
        assert_eq!(directories(&tracker, "z"), [3]);
        // A list in another order takes keys only where they match.
        let events = tracker
            .sync_peerlist(4, &nicks(&["d", "c", "z", "a"]))
            .unwrap();
        assert!(events.is_empty());
        assert_eq!(directories(&tracker, "z"), [3, 4]);
        assert_eq!(directories(&tracker, "d"), [2, 4]);
        assert_eq!(tracker.stats().nicks, 5);
    }

    #[test]
    fn a_long_list_of_new_nicks_is_synced_whole_and_can_be_resent() {
        // 40 new nicks: the matching against the last list gives up after 32 of them, and
        // the general path must take the whole list, not only what was matched.
        let names: Vec<String> = (0..40).map(|i| format!("new{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["alice", "bob"])).unwrap();
        for resend in 0..2 {
            let events = tracker.sync_peerlist(1, &nicks(&names)).unwrap();
            let expected = if resend == 0 { 42 } else { 0 };
            assert_eq!(
                events.len(),
                expected,
                "2 leaves and 40 joins, then nothing"
            );
            assert_eq!(tracker.active_nicks().len(), 40);
        }
        let key = tracker.directory_keys[&1];
        assert!(tracker.directories[key].memo.is_exact());
        tracker.sync_peerlist(2, &nicks(&names)).unwrap();
        assert_eq!(tracker.stats().nicks, 40);
        assert_eq!(directories(&tracker, "new39"), [1, 2]);
    }

    #[test]
    fn a_stale_stamp_cannot_match_after_the_stamps_wrap_around() {
        let mut tracker = NickTracker::new();
        tracker
            .sync_peerlist(1, &nicks(&["alice", "bob", "carol"]))
            .unwrap();
        let key = tracker.directory_keys[&1];
        // The next sync wraps around to stamp 1, which "bob" carries from long ago.
        tracker.directories[key].sync_stamp = u32::MAX;
        tracker.directories[key].members[1].sync_stamp = 1;
        tracker.directories[key].memo.invalidate(); // take the stamping path
        let events = tracker.sync_peerlist(1, &nicks(&["alice"])).unwrap();
        assert_eq!(
            summary(events),
            [("leave", "bob".into(), 1), ("leave", "carol".into(), 1)]
        );
        assert_eq!(tracker.directories[key].sync_stamp, 1);
    }
}
