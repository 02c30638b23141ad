//! The tracking rules, in plain safe Rust with no knowledge of C.
//!
//! A nick is *active* while at least one connected directory reports it present. A directory
//! that loses sight of a nick does not make it leave: only when every directory that reported
//! the nick has also reported it gone (or has been removed, or is disconnected) does the nick
//! leave, once. That is what keeps one flapping directory connection from producing false
//! "peer left" events. A nick that no directory reports present at all is forgotten.
//!
//! Methods return [`Event`]s instead of calling anything, so the caller (the C layer) can run
//! user callbacks after it has released its lock.
//!
//! # Layout and cost
//!
//! Nick strings come from untrusted peers, so they are hashed with std's randomly keyed
//! SipHash (a peer cannot precompute colliding nicks) and stored once, in their record; the
//! index holds only record keys. Everything else refers to nicks and directories by `u32`
//! slab keys. Presence is stored twice, from both sides, so each operation touches only
//! what it is asked about:
//!
//! - each nick keeps its [`Report`]s: which directories reported it, in first-report order,
//!   whether each reports it present, and where the nick sits in each directory's members;
//! - each directory keeps its [`Member`]s: every nick it reported, with the stamp of the
//!   last peerlist that listed it.
//!
//! An update touches only the nick's side (the hash slot, the record and its reports). The
//! record also keeps two bits per directory key under 64 (has a report, reports present),
//! so the most common update, a directory repeating itself, is answered from the record.
//!
//! A sync first matches the peerlist against the directory's previous one, kept as packed
//! bytes with the nicks' keys: directories resend their lists in a stable order with a few
//! nicks gone and a few new, so the two lists are compared as bytes, a vector of them at a
//! time, and the nicks in runs that match cost no hashing at all; only new, dropped and
//! singly-updated nicks are looked up. Raw bytes from C are validated on the way
//! (`sync_peerlist_bytes`): a run that matches the last list byte for byte is valid, as that
//! list was, so only the nicks between runs are checked. Lists that do not fit that shape (a
//! directory's first, reordered, repeated nicks, or too many updates in between) take the
//! general path: look up every nick, stamp its member entry, then mark the unstamped members
//! gone. Even then, the list is first matched against the last directory synced, since
//! directories list much the same peers in much the same order, and the nicks that match
//! need no lookup.
//!
//! With `d` = the number of directories that reported one nick (at most the number of
//! directories, a small number in practice), `k` = nicks that changed:
//!
//! | operation                         | cost (expected)                                  |
//! |-----------------------------------|--------------------------------------------------|
//! | `update` / `mark_*`               | O(d): one hash lookup, a scan of d 12-byte reports (O(1), no scan, for a repeated report from one of the first 64 directories) |
//! | `sync_peerlist(dir, list)`        | O(len(list) + k * d); general path O(len(list) * d + members of dir) |
//! | `remove_directory(dir)`           | O(members of dir * d)                            |
//! | `set_directory_connected`         | O(members of dir * d)                            |
//! | `is_active`, `len`, `stats`       | O(1)                                             |
//! | `active_directories`, `pick_*`    | O(d)                                             |
//! | `active_nicks`                    | O(N log N) (sorted by first seen)                |
//!
//! Batch operations add O(k log k) to order their k events. No operation allocates in
//! proportion to the total state, only to its own list and events.

use std::collections::HashMap;

use hashbrown::HashTable;
use std::fmt;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::ops::Range;
use std::sync::Arc;

use thiserror::Error;

use super::event::{Event, EventKind};
use super::nick::Nick;
use super::peerlist::{
    PackedNicks, Peerlist, PeerlistError, common_prefix, first_nul, same_nick, whole_nicks,
};
use super::slab::{Key, Slab};

/// A directory server, identified by a number the caller chooses.
pub type DirectoryId = u64;

/// How [`NickTracker::pick_directory`] chooses among a nick's active directories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PickMode {
    /// Uniformly at random, as the JoinMarket daemon does, so no directory sees all of a
    /// client's private messages.
    #[default]
    Random,
    /// In turn, per nick: deterministic, for tests.
    RoundRobin,
}

/// Caps that keep a flood of fake nicks or directories from exhausting memory. `None` means
/// unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most nicks the tracker holds at once (active or kept for a disconnected directory).
    pub max_nicks: Option<usize>,
    /// The most directories the tracker knows at once.
    pub max_directories: Option<usize>,
}

/// Everything settable when a tracker is created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Config {
    pub limits: Limits,
    pub pick: PickMode,
}

/// A change refused because it would exceed a [`Limits`] cap. The tracker is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LimitError {
    #[error("nick limit reached: the tracker holds {held} nicks, the limit is {limit}")]
    Nicks { held: usize, limit: usize },
    #[error("directory limit reached: the tracker knows {limit} directories")]
    Directories { limit: usize },
}

/// Why [`NickTracker::sync_peerlist_bytes`] refused a peerlist. The tracker is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SyncError {
    #[error(transparent)]
    Peerlist(#[from] PeerlistError),
    #[error(transparent)]
    Limit(#[from] LimitError),
}

/// Counters for monitoring. All are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Nicks held: the active ones plus those reported present only by disconnected
    /// directories.
    pub nicks: usize,
    pub active_nicks: usize,
    pub directories: usize,
    pub connected_directories: usize,
    /// Join events produced since the tracker was created.
    pub joins: u64,
    /// Leave events produced since the tracker was created.
    pub leaves: u64,
}

type NickKey = Key;
type DirectoryKey = Key;

/// Per-nick presence across directories. See the module documentation for the rules.
pub struct NickTracker {
    /// Nick name -> key. The table stores only keys (4 bytes each) and compares names in the
    /// records, so each nick's bytes are stored once.
    nick_index: HashTable<NickKey>,
    /// Randomly keyed SipHash, so peers cannot choose nicks that collide.
    nick_hasher: RandomState,
    nicks: Slab<NickRecord>,
    directory_keys: HashMap<DirectoryId, DirectoryKey, DirectoryIdHasher>,
    directories: Slab<Directory>,
    connected_directories: usize,
    ledger: Ledger,
    config: Config,
    rng: SplitMix64,
    /// Reused by `sync_peerlist` for the nicks a peerlist dropped.
    scratch: Vec<NickKey>,
    /// The bytes of the last peerlist a sync replaced, reused for the next one: steady syncs
    /// of long lists then allocate nothing for their bytes.
    spare_buffer: String,
    /// The directory synced last, whose peerlist a directory's first sync matches against.
    last_synced: Option<DirectoryKey>,
}

struct NickRecord {
    name: Box<str>,
    /// When the nick last became active, as a counter: the "first seen" order in which batch
    /// operations report leaves and `active_nicks` lists nicks.
    activated: u64,
    /// How many connected directories report the nick present; active while > 0.
    live: u32,
    /// How many directories, connected or not, report it present; forgotten at 0.
    present: u32,
    /// Next position for round-robin picks.
    pick_cursor: u32,
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
    reports: Vec<Report>,
}

/// A nick's link to one directory that reported it (12 bytes: a nick has one per directory).
struct Report {
    key: DirectoryKey,
    /// Index of the nick's entry in that directory's `members`.
    slot: u32,
    /// Whether the directory's latest report says present (counted only while connected).
    present: bool,
}

