//! Time: when each (nick, directory) pair was last seen, and what lapses when it is not seen
//! again (the presence TTL, a gone report's grace period, a disconnected directory's hold).
//! Nothing lapses by itself: [`NickTracker::expire`] acts on what is due, so the caller
//! decides when (no thread, deterministic with a fake clock).
//!
//! Each kind of deadline waits in its own queue, so `expire` costs what is due, not what is
//! held: O((due + stale) log n), where the stale deadlines are those of pairs refreshed,
//! dropped or forgotten since their deadline was set (each is seen once, then re-queued for
//! its new deadline or discarded). Deadlines name their pair by slab keys with generations
//! ([`Pair`]), so one cannot act on a nick or directory that took over a freed key.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use super::config::{ChangeError, DirectoryId, Expiry};
use super::events::{Events, Order};
use super::records::{DirectoryKey, NickKey, Report};
use super::tracker::{NickTracker, Source};

/// A (nick, directory) pair, by keys and generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pair {
    pub nick: (NickKey, u32),
    pub directory: (DirectoryKey, u32),
}

pub(crate) struct Expiries {
    config: Expiry,
    /// Presence deadlines, soonest first; at most one per present pair
    /// ([`Report::ttl_queued`]), which may be stale: the pair may have been seen since.
    presence: BinaryHeap<Reverse<(u64, Pair)>>,
    /// Gone reports held back for their grace period, in deadline order (the clock does not
    /// go backwards, so neither do deadlines), each with the number `pending` must still have
    /// for it: a later present report, or another gone report, replaces or clears it.
    gone: VecDeque<(u64, NickKey, DirectoryKey, u64)>,
    pending: HashMap<(NickKey, DirectoryKey), u64>,
    next_gone: u64,
    /// Disconnections, in deadline order, with the time of the disconnection they are for.
    disconnected: VecDeque<(u64, (DirectoryKey, u32), u64)>,
    /// The directories the last [`NickTracker::expire`] removed, for the caller to log.
    removed: Vec<DirectoryId>,
}

impl Expiries {
    pub fn new(config: Expiry) -> Self {
        Expiries {
            config,
            presence: BinaryHeap::new(),
            gone: VecDeque::new(),
            pending: HashMap::new(),
            next_gone: 0,
            disconnected: VecDeque::new(),
            removed: Vec::new(),
        }
    }

    /// `report`, of `pair`, became present at `now`: a held-back gone report of it is void,
    /// and it gets a presence deadline unless it has one.
    pub fn on_present(&mut self, pair: Pair, report: &mut Report, now: u64) {
        self.cancel_gone(pair.nick.0, pair.directory.0);
        if let Some(ttl) = self.config.presence_ttl_ms
            && !report.ttl_queued()
        {
            report.set_ttl_queued(true);
            self.presence.push(Reverse((now.saturating_add(ttl), pair)));
        }
    }

    /// A present report voids a held-back gone report of the same pair.
    pub fn cancel_gone(&mut self, nick: NickKey, directory: DirectoryKey) {
        if !self.pending.is_empty() {
            self.pending.remove(&(nick, directory));
        }
    }

    /// Holds back a gone report received at `now` if a grace period is set; false if not.
    pub fn defer_gone(&mut self, nick: NickKey, directory: DirectoryKey, now: u64) -> bool {
        let Some(grace) = self.config.gone_grace_ms else {
            return false;
        };
        self.next_gone += 1;
        self.pending.insert((nick, directory), self.next_gone);
        let deadline = now.saturating_add(grace);
        self.gone
            .push_back((deadline, nick, directory, self.next_gone));
        true
    }

    /// A directory disconnected at `now`.
    pub fn on_disconnect(&mut self, directory: (DirectoryKey, u32), now: u64) {
        if let Some(hold) = self.config.disconnected_hold_ms {
            let deadline = now.saturating_add(hold);
            self.disconnected.push_back((deadline, directory, now));
        }
    }