struct Directory {
    id: DirectoryId,
    connected: bool,
    /// Stamp of the latest full peerlist sync; members listed in it carry the same stamp.
    sync_stamp: u32,
    members: Vec<Member>,
    /// The last peerlist synced, for matching the next one against it.
    last_peerlist: LastPeerlist,
    /// Whether the three fields above and below describe this directory: then the nicks
    /// present here are those of `last_peerlist`, except that single updates may have
    /// reported the nicks in `changed_since_sync` gone or present since, and those in
    /// `forgotten_since_sync` were forgotten (their keys may now belong to other nicks).
    /// Cleared after too many updates between two syncs.
    matches_last_peerlist: bool,
    /// Held nicks whose report here changed through single updates since the last sync,
    /// with repeats. With `forgotten_since_sync`, bounded by [`MAX_CHANGES_BETWEEN_SYNCS`].
    changed_since_sync: Vec<NickKey>,
    /// Keys of changed nicks that were then forgotten. A nick of `last_peerlist` can only be
    /// forgotten after an update reported it gone here, so this covers every stale key.
    forgotten_since_sync: Vec<NickKey>,
}

/// Past this many single updates between two syncs of a directory, its next sync takes the
/// general path instead of matching against the last peerlist.
const MAX_CHANGES_BETWEEN_SYNCS: usize = 1024;

/// A directory's last peerlist, without repeats, with each nick's key in list order.
#[derive(Default)]
struct LastPeerlist {
    list: Peerlist,
    keys: Vec<NickKey>,
}

/// Stands for the key of a listed nick that a sync plan could not match (slabs never hand
/// it out); the sync fills in the real key when it looks the nick up.
const UNMATCHED: NickKey = NickKey::MAX;

/// What an incremental sync does: the key of every listed nick (or [`UNMATCHED`]); the
/// listed nicks it must set present, in list order, by their index (with their bytes if the
/// tracker does not hold them yet); the nicks of the last peerlist it drops; and the nicks
/// changed by single updates since (sorted), whose reports it must set again.
struct SyncPlan {
    keys: Vec<NickKey>,
    to_list: Vec<(usize, Option<Range<usize>>)>,
    dropped: Vec<NickKey>,
    changed: Vec<NickKey>,
}

impl SyncPlan {
    /// Matches `new` against `last` (see [`NickTracker::plan_incremental_sync`]): the keys of
    /// the nicks listed again, in runs; unmatched nicks, to look up; and the nicks of `last`
    /// that `new` skips. With `patience`, gives up after that many unmatched nicks in a row,
    /// leaving the keys of the rest out.
    ///
    /// With `copy`, `new` is raw bytes, not yet known to be a valid list (it must end with a
    /// NUL): every nick outside a run is checked, and the list is appended to `copy` as it
    /// is matched, from `last`'s text for runs. Runs need no check: they are byte for byte
    /// whole nicks of `last`, which was valid. Returns `None` at the first bad nick.
    fn match_against(
        last: &LastPeerlist,
        since: &SinceLastSync,
        new: &[u8],
        capacity: usize,
        patience: Option<usize>,
        mut copy: Option<&mut String>,
    ) -> Option<SyncPlan> {
        /// How many consecutive dropped nicks the matching skips over.
        const LOOKAHEAD: usize = 8;
        debug_assert!(copy.is_none() || new.last() == Some(&0));
        let held = |key: &&NickKey| !since.forgot(**key);
        let old_text = last.list.view().as_str();
        let old = old_text.as_bytes();
        let mut plan = SyncPlan {
            keys: Vec::with_capacity(capacity),
            to_list: Vec::new(),
            dropped: Vec::new(),
            changed: Vec::new(),
        };
        let (mut at, mut old_at, mut old_index, mut misses) = (0, 0, 0, 0);
        while at < new.len() && patience.is_none_or(|patience| misses < patience) {
            let same = common_prefix(&new[at..], &old[old_at..]);
            let (count, run) = whole_nicks(&new[at..at + same]);
            plan.take_run(since, &last.keys[old_index..old_index + count], new, at);
            if let Some(copy) = copy.as_deref_mut() {
                copy.push_str(&old_text[old_at..old_at + run]);
            }
            (at, old_at, old_index) = (at + run, old_at + run, old_index + count);
            if count > 0 {
                misses = 0;
            }
            if at == new.len() {
                break;
            }
            // The nick at `at` differs from the last list's next one.
            let end = at + first_nul(&new[at..]);
            let mut probe = old_at;
            let mut found = None;
            for skipped in 0..LOOKAHEAD {
                if probe == old.len() {
                    break;
                }
                let probe_end = probe + first_nul(&old[probe..]);
                if same_nick(&old[probe..probe_end], &new[at..end]) {
                    found = Some((skipped, probe..probe_end));
                    break;
                }
                probe = probe_end + 1;
            }
            match found {
                Some((skipped, old_nick)) => {
                    if let Some(copy) = copy.as_deref_mut() {
                        copy.push_str(&old_text[old_nick.start..=old_nick.end]);
                    }
                    let skipped_keys = &last.keys[old_index..old_index + skipped];
                    plan.dropped.extend(skipped_keys.iter().filter(held));
                    let key = &last.keys[old_index + skipped..][..1];
                    plan.take_run(since, key, new, at);
                    (old_at, old_index, misses) = (old_nick.end + 1, old_index + skipped + 1, 0);
                }
                None => {
                    if let Some(copy) = copy.as_deref_mut() {
                        copy.push_str(Nick::from_bytes(&new[at..end]).ok()?.as_str());
                        copy.push('\0');
                    }
                    plan.to_list.push((plan.keys.len(), Some(at..end)));
                    plan.keys.push(UNMATCHED);
                    misses += 1;
                }
            }
            at = end + 1;
        }
        plan.dropped
            .extend(last.keys[old_index..].iter().filter(held));
        Some(plan)
    }

    /// Takes `keys`, the keys of a run of the last peerlist listed again from `run_start`
    /// in `new`, noting those that single updates changed or forgot since.
    fn take_run(&mut self, since: &SinceLastSync, keys: &[NickKey], new: &[u8], run_start: usize) {
        let first = self.keys.len();
        self.keys.extend_from_slice(keys);
        if since.is_empty() {
            return;
        }
        for (offset, &key) in keys.iter().enumerate() {
            if !since.may_hold(key) {
                continue;
            }
            let index = first + offset;
            if since.forgot(key) {
                // The key may belong to another nick by now: look the nick up like a new one.
                let mut start = run_start;
                for _ in 0..offset {
                    start += first_nul(&new[start..]) + 1;
                }
                let end = start + first_nul(&new[start..]);
                self.keys[index] = UNMATCHED;
                self.to_list.push((index, Some(start..end)));
            } else if since.changed(key) {
                self.to_list.push((index, None));
            }
        }
    }
}

/// The nicks single updates changed on a directory since its last sync, and those of them
/// that were then forgotten, for testing each matched nick against: a 4096-bit filter
/// answers almost every test with one bit, sorted lists the rest.
struct SinceLastSync {
    filter: [u64; 64],
    changed: Vec<NickKey>,
    forgotten: Vec<NickKey>,
}