    /// The next held-back gone report due at `now` that still stands.
    fn next_gone(&mut self, now: u64) -> Option<(NickKey, DirectoryKey)> {
        while let Some(&(deadline, nick, directory, number)) = self.gone.front() {
            if deadline > now {
                return None;
            }
            self.gone.pop_front();
            if self.pending.get(&(nick, directory)) == Some(&number) {
                self.pending.remove(&(nick, directory));
                return Some((nick, directory));
            }
        }
        None
    }

    fn next_presence(&mut self, now: u64) -> Option<Pair> {
        let &Reverse((deadline, pair)) = self.presence.peek()?;
        (deadline <= now).then(|| {
            self.presence.pop();
            pair
        })
    }

    fn next_disconnected(&mut self, now: u64) -> Option<((DirectoryKey, u32), u64)> {
        let &(deadline, directory, at) = self.disconnected.front()?;
        (deadline <= now).then(|| {
            self.disconnected.pop_front();
            (directory, at)
        })
    }
}

impl NickTracker {
    /// Acts on every deadline due now: held-back gone reports whose grace period passed
    /// without a present report take effect, pairs not seen within the presence TTL become
    /// gone on their directory, directories disconnected for longer than the hold are
    /// removed. Leaves are reported as for any change of many nicks. Fails only when the
    /// clock went backwards. Costs what is due (see the module documentation), not what is
    /// held.
    pub fn expire(&mut self) -> Result<&Events, ChangeError> {
        self.ledger.begin();
        let now = self.time.now()?;
        self.expiries.removed.clear();
        while let Some((nick_key, directory_key)) = self.expiries.next_gone(now) {
            let position = self.nicks[nick_key]
                .position(directory_key)
                .expect("a pending gone report is cleared when its pair is");
            self.set_report(nick_key, position, false, Source::Other, now);
        }
        if let Some(ttl) = self.config.expiry.presence_ttl_ms {
            while let Some(pair) = self.expiries.next_presence(now) {
                self.lapse(pair, ttl, now);
            }
        }
        while let Some((directory, at)) = self.expiries.next_disconnected(now) {
            let (key, generation) = directory;
            if self.directories.generation(key) == generation
                && let Some(entry) = self.directories.get(key)
                && !entry.connected
                && entry.disconnected_at == at
            {
                self.expiries.removed.push(entry.id);
                self.remove_known_directory(key);
            }
        }
        Ok(self.ledger.finish(Order::LeavesByFirstSeen))
    }

    /// The directories that the last [`NickTracker::expire`] removed (disconnected for
    /// longer than the hold), in the order it removed them.
    pub fn removed_by_last_expire(&self) -> &[DirectoryId] {
        &self.expiries.removed
    }

    /// A presence deadline came: the pair becomes gone if not seen since `now - ttl`, else
    /// waits for its new deadline.
    fn lapse(&mut self, pair: Pair, ttl: u64, now: u64) {
        let ((nick_key, nick_generation), (directory_key, directory_generation)) =
            (pair.nick, pair.directory);
        if self.nicks.generation(nick_key) != nick_generation
            || self.directories.generation(directory_key) != directory_generation
        {
            return; // the nick or the directory is gone: so is the pair
        }
        let Some(record) = self.nicks.get(nick_key) else {
            return;
        };
        let position = record
            .position(directory_key)
            .expect("a report lasts as long as its nick and directory");
        let seen = self.seen(nick_key, directory_key, position);
        let report = &mut self.nicks[nick_key].reports[position];
        if !report.present() {
            report.set_ttl_queued(false);
        } else if seen.saturating_add(ttl) <= now {
            report.set_ttl_queued(false);
            self.set_report(nick_key, position, false, Source::Other, now);
        } else {
            let deadline = seen.saturating_add(ttl);
            self.expiries.presence.push(Reverse((deadline, pair)));
        }
    }

    /// When `directory` last reported `nick` present or listed it, in clock milliseconds;
    /// `None` if the directory has no report of the nick (since the nick was last forgotten).
    /// A gone report does not change it: it stays the last time the nick was seen there.
    pub fn last_seen(&self, nick: &str, directory: DirectoryId) -> Option<u64> {
        let nick_key = self.find_nick(nick)?;
        let directory_key = *self.directory_keys.get(&directory)?;
        let position = self.nicks[nick_key].position(directory_key)?;
        Some(self.seen(nick_key, directory_key, position))
    }