impl SinceLastSync {
    fn new(directory: &Directory) -> Self {
        let mut since = SinceLastSync {
            filter: [0; 64],
            changed: directory.changed_since_sync.clone(),
            forgotten: directory.forgotten_since_sync.clone(),
        };
        for list in [&mut since.changed, &mut since.forgotten] {
            list.sort_unstable();
            list.dedup();
        }
        for &key in since.changed.iter().chain(&since.forgotten) {
            since.filter[(key as usize / 64) % 64] |= 1 << (key % 64);
        }
        since
    }

    fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.forgotten.is_empty()
    }

    fn may_hold(&self, key: NickKey) -> bool {
        self.filter[(key as usize / 64) % 64] & (1 << (key % 64)) != 0
    }

    fn changed(&self, key: NickKey) -> bool {
        self.may_hold(key) && self.changed.binary_search(&key).is_ok()
    }

    /// Whether `key` belonged to a nick of the last peerlist that has been forgotten since.
    fn forgot(&self, key: NickKey) -> bool {
        self.may_hold(key) && self.forgotten.binary_search(&key).is_ok()
    }
}

/// A directory's link back to one nick it reported.
struct Member {
    nick: NickKey,
    sync_stamp: u32,
}

/// Event bookkeeping: counters and the events of the operation in progress.
#[derive(Default)]
struct Ledger {
    active_nicks: usize,
    next_activation: u64,
    joins: u64,
    leaves: u64,
    /// Events of the current operation, each with the ordering key it is reported in: the
    /// leaving nick's activation stamp, or for a join its new one.
    pending: Vec<(u64, Event)>,
}

impl Ledger {
    /// A connected directory now reports the nick present.
    fn gain(&mut self, record: &mut NickRecord, directory: DirectoryId) {
        record.live += 1;
        if record.live == 1 {
            record.activated = self.next_activation;
            self.next_activation += 1;
            self.active_nicks += 1;
            self.joins += 1;
            self.push(record, EventKind::Join, directory);
        }
    }

    /// A connected directory no longer reports the nick present.
    fn lose(&mut self, record: &mut NickRecord, directory: DirectoryId) {
        record.live -= 1;
        if record.live == 0 {
            self.active_nicks -= 1;
            self.leaves += 1;
            self.push(record, EventKind::Leave, directory);
        }
    }

    fn push(&mut self, record: &NickRecord, kind: EventKind, directory: DirectoryId) {
        let event = Event {
            kind,
            nick: Arc::from(&*record.name),
            directory,
        };
        self.pending.push((record.activated, event));
    }

    /// The current operation's events: leaves in the order the nicks were first seen, joins
    /// in the order they happened (joins always come last, having the newest stamps).
    fn take(&mut self) -> Vec<Event> {
        if self.pending.is_empty() {
            return Vec::new(); // most calls: no allocation, nothing to sort
        }
        // Taken, not drained: a batch of a million joins must not leave its buffer behind.
        let mut pending = std::mem::take(&mut self.pending);
        if pending.len() > 1 {
            pending.sort_unstable_by_key(|&(order, _)| order);
        }
        pending.into_iter().map(|(_, event)| event).collect()
    }
}

impl NickRecord {
    /// Where the report of the directory with this key is in `reports`.
    fn position(&self, key: DirectoryKey) -> Option<usize> {
        let scan = || self.reports.iter().position(|report| report.key == key);
        if key < 64 && self.reported_bits & (1 << key) == 0 {
            debug_assert_eq!(scan(), None);
            return None;
        }
        scan()
    }

    /// Whether the directory with this key reports the nick present, if the record can tell
    /// without reading the reports (keys under 64).
    fn present_on(&self, key: DirectoryKey) -> Option<bool> {
        let known = (key < 64).then(|| self.present_bits & (1 << key) != 0);
        debug_assert!(known.is_none_or(|bit| {
            bit == self
                .position(key)
                .is_some_and(|position| self.reports[position].present)
        }));
        known
    }

    /// Adds the report of a directory that has not reported the nick yet (as not present),
    /// with its bit; returns its position.
    fn add_report(&mut self, report: Report) -> usize {
        debug_assert!(!report.present && self.position(report.key).is_none());
        if report.key < 64 {
            self.reported_bits |= 1 << report.key;
        }
        self.reports.push(report);
        self.reports.len() - 1
    }

    /// Removes the report at `position` with its bits (the directory's key may be reused by
    /// a new directory); returns whether it said present.
    fn remove_report(&mut self, position: usize) -> bool {
        let key = self.reports[position].key;
        let was_present = self.reports[position].present;
        self.set_report(position, false);
        self.reports.remove(position);
        if key < 64 {
            self.reported_bits &= !(1 << key);
        }
        was_present
    }

    /// Sets the report at `position` present or gone, with its bit.
    fn set_report(&mut self, position: usize, present: bool) {
        let key = self.reports[position].key;
        let was = self.reports[position].present;
        debug_assert!(self.present_on(key).is_none_or(|bit| bit == was));
        self.reports[position].present = present;
        if key < 64 {
            let bit = 1 << key;
            self.present_bits = if present {
                self.present_bits | bit
            } else {
                self.present_bits & !bit
            };
        }
    }
}

impl Directory {
    fn new(id: DirectoryId) -> Self {
        Directory {
            id,
            connected: true,
            sync_stamp: 0,
            members: Vec::new(),
            last_peerlist: LastPeerlist::default(),
            matches_last_peerlist: false,
            changed_since_sync: Vec::new(),
            forgotten_since_sync: Vec::new(),
        }
    }

    /// A stamp no member carries yet. Members start at 0, which is never handed out.
    fn next_sync_stamp(&mut self) -> u32 {
        self.sync_stamp = self.sync_stamp.wrapping_add(1);
        if self.sync_stamp == 0 {
            // After 2^32 syncs of one directory: clear old stamps so none can match.
            self.members.iter_mut().for_each(|m| m.sync_stamp = 0);
            self.sync_stamp = 1;
        }
        self.sync_stamp
    }
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
            nick_index: HashTable::new(),
            nick_hasher: RandomState::new(),
            nicks: Slab::default(),
            directory_keys: HashMap::default(),
            directories: Slab::default(),
            connected_directories: 0,
            ledger: Ledger::default(),
            config,
            rng: SplitMix64::from_entropy(),
            scratch: Vec::new(),
            spare_buffer: String::new(),
            last_synced: None,
        }
    }

    pub fn config(&self) -> Config {
        self.config
    }

    /// Whether `directory` is connected; `None` if the tracker does not know it.
    pub fn directory_connected(&self, directory: DirectoryId) -> Option<bool> {
        let key = *self.directory_keys.get(&directory)?;
        Some(self.directories[key].connected)
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
    ) -> Result<Vec<Event>, LimitError> {
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
    ) -> Result<Vec<Event>, LimitError> {
        let known_nick = self.find_nick(nick.as_str());
        let known_directory = self.directory_keys.get(&directory).copied();
        // The common case: a directory repeating itself.
        if let (Some(nick_key), Some(directory_key)) = (known_nick, known_directory) {
            let record = &self.nicks[nick_key];
            if record.present_on(directory_key) == Some(true) {
                return Ok(self.ledger.take()); // already present: nothing changes
            }
            if let Some(position) = record.position(directory_key) {
                if self.set_present(nick_key, position) {
                    self.note_update(nick_key, directory_key);
                }
                return Ok(self.ledger.take());
            }
        }
        // The directory limit first, as in sync_peerlist, so both report the same refusal.
        if known_directory.is_none() {
            self.check_room_for_directory()?;
        }
        if known_nick.is_none() {
            self.check_room_for_nicks(1)?;
        }
        let directory_key = known_directory.unwrap_or_else(|| self.insert_directory(directory));
        let nick_key = known_nick.unwrap_or_else(|| self.insert_nick(nick));
        let position = self.add_report(nick_key, directory_key);
        self.set_present(nick_key, position);
        self.note_update(nick_key, directory_key);
        Ok(self.ledger.take())
    }

    /// Records that `directory` reports `nick` gone. The nick leaves if this was the last
    /// connected directory reporting it present.
    pub fn mark_gone(&mut self, nick: Nick<'_>, directory: DirectoryId) -> Vec<Event> {
        let Some(nick_key) = self.find_nick(nick.as_str()) else {
            return Vec::new();
        };
        if let Some(&directory_key) = self.directory_keys.get(&directory)
            && let Some(position) = self.nicks[nick_key].position(directory_key)
            && self.nicks[nick_key].reports[position].present
        {
            // Noted first: if this forgets the nick, forget() sees it among the changes.
            self.note_update(nick_key, directory_key);
            self.set_gone(nick_key, position);
        }
        self.ledger.take()
    }

    /// Makes `directory`'s view match its peerlist: every listed nick becomes present on
    /// `directory`, and every nick that `directory` reported present but is not listed becomes
    /// gone on it. Listing a nick twice is the same as listing it once.
    ///
    /// Fails without changing anything if the new nicks (or a new directory) would exceed a
    /// limit.
    pub fn sync_peerlist(
        &mut self,
        directory: DirectoryId,
        peerlist: &[Nick<'_>],
    ) -> Result<Vec<Event>, LimitError> {
        let list = Peerlist::pack(peerlist, std::mem::take(&mut self.spare_buffer));
        self.sync_list(directory, list)
    }

    /// [`NickTracker::sync_peerlist`] for a list already packed and validated.
    pub fn sync_peerlist_packed(
        &mut self,
        directory: DirectoryId,
        peerlist: PackedNicks<'_>,
    ) -> Result<Vec<Event>, LimitError> {
        let list = Peerlist::copy_of(peerlist, std::mem::take(&mut self.spare_buffer));
        self.sync_list(directory, list)
    }

    /// [`NickTracker::sync_peerlist_packed`] for bytes not validated yet, as peerlists arrive
    /// from C: fails on bad bytes with the error [`PackedNicks::new`] gives, or on a limit,
    /// either way changing nothing.
    ///
    /// Quicker than validating first when the directory resends much the same list as last
    /// time, the usual case: the runs of nicks that are byte for byte the same as in its last
    /// peerlist were valid then, so only the nicks between runs are checked. Lists that do
    /// not take that path (a directory's first, a reordered one, one after many single
    /// updates), and every list while a nick limit is set, are validated as a whole first.
    pub fn sync_peerlist_bytes(
        &mut self,
        directory: DirectoryId,
        bytes: &[u8],
    ) -> Result<Vec<Event>, SyncError> {
        if let Some(events) = self.sync_checking_by_matching(directory, bytes) {
            return Ok(events);
        }
        let peerlist = PackedNicks::new(bytes)?;
        Ok(self.sync_peerlist_packed(directory, peerlist)?)
    }

    /// The incremental sync of unvalidated `bytes`, checked as they are matched against the
    /// directory's last peerlist; `None`, having changed nothing, if that does not apply,
    /// fails, or finds a bad nick (the general path then names it).
    fn sync_checking_by_matching(
        &mut self,
        directory: DirectoryId,
        bytes: &[u8],
    ) -> Option<Vec<Event>> {
        let directory_key = self.directory_keys.get(&directory).copied()?;
        if self.config.limits.max_nicks.is_some() || bytes.last() != Some(&0) {
            return None;
        }
        let mut text = Peerlist::recycle(std::mem::take(&mut self.spare_buffer), bytes.len());
        let Some((plan, len)) = self.plan_unchecked_sync(directory_key, bytes, &mut text) else {
            self.spare_buffer = text;
            return None;
        };
        let peerlist = Peerlist::assembled(text, len);
        let last = self.sync_incrementally(directory_key, peerlist, plan);
        Some(self.finish_sync(directory_key, last))
    }

    /// A sync of `peerlist`, which becomes the directory's last peerlist.
    fn sync_list(
        &mut self,
        directory: DirectoryId,
        peerlist: Peerlist,
    ) -> Result<Vec<Event>, LimitError> {
        let known_directory = self.directory_keys.get(&directory).copied();
        let room = match known_directory {
            None => self.check_room_for_directory(),
            Some(_) => Ok(()),
        };
        let room = room.and_then(|()| match self.config.limits.max_nicks {
            Some(_) => self.check_room_for_sync(known_directory, peerlist.view()),
            None => Ok(()),
        });
        if let Err(refusal) = room {
            self.spare_buffer = peerlist.into_buffer();
            return Err(refusal);
        }
        let directory_key = known_directory.unwrap_or_else(|| self.insert_directory(directory));
        let last = match self.plan_incremental_sync(directory_key, peerlist.view()) {
            Some(plan) => self.sync_incrementally(directory_key, peerlist, plan),
            None => self.sync_fully(directory_key, peerlist),
        };
        Ok(self.finish_sync(directory_key, last))
    }

    /// Keeps `last` (if any) as the directory's last peerlist, recycling the one it replaces,
    /// and returns the sync's events.
    fn finish_sync(
        &mut self,
        directory_key: DirectoryKey,
        last: Option<LastPeerlist>,
    ) -> Vec<Event> {
        let directory = &mut self.directories[directory_key];
        // A list with repeats is not kept: the next sync takes the general path.
        directory.matches_last_peerlist = last.is_some();
        let replaced = std::mem::replace(&mut directory.last_peerlist, last.unwrap_or_default());
        directory.changed_since_sync.clear();
        directory.forgotten_since_sync.clear();
        self.spare_buffer = replaced.list.into_buffer();
        self.last_synced = Some(directory_key);
        self.ledger.take()
    }

    /// The general sync: every listed nick is looked up and stamped, then every member the
    /// stamp missed is marked gone. Returns the peerlist to remember, unless it has repeats.
    fn sync_fully(
        &mut self,
        directory_key: DirectoryKey,
        peerlist: Peerlist,
    ) -> Option<LastPeerlist> {
        let stamp = self.directories[directory_key].next_sync_stamp();
        let hints = self.key_hints(directory_key, peerlist.view());
        let mut keys = Vec::with_capacity(peerlist.view().len());
        let mut repeats = false;
        for (index, nick) in peerlist.view().iter().enumerate() {
            let nick_key = match hints.get(index) {
                Some(&key) if key != UNMATCHED => key,
                _ => self.find_or_insert_nick(nick),
            };
            debug_assert_eq!(
                self.nicks[nick_key].name.as_bytes(),
                nick.as_str().as_bytes()
            );
            keys.push(nick_key);
            repeats |= !self.list_present(nick_key, directory_key, stamp);
        }

        // Unlisted members: the nicks this peerlist dropped, and those already reported gone.
        let mut unlisted = std::mem::take(&mut self.scratch);
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
            self.set_gone(nick_key, position);
        }
        unlisted.clear();
        self.scratch = unlisted;
        (!repeats).then_some(LastPeerlist {
            list: peerlist,
            keys,
        })
    }

    /// Matches `peerlist` against the directory's last one. Directories resend their
    /// peerlists in a stable order, with a few nicks gone and a few new ones, so the two
    /// lists are compared as bytes, a word at a time, and each run of nicks listed again in
    /// the same order costs no hashing and no pointer chasing: its keys are copied from the
    /// last list. Between runs, a nick is matched against the next few of the last list
    /// (skipping nicks the directory dropped) or else looked up.
    ///
    /// Returns `None` (sync fully) when the directory's last peerlist cannot be vouched for,
    /// or a nick the directory already lists appears out of order or twice: the plan is exact
    /// only when every unmatched nick is new to the directory (or was changed by a single
    /// update since the last sync) and listed once.
    fn plan_incremental_sync(
        &self,
        directory_key: DirectoryKey,
        peerlist: PackedNicks<'_>,
    ) -> Option<SyncPlan> {
        let new = peerlist.as_bytes();
        let (since, plan) =
            self.match_last_peerlist(directory_key, new, Some(peerlist.len()), None)?;
        self.check_unmatched(directory_key, since, plan, peerlist)
    }

    /// [`NickTracker::plan_incremental_sync`] for `bytes` not validated yet (but ending with
    /// a NUL), which are checked and copied into `text` as they are matched. Also returns
    /// how many nicks they hold. `None` if a nick is bad, or as for a valid list.
    fn plan_unchecked_sync(
        &self,
        directory_key: DirectoryKey,
        bytes: &[u8],
        text: &mut String,
    ) -> Option<(SyncPlan, usize)> {
        let (since, plan) = self.match_last_peerlist(directory_key, bytes, None, Some(text))?;
        let len = plan.keys.len();
        let peerlist = PackedNicks::assembled(text, len);
        let plan = self.check_unmatched(directory_key, since, plan, peerlist)?;
        Some((plan, len))
    }

    /// Matches `new` (`len` nicks, if known) against the directory's last peerlist, if it
    /// can be vouched for; with `copy`, checking `new` (see [`SyncPlan::match_against`]).
    fn match_last_peerlist(
        &self,
        directory_key: DirectoryKey,
        new: &[u8],
        len: Option<usize>,
        copy: Option<&mut String>,
    ) -> Option<(SinceLastSync, SyncPlan)> {
        let directory = &self.directories[directory_key];
        if !directory.matches_last_peerlist {
            return None;
        }
        let since = SinceLastSync::new(directory);
        let last = &directory.last_peerlist;
        let capacity = len.unwrap_or(last.keys.len() + last.keys.len() / 16);
        let plan = SyncPlan::match_against(last, &since, new, capacity, None, copy)?;
        Some((since, plan))
    }

    /// Completes a plan matched against the directory's last peerlist: looks up the nicks
    /// it could not match, or returns `None` if one is held and listed already (the list is
    /// out of order) or one is listed twice.
    fn check_unmatched(
        &self,
        directory_key: DirectoryKey,
        since: SinceLastSync,
        mut plan: SyncPlan,
        peerlist: PackedNicks<'_>,
    ) -> Option<SyncPlan> {
        let mut unmatched: Vec<&str> = Vec::new();
        for (index, bytes) in &mut plan.to_list {
            let Some(range) = bytes.clone() else { continue };
            let nick = peerlist.nick_at(range).as_str();
            unmatched.push(nick);
            if let Some(nick_key) = self.find_nick(nick) {
                if self.is_present_on(nick_key, directory_key) && !since.changed(nick_key) {
                    return None; // listed before, now out of order or repeated
                }
                // Held already: only its bytes were unknown.
                plan.keys[*index] = nick_key;
                *bytes = None;
            }
        }
        unmatched.sort_unstable();
        if unmatched.windows(2).any(|pair| pair[0] == pair[1]) {
            return None;
        }
        plan.changed = since.changed;
        Some(plan)
    }

    /// Keys for the nicks of `peerlist` that the last directory synced (if not this one) also
    /// lists, in the same order, or [`UNMATCHED`] (or none, past the end of the result) for
    /// nicks to look up. Directories list much the same peers, in much the same order (that
    /// of their connecting), so a first peerlist, as on connecting or reconnecting, can skip
    /// most lookups; if the orders differ, matching gives up early and costs little.
    fn key_hints(&self, directory_key: DirectoryKey, peerlist: PackedNicks<'_>) -> Vec<NickKey> {
        /// Unmatched nicks in a row after which the orders are taken to differ.
        const PATIENCE: usize = 32;
        let reference = self
            .last_synced
            .filter(|&key| key != directory_key)
            .and_then(|key| self.directories.get(key))
            .filter(|reference| reference.matches_last_peerlist);
        let Some(reference) = reference else {
            return Vec::new();
        };
        // Its changed nicks are still held under the same keys; forgotten ones are not.
        let since = SinceLastSync::new(reference);
        let last = &reference.last_peerlist;
        let (new, len) = (peerlist.as_bytes(), peerlist.len());
        SyncPlan::match_against(last, &since, new, len, Some(PATIENCE), None)
            .expect("a validated list is not checked again")
            .keys
    }

    /// Applies a plan from [`NickTracker::plan_incremental_sync`]. Matched nicks are
    /// present and stay so, unless a single update changed them (then they are set present
    /// again); unmatched ones become present; the dropped nicks, and changed ones the list
    /// leaves out, become gone. Nicks set present here are stamped, so none is dropped twice.
    /// Returns the peerlist to remember, unless it has repeats.
    fn sync_incrementally(
        &mut self,
        directory_key: DirectoryKey,
        peerlist: Peerlist,
        plan: SyncPlan,
    ) -> Option<LastPeerlist> {
        let stamp = self.directories[directory_key].next_sync_stamp();
        let SyncPlan {
            mut keys,
            to_list,
            dropped,
            changed,
        } = plan;
        let mut repeats = false;
        for (index, new_nick) in to_list {
            if let Some(range) = new_nick {
                keys[index] = self.insert_nick(peerlist.view().nick_at(range));
            }
            repeats |= !self.list_present(keys[index], directory_key, stamp);
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
            let slot = record.reports[position].slot;
            if self.directories[directory_key].members[slot as usize].sync_stamp != stamp {
                self.set_gone(nick_key, position);
            }
        }
        (!repeats).then_some(LastPeerlist {
            list: peerlist,
            keys,
        })
    }

    /// Marks the nick present on the directory as listed in the peerlist being synced, with
    /// `stamp`; false if it was already listed (a repeat).
    fn list_present(&mut self, nick_key: NickKey, directory_key: DirectoryKey, stamp: u32) -> bool {
        let position = self.report_position(nick_key, directory_key);
        let first = self.stamp_member(nick_key, position, directory_key, stamp);
        self.set_present(nick_key, position);
        first
    }

    /// Stamps the nick's member entry in the directory; false if it already had `stamp`
    /// (the nick is listed twice).
    fn stamp_member(
        &mut self,
        nick_key: NickKey,
        position: usize,
        directory_key: DirectoryKey,
        stamp: u32,
    ) -> bool {
        let slot = self.nicks[nick_key].reports[position].slot;
        let member = &mut self.directories[directory_key].members[slot as usize];
        let first = member.sync_stamp != stamp;
        member.sync_stamp = stamp;
        first
    }

    fn is_present_on(&self, nick_key: NickKey, directory_key: DirectoryKey) -> bool {
        let record = &self.nicks[nick_key];
        record
            .position(directory_key)
            .is_some_and(|position| record.reports[position].present)
    }

    /// Forgets everything `directory` reported, as when it is dropped for good. Nicks that no
    /// remaining connected directory reports present leave.
    pub fn remove_directory(&mut self, directory: DirectoryId) -> Vec<Event> {
        let Some(directory_key) = self.directory_keys.remove(&directory) else {
            return Vec::new();
        };
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
        self.ledger.take()
    }

    /// Marks `directory`'s connection down (`connected == false`) or back up.
    ///
    /// While down, the directory's reports are kept but do not count: nicks it alone reported
    /// present leave. When it is back up they count again and those nicks join, until its
    /// next peerlist says otherwise. Reports that arrive while it is down are recorded the
    /// same way. An unknown directory is created in the given state (subject to the
    /// directory limit); setting the current state again does nothing.
    pub fn set_directory_connected(
        &mut self,
        directory: DirectoryId,
        connected: bool,
    ) -> Result<Vec<Event>, LimitError> {
        let directory_key = match self.directory_keys.get(&directory) {
            Some(&key) => key,
            None => {
                self.check_room_for_directory()?;
                self.insert_directory(directory)
            }
        };
        let entry = &mut self.directories[directory_key];
        if entry.connected == connected {
            return Ok(Vec::new());
        }
        entry.connected = connected;
        let nicks = &self.nicks;
        let present = entry
            .members
            .iter()
            .map(|member| member.nick)
            .filter(|&nick| {
                let record = &nicks[nick];
                let position = record
                    .position(directory_key)
                    .expect("a member has a report");
                record.reports[position].present
            });
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
        Ok(self.ledger.take())
    }

    /// Whether at least one connected directory reports `nick` present.
    pub fn is_active(&self, nick: &str) -> bool {
        self.record(nick).is_some_and(|record| record.live > 0)
    }

    /// The connected directories that report `nick` present, in the order they first
    /// reported it. Empty for a nick that is not active.
    pub fn active_directories(&self, nick: &str) -> impl Iterator<Item = DirectoryId> + '_ {
        self.record(nick)
            .into_iter()
            .flat_map(|record| record.reports.iter())
            .filter(|report| self.counts(report))
            .map(|report| self.directories[report.key].id)
    }

    /// One of `nick`'s active directories to send it a message through, chosen as the
    /// tracker's [`PickMode`] says; `None` if the nick is not active.
    pub fn pick_directory(&mut self, nick: &str) -> Option<DirectoryId> {
        let nick_key = self.find_nick(nick)?;
        let record = &self.nicks[nick_key];
        let choices = record.live as usize;
        if choices == 0 {
            return None;
        }
        let index = match self.config.pick {
            PickMode::Random => self.rng.below(choices),
            PickMode::RoundRobin => {
                let cursor = record.pick_cursor as usize % choices;
                self.nicks[nick_key].pick_cursor = (cursor + 1) as u32;
                cursor
            }
        };
        self.active_directories(nick).nth(index)
    }

    /// All active nicks, in the order they were first seen (since they last became active).
    pub fn active_nicks(&self) -> Vec<&str> {
        let mut nicks: Vec<(u64, &str)> = self
            .nicks
            .iter()
            .filter(|(_, record)| record.live > 0)
            .map(|(_, record)| (record.activated, &*record.name))
            .collect();
        nicks.sort_unstable_by_key(|&(activated, _)| activated);
        nicks.into_iter().map(|(_, nick)| nick).collect()
    }

    /// The number of active nicks.
    pub fn len(&self) -> usize {
        self.ledger.active_nicks
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> Stats {
        Stats {
            nicks: self.nicks.len(),
            active_nicks: self.ledger.active_nicks,
            directories: self.directories.len(),
            connected_directories: self.connected_directories,
            joins: self.ledger.joins,
            leaves: self.ledger.leaves,
        }
    }

    fn record(&self, nick: &str) -> Option<&NickRecord> {
        self.find_nick(nick).map(|key| &self.nicks[key])
    }

    /// Whether `report` makes its nick active: present on a connected directory.
    fn counts(&self, report: &Report) -> bool {
        report.present && self.directories[report.key].connected
    }

    fn check_room_for_nicks(&self, new: usize) -> Result<(), LimitError> {
        match self.config.limits.max_nicks {
            Some(limit) if new > 0 && self.nicks.len() + new > limit => Err(LimitError::Nicks {
                held: self.nicks.len(),
                limit,
            }),
            _ => Ok(()),
        }
    }

    fn check_room_for_directory(&self) -> Result<(), LimitError> {
        match self.config.limits.max_directories {
            Some(limit) if self.directories.len() >= limit => {
                Err(LimitError::Directories { limit })
            }
            _ => Ok(()),
        }
    }

    /// Refuses a sync whose outcome would hold more nicks than the limit: the new nicks it
    /// lists, less the nicks it drops that no other directory reports present. So a
    /// directory at the limit can still replace some of its nicks.
    fn check_room_for_sync(
        &mut self,
        directory_key: Option<DirectoryKey>,
        peerlist: PackedNicks<'_>,
    ) -> Result<(), LimitError> {
        let new = self.count_unknown(peerlist);
        let refusal = match self.check_room_for_nicks(new) {
            Ok(()) => return Ok(()),
            Err(refusal) => refusal,
        };
        let Some(directory_key) = directory_key else {
            return Err(refusal);
        };
        let freed = self.count_dropped_alone(directory_key, peerlist);
        self.check_room_for_nicks(new.saturating_sub(freed))
            .map_err(|_| refusal)
    }

    /// How many nicks a sync of `peerlist` would forget: those the directory alone reports
    /// present and the list leaves out. Stamps the listed members with a fresh stamp, which
    /// the sync itself supersedes (stamps mean nothing between syncs).
    fn count_dropped_alone(
        &mut self,
        directory_key: DirectoryKey,
        peerlist: PackedNicks<'_>,
    ) -> usize {
        let stamp = self.directories[directory_key].next_sync_stamp();
        for nick in peerlist.iter() {
            if let Some(nick_key) = self.find_nick(nick.as_str())
                && let Some(position) = self.nicks[nick_key].position(directory_key)
            {
                let slot = self.nicks[nick_key].reports[position].slot;
                self.directories[directory_key].members[slot as usize].sync_stamp = stamp;
            }
        }
        let nicks = &self.nicks;
        self.directories[directory_key]
            .members
            .iter()
            .filter(|member| member.sync_stamp != stamp)
            .filter(|member| {
                let record = &nicks[member.nick];
                let position = record
                    .position(directory_key)
                    .expect("a member has a report");
                record.present == 1 && record.reports[position].present
            })
            .count()
    }

    /// How many distinct nicks in `peerlist` the tracker does not hold yet.
    fn count_unknown(&self, peerlist: PackedNicks<'_>) -> usize {
        let mut unknown: Vec<&str> = peerlist
            .iter()
            .map(|nick| nick.as_str())
            .filter(|nick| self.find_nick(nick).is_none())
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        unknown.len()
    }

    fn insert_nick(&mut self, nick: Nick<'_>) -> NickKey {
        // A nick first reported by a disconnected directory is not active yet, but its
        // creation still orders it among the others should that directory reconnect.
        let first_seen = self.ledger.next_activation;
        self.ledger.next_activation += 1;
        let key = self.nicks.insert(NickRecord {
            name: nick.as_str().into(),
            activated: first_seen,
            live: 0,
            present: 0,
            pick_cursor: 0,
            present_bits: 0,
            reported_bits: 0,
            reports: Vec::new(),
        });
        let (nicks, hasher) = (&self.nicks, &self.nick_hasher);
        let hash = hash_nick(hasher, nick.as_str().as_bytes());
        self.nick_index.insert_unique(hash, key, |&key| {
            hash_nick(hasher, nicks[key].name.as_bytes())
        });
        key
    }

    fn find_nick(&self, nick: &str) -> Option<NickKey> {
        let hash = hash_nick(&self.nick_hasher, nick.as_bytes());
        self.nick_index
            .find(hash, |&key| &*self.nicks[key].name == nick)
            .copied()
    }

    fn insert_directory(&mut self, directory: DirectoryId) -> DirectoryKey {
        let key = self.directories.insert(Directory::new(directory));
        self.directory_keys.insert(directory, key);
        self.connected_directories += 1;
        key
    }

    fn find_or_insert_nick(&mut self, nick: Nick<'_>) -> NickKey {
        match self.find_nick(nick.as_str()) {
            Some(key) => key,
            None => self.insert_nick(nick),
        }
    }

    /// The position of the directory's report in the nick's reports, added (as not present)
    /// if the directory has not reported the nick yet.
    fn report_position(&mut self, nick_key: NickKey, directory_key: DirectoryKey) -> usize {
        match self.nicks[nick_key].position(directory_key) {
            Some(position) => position,
            None => self.add_report(nick_key, directory_key),
        }
    }

    /// Links a nick and a directory that has not reported it yet (as not present); returns
    /// the position of the new report in the nick's reports.
    fn add_report(&mut self, nick_key: NickKey, directory_key: DirectoryKey) -> usize {
        let directory = &mut self.directories[directory_key];
        let slot = u32::try_from(directory.members.len()).expect("u32::MAX members");
        directory.members.push(Member {
            nick: nick_key,
            sync_stamp: 0,
        });
        self.nicks[nick_key].add_report(Report {
            key: directory_key,
            slot,
            present: false,
        })
    }

    /// Marks the nick's report at `position` present; false if it already was.
    fn set_present(&mut self, nick_key: NickKey, position: usize) -> bool {
        let record = &mut self.nicks[nick_key];
        let report = &record.reports[position];
        if report.present {
            return false;
        }
        let entry = &self.directories[report.key];
        record.set_report(position, true);
        record.present += 1;
        if entry.connected {
            self.ledger.gain(record, entry.id);
        }
        true
    }

    /// Marks the nick's report at `position` gone, forgetting the nick if no report is left
    /// present; false if it already was gone.
    fn set_gone(&mut self, nick_key: NickKey, position: usize) -> bool {
        let record = &mut self.nicks[nick_key];
        let report = &record.reports[position];
        if !report.present {
            return false;
        }
        let entry = &self.directories[report.key];
        record.set_report(position, false);
        record.present -= 1;
        if entry.connected {
            self.ledger.lose(record, entry.id);
        }
        if record.present == 0 {
            self.forget(nick_key);
        }
        true
    }

    /// Notes that a single update changed the nick's report on the directory, for the
    /// directory's next sync.
    fn note_update(&mut self, nick_key: NickKey, directory_key: DirectoryKey) {
        let directory = &mut self.directories[directory_key];
        if !directory.matches_last_peerlist {
            return;
        }
        let noted = directory.changed_since_sync.len() + directory.forgotten_since_sync.len();
        if noted < MAX_CHANGES_BETWEEN_SYNCS {
            directory.changed_since_sync.push(nick_key);
        } else {
            directory.matches_last_peerlist = false;
            directory.changed_since_sync = Vec::new();
            directory.forgotten_since_sync = Vec::new();
        }
    }

    /// Drops a nick no directory reports present, with its reports of "gone".
    fn forget(&mut self, nick_key: NickKey) {
        let record = self.nicks.remove(nick_key);
        for report in &record.reports {
            let directory = &mut self.directories[report.key];
            // Its key may be reused: a directory that remembers it must know it is stale.
            if directory.changed_since_sync.contains(&nick_key) {
                directory.changed_since_sync.retain(|&key| key != nick_key);
                directory.forgotten_since_sync.push(nick_key);
            }
            let members = &mut directory.members;
            members.swap_remove(report.slot as usize);
            if let Some(moved) = members.get(report.slot as usize) {
                let moved_report = self.nicks[moved.nick]
                    .reports
                    .iter_mut()
                    .find(|r| r.key == report.key)
                    .expect("a member has a report");
                moved_report.slot = report.slot;
            }
        }
        let hash = hash_nick(&self.nick_hasher, record.name.as_bytes());
        if let Ok(entry) = self.nick_index.find_entry(hash, |&key| key == nick_key) {
            entry.remove();
        }
    }
}