    /// The latest [`NickTracker::last_seen`] of `nick` over every directory that reported
    /// it; `None` if the tracker does not hold it.
    pub fn last_seen_anywhere(&self, nick: &str) -> Option<u64> {
        let nick_key = self.find_nick(nick)?;
        let reports = self.nicks[nick_key].reports.iter().enumerate();
        let seen =
            reports.map(|(position, report)| self.seen(nick_key, report.directory, position));
        seen.max()
    }

    /// The pair's last-seen time: its report's, or its listing in the directory's last
    /// peerlist if that is later (a sync does not touch every listed nick one by one).
    fn seen(&self, nick_key: NickKey, directory_key: DirectoryKey, position: usize) -> u64 {
        let report = &self.nicks[nick_key].reports[position];
        let listed = match report.present() {
            true => self.directories[directory_key].memo.listed_at(nick_key),
            false => None,
        };
        report.last_seen().max(listed.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use crate::presence::testing::{nick, nicks, summary, tracker_at_zero};
    use crate::presence::{ChangeError, Config, Expiry};

    fn with(expiry: Expiry) -> Config {
        Config {
            expiry,
            ..Config::default()
        }
    }

    #[test]
    fn last_seen_is_the_latest_present_report_or_listing() {
        let (mut tracker, clock) = tracker_at_zero(Config::default());
        clock.set(10);
        tracker.sync_peerlist(1, &nicks(&["a", "b", "c"])).unwrap();
        clock.set(20);
        tracker.mark_present(nick("b"), 1).unwrap();
        tracker.mark_present(nick("b"), 2).unwrap();
        clock.set(30);
        // A resent list: its nicks are matched as bytes, not touched one by one.
        tracker.sync_peerlist(1, &nicks(&["a", "b"])).unwrap();
        assert_eq!(tracker.last_seen("a", 1), Some(30));
        assert_eq!(tracker.last_seen("b", 2), Some(20));
        assert_eq!(tracker.last_seen("b", 3), None);
        assert_eq!(tracker.last_seen_anywhere("b"), Some(30));
        clock.set(40);
        tracker.mark_gone(nick("a"), 1).unwrap();
        assert_eq!(tracker.last_seen("a", 1), None, "forgotten");
        tracker.mark_gone(nick("b"), 1).unwrap();
        assert_eq!(
            tracker.last_seen("b", 1),
            Some(30),
            "gone: still when last seen"
        );
    }

    #[test]
    fn pairs_not_seen_within_the_ttl_become_gone_at_expire() {
        let expiry = Expiry {
            presence_ttl_ms: Some(100),
            ..Expiry::default()
        };
        let (mut tracker, clock) = tracker_at_zero(with(expiry));
        tracker.mark_present(nick("a"), 1).unwrap();
        tracker.mark_present(nick("b"), 1).unwrap();
        tracker.mark_present(nick("b"), 2).unwrap();
        tracker.sync_peerlist(3, &nicks(&["c"])).unwrap();
        clock.set(60);
        tracker.mark_present(nick("a"), 1).unwrap(); // refreshed
        tracker.sync_peerlist(3, &nicks(&["c"])).unwrap(); // listed again
        clock.set(99);
        assert!(tracker.expire().unwrap().is_empty(), "nothing due yet");
        clock.set(100);
        // b is gone on 1 and 2 (it leaves with the last), a and c were refreshed.
        assert_eq!(
            summary(tracker.expire().unwrap()),
            [("leave", "b".into(), 2)]
        );
        assert_eq!(tracker.active_nicks(), ["a", "c"]);
        clock.set(160);
        let events = tracker.expire().unwrap();
        assert_eq!(
            summary(events),
            [("leave", "a".into(), 1), ("leave", "c".into(), 3)]
        );
        assert_eq!(tracker.stats().nicks, 0);
        assert!(tracker.expire().unwrap().is_empty());
    }

    #[test]
    fn times_keep_all_64_bits() {
        // A clock may start anywhere: times near 2^64 are kept and refreshed exactly.
        let expiry = Expiry {
            presence_ttl_ms: Some(60_000),
            ..Expiry::default()
        };
        let (mut tracker, clock) = tracker_at_zero(with(expiry));
        let start = 1 << 63;
        clock.set(start);
        tracker.mark_present(nick("a"), 1).unwrap();
        clock.set(start + 50_000);
        tracker.mark_present(nick("a"), 1).unwrap();
        assert_eq!(tracker.last_seen("a", 1), Some(start + 50_000));
        clock.set(start + 70_000);
        assert!(tracker.expire().unwrap().is_empty(), "refreshed 20 s ago");
        clock.set(start + 110_000);
        assert_eq!(tracker.expire().unwrap().len(), 1);
        clock.set(u64::MAX - 1);
        tracker.mark_present(nick("b"), 1).unwrap();
        assert_eq!(tracker.last_seen_anywhere("b"), Some(u64::MAX - 1));
    }

    #[test]
    fn a_gone_report_waits_out_its_grace_and_a_present_report_voids_it() {
        let expiry = Expiry {
            gone_grace_ms: Some(50),
            ..Expiry::default()
        };
        let (mut tracker, clock) = tracker_at_zero(with(expiry));
        tracker.sync_peerlist(1, &nicks(&["a", "b", "c"])).unwrap();
        clock.set(10);
        for name in ["a", "b", "c"] {
            assert!(
                tracker.mark_gone(nick(name), 1).unwrap().is_empty(),
                "held back"
            );
        }
        assert!(tracker.is_active("a"));
        clock.set(20);
        tracker.mark_present(nick("a"), 1).unwrap(); // the replacing connection is up
        tracker.begin_peerlist(1).unwrap();
        tracker.add_peerlist_chunk(1, b"b\0").unwrap(); // b listed again
        clock.set(59);
        assert!(tracker.expire().unwrap().is_empty());
        clock.set(60);
        assert_eq!(
            summary(tracker.expire().unwrap()),
            [("leave", "c".into(), 1)]
        );
        // A peerlist acts at once, grace or not.
        let events = tracker.sync_peerlist(1, &nicks(&["a"])).unwrap();
        assert_eq!(summary(events), [("leave", "b".into(), 1)]);
    }

    #[test]
    fn a_directory_disconnected_past_its_hold_is_removed() {
        let expiry = Expiry {
            disconnected_hold_ms: Some(1000),
            ..Expiry::default()
        };
        let (mut tracker, clock) = tracker_at_zero(with(expiry));
        tracker.sync_peerlist(1, &nicks(&["a"])).unwrap();
        tracker.sync_peerlist(2, &nicks(&["b"])).unwrap();
        tracker.set_directory_connected(1, false).unwrap();
        tracker.set_directory_connected(2, false).unwrap();
        clock.set(500);
        tracker.set_directory_connected(2, true).unwrap(); // back before its hold ran out
        clock.set(1000);
        assert!(tracker.expire().unwrap().is_empty(), "a had left already");
        assert_eq!(tracker.directory_stats(1), None);
        assert_eq!(
            tracker.removed_by_last_expire(),
            [1],
            "for the caller's log"
        );
        assert_eq!(tracker.stats().nicks, 1);
        assert!(tracker.is_active("b"));
        tracker.expire().unwrap();
        assert!(tracker.removed_by_last_expire().is_empty());
    }

    #[test]
    fn a_clock_that_goes_backwards_refuses_the_call_and_changes_nothing() {
        let (mut tracker, clock) = tracker_at_zero(Config::default());
        clock.set(50);
        tracker.mark_present(nick("a"), 1).unwrap();
        clock.set(40);
        let backwards = ChangeError::ClockWentBackwards { last: 50, now: 40 };
        assert_eq!(tracker.mark_present(nick("b"), 1).unwrap_err(), backwards);
        assert_eq!(tracker.mark_gone(nick("a"), 1).unwrap_err(), backwards);
        assert_eq!(tracker.sync_peerlist(1, &[]).unwrap_err(), backwards);
        assert_eq!(tracker.expire().unwrap_err(), backwards);
        assert_eq!(tracker.active_nicks(), ["a"]);
        assert_eq!(tracker.stats().directories, 1);
        clock.set(50);
        assert!(tracker.mark_gone(nick("a"), 1).is_ok());
    }
}