/// SipHash of the nick's bytes alone (`hash_one` would hash a length prefix too, one more
/// round for nothing: SipHash already mixes the length into its last block).
fn hash_nick(hasher: &RandomState, nick: &[u8]) -> u64 {
    let mut state = hasher.build_hasher();
    state.write(nick);
    state.finish()
}

impl fmt::Debug for NickTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NickTracker")
            .field("active_nicks", &self.len())
            .finish()
    }
}

/// Hashes directory ids, which the caller chooses (unlike nicks, they never come from
/// peers), with a randomly keyed folded multiply: a few cycles instead of SipHash's dozens.
#[derive(Clone)]
struct DirectoryIdHasher {
    keys: [u64; 2],
}

impl Default for DirectoryIdHasher {
    fn default() -> Self {
        let random = RandomState::new();
        DirectoryIdHasher {
            keys: [random.hash_one(1u8), random.hash_one(2u8) | 1],
        }
    }
}

impl BuildHasher for DirectoryIdHasher {
    type Hasher = DirectoryIdHash;

    fn build_hasher(&self) -> DirectoryIdHash {
        DirectoryIdHash {
            keys: self.keys,
            hash: 0,
        }
    }
}

struct DirectoryIdHash {
    keys: [u64; 2],
    hash: u64,
}

impl Hasher for DirectoryIdHash {
    fn write_u64(&mut self, id: u64) {
        // Both halves of the 128-bit product, so high and low bits of the id both matter.
        let product = u128::from(id ^ self.keys[0]) * u128::from(self.keys[1]);
        self.hash = (product as u64) ^ ((product >> 64) as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(self.hash.rotate_left(8) ^ u64::from(byte));
        }
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A small, fast generator for random picks; seeded from std's per-process random keys.
/// Picks need to be unpredictable enough to spread messages, not cryptographic.
struct SplitMix64(u64);

impl SplitMix64 {
    fn from_entropy() -> Self {
        SplitMix64(RandomState::new().hash_one(0u64))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (Lemire's multiply-shift; the bias for bound <= 2^32 is below
    /// 2^-32, far below anything observable here).
    fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next()) * bound as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nick(name: &str) -> Nick<'_> {
        Nick::new(name).unwrap()
    }

    fn nicks<'a>(names: &[&'a str]) -> Vec<Nick<'a>> {
        names.iter().map(|name| nick(name)).collect()
    }

    /// Events as ("join"/"leave", nick, directory) for compact assertions.
    fn summary(events: &[Event]) -> Vec<(&'static str, String, DirectoryId)> {
        events
            .iter()
            .map(|event| {
                let kind = if event.is_join() { "join" } else { "leave" };
                (kind, event.nick.to_string(), event.directory)
            })
            .collect()
    }

    fn directories(tracker: &NickTracker, name: &str) -> Vec<DirectoryId> {
        tracker.active_directories(name).collect()
    }

    fn present(tracker: &mut NickTracker, name: &str, directory: DirectoryId) -> Vec<Event> {
        tracker.mark_present(nick(name), directory).unwrap()
    }

    #[test]
    fn a_nick_joins_once_and_leaves_once_per_presence_period() {
        let mut tracker = NickTracker::new();
        assert_eq!(
            summary(&present(&mut tracker, "alice", 1)),
            [("join", "alice".into(), 1)]
        );
        assert!(present(&mut tracker, "alice", 2).is_empty());
        assert!(tracker.mark_gone(nick("alice"), 1).is_empty());
        let left = tracker.mark_gone(nick("alice"), 2);
        assert_eq!(summary(&left), [("leave", "alice".into(), 2)]);
        assert!(
            tracker.mark_gone(nick("alice"), 2).is_empty(),
            "a second departure"
        );
        assert!(tracker.is_empty() && !tracker.is_active("alice"));
        assert_eq!(tracker.stats().nicks, 0, "a departed nick is forgotten");
        assert_eq!(
            summary(&present(&mut tracker, "alice", 3)),
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
            summary(&events),
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
        assert_eq!(summary(&events), [("leave", "bob".into(), 2)]);
        assert_eq!(directories(&tracker, "alice"), [1]);
        let events = tracker
            .sync_peerlist(1, &nicks(&["carol", "carol"]))
            .unwrap();
        assert_eq!(
            summary(&events),
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
        let events = tracker.remove_directory(1);
        assert_eq!(
            summary(&events),
            [
                ("leave", "a".into(), 1),
                ("leave", "c".into(), 1),
                ("leave", "e".into(), 1)
            ]
        );
        assert_eq!(tracker.active_nicks(), ["b", "d"]);
        let events = tracker.sync_peerlist(2, &nicks(&["d"])).unwrap();
        assert_eq!(summary(&events), [("leave", "b".into(), 2)]);
        assert!(tracker.remove_directory(1).is_empty(), "already removed");
        assert_eq!(tracker.stats().nicks, 1);
    }

    #[test]
    fn a_disconnected_directory_keeps_its_reports_but_they_do_not_count() {
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["alice", "bob"])).unwrap();
        present(&mut tracker, "bob", 2);
        let events = tracker.set_directory_connected(1, false).unwrap();
        assert_eq!(summary(&events), [("leave", "alice".into(), 1)]);
        assert_eq!(directories(&tracker, "bob"), [2]);
        assert_eq!(tracker.stats().nicks, 2, "alice is kept for directory 1");
        assert!(
            tracker
                .set_directory_connected(1, false)
                .unwrap()
                .is_empty()
        );
        // A report while down is recorded, without a join.
        assert!(present(&mut tracker, "carol", 1).is_empty());
        let events = tracker.set_directory_connected(1, true).unwrap();
        assert_eq!(
            summary(&events),
            [("join", "alice".into(), 1), ("join", "carol".into(), 1)]
        );
        assert_eq!(directories(&tracker, "bob"), [1, 2]);
        // The next peerlist has the last word.
        let events = tracker.sync_peerlist(1, &nicks(&["carol"])).unwrap();
        assert_eq!(summary(&events), [("leave", "alice".into(), 1)]);
        assert_eq!(tracker.stats().nicks, 2);
    }

    #[test]
    fn nicks_rejoin_in_first_seen_order_even_if_first_seen_while_down() {
        let mut tracker = NickTracker::new();
        present(&mut tracker, "zed", 2);
        present(&mut tracker, "alice", 1);
        tracker.set_directory_connected(1, false).unwrap();
        present(&mut tracker, "carol", 1);
        let events = tracker.set_directory_connected(1, true).unwrap();
        assert_eq!(
            summary(&events),
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
        assert!(tracker.set_directory_connected(1, true).unwrap().is_empty());
        tracker.set_directory_connected(2, false).unwrap();
        present(&mut tracker, "bob", 2);
        assert!(tracker.remove_directory(2).is_empty());
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
        assert_eq!(summary(&events).len(), 4, "two leaves, two joins");
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

    #[test]
    fn an_incremental_sync_redoes_what_single_updates_changed_since_the_last_one() {
        let mut tracker = NickTracker::new();
        tracker
            .sync_peerlist(1, &nicks(&["a", "b", "c", "d"]))
            .unwrap();
        present(&mut tracker, "b", 2);
        tracker.mark_gone(nick("b"), 1);
        present(&mut tracker, "x", 1);
        present(&mut tracker, "c", 1); // no change
        let key = tracker.directory_keys[&1];
        assert!(tracker.directories[key].matches_last_peerlist);
        let events = tracker
            .sync_peerlist(1, &nicks(&["a", "b", "c", "e"]))
            .unwrap();
        assert_eq!(
            summary(&events),
            [
                ("leave", "d".into(), 1),
                ("leave", "x".into(), 1),
                ("join", "e".into(), 1),
            ]
        );
        assert!(tracker.directories[key].matches_last_peerlist);
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
        tracker.mark_gone(nick("b"), 1); // b is forgotten; its key is free
        present(&mut tracker, "z", 2); // and reused
        let events = tracker.sync_peerlist(1, &nicks(&["a", "b"])).unwrap();
        assert_eq!(summary(&events), [("join", "b".into(), 1)]);
        assert_eq!(directories(&tracker, "z"), [2]);
        assert_eq!(directories(&tracker, "b"), [1]);
    }

    #[test]
    fn a_first_peerlist_borrows_keys_from_another_directory_but_never_stale_ones() {
        let mut tracker = NickTracker::new();
        tracker.sync_peerlist(1, &nicks(&["a", "b", "c"])).unwrap();
        tracker.mark_gone(nick("b"), 1); // b is forgotten; its key is free
        present(&mut tracker, "z", 3); // and reused
        // Directory 2's first list matches directory 1's, the last synced, in order.
        let events = tracker
            .sync_peerlist(2, &nicks(&["a", "b", "c", "d"]))
            .unwrap();
        let joins = [("join", "b".into(), 2), ("join", "d".into(), 2)];
        assert_eq!(summary(&events), joins);
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
    fn a_stale_stamp_cannot_match_after_the_stamps_wrap_around() {
        let mut tracker = NickTracker::new();
        tracker
            .sync_peerlist(1, &nicks(&["alice", "bob", "carol"]))
            .unwrap();
        let key = tracker.directory_keys[&1];
        // The next sync wraps around to stamp 1, which "bob" carries from long ago.
        tracker.directories[key].sync_stamp = u32::MAX;
        tracker.directories[key].members[1].sync_stamp = 1;
        tracker.directories[key].matches_last_peerlist = false; // take the stamping path
        let events = tracker.sync_peerlist(1, &nicks(&["alice"])).unwrap();
        assert_eq!(
            summary(&events),
            [("leave", "bob".into(), 1), ("leave", "carol".into(), 1)]
        );
        assert_eq!(tracker.directories[key].sync_stamp, 1);
    }
}
