//! The reference model: jmcore's `NickTracker` transcribed into Rust the obvious way (a map
//! from nick to that nick's directory statuses, the same loops), plus each rule nick-tracker
//! adds to it, marked as such and written from the documentation (include/nick_tracker.h and
//! README), not from the implementation. It is what the tracker is tested against (property
//! tests, the fuzz target) and what it is benchmarked against (benches/tracker), so both
//! measure against one model.
//!
//! jmcore's rules, as it has them:
//! - `active_nicks[nick] = {directory: present}`; a nick is active while a status is `true`.
//! - `update_nick`: a status set `false` that was `true`, with no other `true` left: the nick
//!   leaves (the callback runs) and its entry is deleted.
//! - `remove_directory`: deletes the directory from every nick; a nick left with no status,
//!   or no `true` one, leaves and is deleted.
//! - `sync_with_peerlist`: every listed nick marked present, then every nick with a status for
//!   the directory that is not listed marked gone.
//!
//! What nick-tracker adds (each is documented in the header):
//! - A "gone" report from a directory that has no status for the nick is ignored (jmcore
//!   would store a phantom `false`); so an entry always has a `true` status (or is deleted).
//! - Directories are known (from a report, a peerlist or a connection state) until removed,
//!   and are connected or not; a status counts only while its directory is connected. An
//!   entry is deleted when no status is `true`, connected or not.
//! - Join events: a nick joins when it becomes active. Every change reports its events: for a
//!   change of many nicks, leaves in the order the nicks were first seen (the `seen` stamp:
//!   when the nick last became active, or when first reported if not active since), then
//!   joins in the order they happened (list order); a reconnection's joins in `seen` order;
//!   a batch of reports, one report at a time.
//! - Limits: a change whose result holds more nicks or knows more directories than a cap
//!   allows is refused and changes nothing (applied, then undone). When several refusals
//!   apply, the documentation does not say which is reported, so a [`Refusal`] lists all.
//! - Picks: random among the active directories; round robin with a per-nick cursor kept
//!   while the nick is held (entry `cursor % n` of the `n` active directories, then the cursor
//!   is that index plus one); sticky: the directory picked last while the nick is still
//!   active there, else any active one (which the caller reports back with `picked`).
//! - Peerlists in chunks: a snapshot remembers the nicks listed or reported present on the
//!   directory since it began; its commit makes gone the directory's other present nicks.
//!   Beginning again restarts it; a full peerlist, a disconnection or a removal closes it.
//! - Time: a clock the caller sets (`set_time`), read by the calls that record a time
//!   (reports of a known pair or adding one, peerlists, chunks, commits, batches, expire, and
//!   disconnections while a hold is set); a reading earlier than the last accepted one
//!   refuses the call. Every status keeps when it was last seen present (report or listing).
//!   `expire` applies held-back gone reports whose grace passed, makes gone the statuses
//!   not seen within the TTL, and removes directories disconnected longer than the hold.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};

use nick_tracker::{
    ChangeError, Config, DirectoryId, DirectoryStats, EventKind, Expiry, LimitError, Limits,
    PickMode, Stats,
};

/// One event as the model predicts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelEvent {
    pub kind: EventKind,
    pub nick: String,
    pub directory: DirectoryId,
}

impl ModelEvent {
    pub fn from_event(event: nick_tracker::Event<'_>) -> Self {
        ModelEvent {
            kind: event.kind,
            nick: event.nick.to_string(),
            directory: event.directory,
        }
    }
}

/// Why the model refuses a change: every refusal that applies (never empty). The tracker
/// must report one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub Vec<ChangeError>);

impl Refusal {
    pub fn allows<E: Clone + Into<ChangeError>>(&self, error: &E) -> bool {
        self.0.contains(&error.clone().into())
    }
}

pub type Outcome = Result<Vec<ModelEvent>, Refusal>;

/// What `expire` may report: the events, each leave with every directory it may name (a nick
/// whose statuses lapse on several directories at once leaves with one of them).
pub type Expired = Result<Vec<(ModelEvent, Vec<DirectoryId>)>, Refusal>;

/// What `pick_directory` may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The nick is not active: no directory.
    NotActive,
    /// Round robin, or sticky while the kept directory is active: exactly this one.
    Exactly(DirectoryId),
    /// Random (or a sticky pick failing over): any one of these (the active directories).
    AnyOf(Vec<DirectoryId>),
}

impl Pick {
    pub fn allows(&self, picked: Option<DirectoryId>) -> bool {
        match (self, picked) {
            (Pick::NotActive, None) => true,
            (Pick::Exactly(expected), Some(picked)) => *expected == picked,
            (Pick::AnyOf(choices), Some(picked)) => choices.contains(&picked),
            _ => false,
        }
    }
}

/// One directory's status for a nick: jmcore's `bool`, and when it was last seen present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Status {
    directory: DirectoryId,
    present: bool,
    last_seen: u64,
}

/// jmcore's entry for one nick, with what nick-tracker adds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// jmcore's inner dict: directory -> status, in the order of first report (a Python dict
    /// keeps insertion order; a status set again keeps its place).
    statuses: Vec<Status>,
    /// When the nick was first seen (see the module documentation).
    seen: u64,
    /// Round-robin cursor.
    cursor: usize,
    /// The sticky pick.
    kept: Option<DirectoryId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Directory {
    connected: bool,
    disconnected_at: u64,
    /// The nicks listed or reported present since the open snapshot began.
    snapshot: Option<HashSet<String>>,
    peerlists: u64,
    reports: u64,
    last_peerlist_at: Option<u64>,
    last_report_at: Option<u64>,
}

/// A change in progress: what it touched, to report events and to undo it.
#[derive(Default)]
struct Change {
    /// Every nick the change touched, once each, in the order touched.
    nicks: Vec<Touched>,
    /// Their names, once there are many (a linear search is quicker for a few).
    names: HashSet<String>,
    /// Every touched directory's state before the change, but for its snapshot (copying
    /// that would make a peerlist in n chunks cost n^2).
    directories: Vec<(DirectoryId, Option<Directory>)>,
    /// How to undo each change to a snapshot, in the order made.
    snapshots: Vec<(DirectoryId, SnapshotUndo)>,
    /// Every held-back gone report the change touched, before it.
    pending: Vec<((String, DirectoryId), Option<u64>)>,
}

/// Undoes one change to a directory's snapshot.
enum SnapshotUndo {
    /// A nick was added to the open snapshot.
    Unlist(String),
    /// The snapshot was replaced (begun, closed, or removed with its directory).
    Restore(Option<HashSet<String>>),
}

/// A nick as it was before a change touched it.
struct Touched {
    nick: String,
    /// Its `seen` stamp, if it was held.
    seen: Option<u64>,
    was_active: bool,
    /// Its entry, to undo the change (kept only while the change could be refused).
    undo: Option<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceModel {
    config: Config,
    /// jmcore's `active_nicks`.
    nicks: HashMap<String, Entry>,
    /// Known directories.
    directories: HashMap<DirectoryId, Directory>,
    /// How many known directories are disconnected (while none is, a status counts if true).
    disconnected: usize,
    /// Gone reports held back for their grace period: when each arrived.
    pending: HashMap<(String, DirectoryId), u64>,
    /// The clock, as the caller set it, and its last reading a call accepted.
    time: u64,
    last_reading: u64,
    /// Source of `seen` stamps; only their order matters.
    stamps: u64,
    joins: u64,
    leaves: u64,
}

impl ReferenceModel {
    pub fn new(limits: Limits, pick: PickMode) -> Self {
        ReferenceModel::with_config(Config {
            limits,
            pick,
            expiry: Expiry::default(),
        })
    }

    pub fn with_config(config: Config) -> Self {
        ReferenceModel {
            config,
            nicks: HashMap::new(),
            directories: HashMap::new(),
            disconnected: 0,
            pending: HashMap::new(),
            time: 0,
            last_reading: 0,
            stamps: 0,
            joins: 0,
            leaves: 0,
        }
    }

    /// Sets the clock (milliseconds), forward or back.
    pub fn set_time(&mut self, ms: u64) {
        self.time = ms;
    }

    // ----- queries -----

    pub fn is_known_directory(&self, directory: DirectoryId) -> bool {
        self.directories.contains_key(&directory)
    }

    /// Every known directory, sorted.
    pub fn known_directories(&self) -> Vec<DirectoryId> {
        let mut directories: Vec<DirectoryId> = self.directories.keys().copied().collect();
        directories.sort_unstable();
        directories
    }

    pub fn is_held(&self, nick: &str) -> bool {
        self.nicks.contains_key(nick)
    }

    /// Every held nick, active or not, sorted.
    pub fn held_nicks(&self) -> Vec<String> {
        let mut nicks: Vec<String> = self.nicks.keys().cloned().collect();
        nicks.sort();
        nicks
    }

    /// jmcore's `is_nick_active`, counting connected directories only.
    pub fn is_active(&self, nick: &str) -> bool {
        self.nicks.get(nick).is_some_and(|entry| self.active(entry))
    }

    /// jmcore's `get_active_directories_for_nick`, connected directories only.
    pub fn active_directories(&self, nick: &str) -> Vec<DirectoryId> {
        let Some(entry) = self.nicks.get(nick) else {
            return Vec::new();
        };
        let counted = entry.statuses.iter().filter(|s| self.counts(s));
        counted.map(|status| status.directory).collect()
    }

    /// jmcore's `get_all_active_nicks`, in first-seen order.
    pub fn active_nicks(&self) -> Vec<String> {
        let mut active: Vec<(u64, &String)> = self
            .nicks
            .iter()
            .filter(|(_, entry)| self.active(entry))
            .map(|(nick, entry)| (entry.seen, nick))
            .collect();
        active.sort();
        active.into_iter().map(|(_, nick)| nick.clone()).collect()
    }

    /// jmcore's `get_all_active_nicks` as it has it: a set.
    pub fn active_nick_set(&self) -> HashSet<&str> {
        let active = self.nicks.iter().filter(|(_, entry)| self.active(entry));
        active.map(|(nick, _)| nick.as_str()).collect()
    }

    pub fn len(&self) -> usize {
        self.nicks
            .values()
            .filter(|entry| self.active(entry))
            .count()
    }

    pub fn stats(&self) -> Stats {
        Stats {
            nicks: self.nicks.len(),
            active_nicks: self.len(),
            directories: self.directories.len(),
            connected_directories: self.directories.len() - self.disconnected,
            joins: self.joins,
            leaves: self.leaves,
        }
    }

    pub fn last_seen(&self, nick: &str, directory: DirectoryId) -> Option<u64> {
        let entry = self.nicks.get(nick)?;
        let status = entry.statuses.iter().find(|s| s.directory == directory)?;
        Some(status.last_seen)
    }

    pub fn last_seen_anywhere(&self, nick: &str) -> Option<u64> {
        let entry = self.nicks.get(nick)?;
        entry.statuses.iter().map(|status| status.last_seen).max()
    }

    /// The nicks `directory` reports present, sorted.
    pub fn directory_nicks(&self, directory: DirectoryId) -> Option<Vec<String>> {
        self.directories.get(&directory)?;
        let mut nicks: Vec<String> = self
            .nicks
            .iter()
            .filter(|(_, entry)| {
                entry
                    .statuses
                    .iter()
                    .any(|s| s.directory == directory && s.present)
            })
            .map(|(nick, _)| nick.clone())
            .collect();
        nicks.sort();
        Some(nicks)
    }

    pub fn directory_stats(&self, directory: DirectoryId) -> Option<DirectoryStats> {
        let entry = self.directories.get(&directory)?;
        Some(DirectoryStats {
            nicks: self.directory_nicks(directory)?.len(),
            connected: entry.connected,
            snapshot_open: entry.snapshot.is_some(),
            last_peerlist_at: entry.last_peerlist_at,
            last_report_at: entry.last_report_at,
            peerlists: entry.peerlists,
            reports: entry.reports,
        })
    }

    // ----- changes -----

    pub fn update(&mut self, nick: &str, directory: DirectoryId, present: bool) -> Outcome {
        if present {
            self.mark_present(nick, directory)
        } else {
            self.mark_gone(nick, directory)
        }
    }

    pub fn mark_present(&mut self, nick: &str, directory: DirectoryId) -> Outcome {
        let mut change = Change::default();
        self.know(&mut change, directory);
        self.report(&mut change, nick, directory, true);
        self.finish(change, directory, true)
    }

    pub fn mark_gone(&mut self, nick: &str, directory: DirectoryId) -> Outcome {
        let mut change = Change::default();
        // nick-tracker: a gone report for a directory without a status is ignored.
        let reads_clock = self.status(nick, directory).is_some();
        if reads_clock {
            self.report(&mut change, nick, directory, false);
        }
        self.finish(change, directory, reads_clock)
    }

    /// A batch of single reports from one directory, applied in order, each with its own
    /// events. Refused as a whole, before anything changes, as documented: a new directory
    /// over its cap, new nicks (those reported present, counted once) over theirs.
    pub fn apply_reports(&mut self, directory: DirectoryId, reports: &[(&str, bool)]) -> Outcome {
        let adds = reports.iter().any(|&(_, present)| present);
        let known = self.directories.contains_key(&directory);
        if !known && !adds {
            return Ok(Vec::new()); // gone reports only, for a directory it does not know
        }
        let mut refusals = Vec::new();
        let limits = self.config.limits;
        if let Some(limit) = limits.max_directories
            && !known
            && self.directories.len() >= limit
        {
            refusals.push(LimitError::Directories { limit }.into());
        }
        let new: HashSet<&str> = reports
            .iter()
            .filter(|&&(nick, present)| present && !self.nicks.contains_key(nick))
            .map(|&(nick, _)| nick)
            .collect();
        if let Some(limit) = limits.max_nicks
            && !new.is_empty()
            && self.nicks.len() + new.len() > limit
        {
            let held = self.nicks.len();
            refusals.push(LimitError::Nicks { held, limit }.into());
        }
        // Reports that count (present ones, and gone ones for a nick the directory has a
        // status for) read the clock; with none, the batch changes nothing and needs no time.
        let counts = adds
            || reports
                .iter()
                .any(|&(nick, _)| self.status(nick, directory).is_some());
        if counts && self.time < self.last_reading {
            let (last, now) = (self.last_reading, self.time);
            refusals.push(ChangeError::ClockWentBackwards { last, now });
        }
        if !refusals.is_empty() {
            return Err(Refusal(refusals));
        }
        if !counts {
            return Ok(Vec::new());
        }
        self.last_reading = self.time;
        let mut change = Change::default();
        self.know(&mut change, directory);
        let mut events = Vec::new();
        for &(nick, present) in reports {
            if !present && self.status(nick, directory).is_none() {
                continue; // ignored, as by `mark_gone`
            }
            let was_active = self.is_active(nick);
            self.report(&mut change, nick, directory, present);
            self.forget_if_unreported(nick);
            let kind = match (was_active, self.is_active(nick)) {
                (false, true) => EventKind::Join,
                (true, false) => EventKind::Leave,
                _ => continue,
            };
            if kind == EventKind::Join {
                self.joins += 1;
                let seen = self.stamp();
                self.nicks.get_mut(nick).expect("active").seen = seen;
            } else {
                self.leaves += 1;
            }
            let nick = nick.to_owned();
            events.push(ModelEvent {
                kind,
                nick,
                directory,
            });
        }
        Ok(events)
    }

    /// jmcore's `sync_with_peerlist`, which also closes an open snapshot.
    pub fn sync_peerlist(&mut self, directory: DirectoryId, peerlist: &[&str]) -> Outcome {
        // jmcore takes a set; in list order, for the order of joins.
        let mut listed: HashSet<&str> = HashSet::with_capacity(peerlist.len());
        let mut change = Change::default();
        self.know(&mut change, directory);
        for nick in peerlist {
            if listed.insert(nick) {
                self.list(&mut change, nick, directory);
            }
        }
        self.drop_unlisted(&mut change, directory, |nick| listed.contains(nick));
        self.complete_peerlist(&mut change, directory);
        self.finish(change, directory, true)
    }

    pub fn begin_peerlist(&mut self, directory: DirectoryId) -> Outcome {
        let mut change = Change::default();
        self.know(&mut change, directory);
        self.touch_directory(&mut change, directory);
        self.replace_snapshot(&mut change, directory, Some(HashSet::new()));
        self.finish(change, directory, false)
    }

    pub fn add_peerlist_chunk(&mut self, directory: DirectoryId, chunk: &[&str]) -> Outcome {
        if !self.snapshot_open(directory) {
            return Err(Refusal(vec![ChangeError::NoSnapshot { directory }]));
        }
        let mut change = Change::default();
        let mut listed = HashSet::new();
        for nick in chunk {
            if listed.insert(*nick) {
                self.list(&mut change, nick, directory);
            }
        }
        self.finish(change, directory, true)
    }

    pub fn commit_peerlist(&mut self, directory: DirectoryId) -> Outcome {
        if !self.snapshot_open(directory) {
            return Err(Refusal(vec![ChangeError::NoSnapshot { directory }]));
        }
        let mut change = Change::default();
        let listed = self.directories[&directory].snapshot.clone().expect("open");
        self.drop_unlisted(&mut change, directory, |nick| listed.contains(nick));
        self.complete_peerlist(&mut change, directory);
        self.finish(change, directory, true)
    }

    /// A complete peerlist's drops: every nick `directory` reports present that the list
    /// did not have becomes gone there.
    fn drop_unlisted(
        &mut self,
        change: &mut Change,
        directory: DirectoryId,
        listed: impl Fn(&str) -> bool,
    ) {
        let unlisted: Vec<String> = self
            .nicks
            .iter()
            .filter(|(nick, entry)| {
                let here = entry
                    .statuses
                    .iter()
                    .any(|s| s.directory == directory && s.present);
                here && !listed(nick)
            })
            .map(|(nick, _)| nick.clone())
            .collect();
        for nick in unlisted {
            self.set_status(change, &nick, directory, false);
        }
    }

    pub fn abort_peerlist(&mut self, directory: DirectoryId) -> Outcome {
        if !self.snapshot_open(directory) {
            return Err(Refusal(vec![ChangeError::NoSnapshot { directory }]));
        }
        self.directories.get_mut(&directory).expect("open").snapshot = None;
        Ok(Vec::new())
    }

    /// jmcore's `remove_directory`.
    pub fn remove_directory(&mut self, directory: DirectoryId) -> Vec<ModelEvent> {
        let mut change = Change::default();
        if self.directories.contains_key(&directory) {
            self.remove_statuses(&mut change, directory);
        }
        self.finish(change, directory, false)
            .expect("a removal adds nothing")
    }

    /// nick-tracker: a directory's connection goes down or comes back.
    pub fn set_directory_connected(&mut self, directory: DirectoryId, connected: bool) -> Outcome {
        let mut change = Change::default();
        let current = self.directories.get(&directory).map(|d| d.connected);
        if current == Some(connected) {
            return Ok(Vec::new());
        }
        // Its nicks, touched in the order they were first seen: a reconnection's joins are
        // reported in that order.
        let mut reported: Vec<(u64, String)> = self
            .nicks
            .iter()
            .filter(|(_, entry)| {
                entry
                    .statuses
                    .iter()
                    .any(|s| s.directory == directory && s.present)
            })
            .map(|(nick, entry)| (entry.seen, nick.clone()))
            .collect();
        reported.sort();
        for (_, nick) in reported {
            self.touch(&mut change, &nick);
        }
        self.know(&mut change, directory);
        self.touch_directory(&mut change, directory);
        let now = self.time;
        let entry = self.directories.get_mut(&directory).expect("known");
        if entry.connected != connected {
            entry.connected = connected;
            if connected {
                self.disconnected -= 1;
            } else {
                self.disconnected += 1;
                entry.disconnected_at = now;
                self.replace_snapshot(&mut change, directory, None);
            }
        }
        let reads_clock = !connected && self.config.expiry.disconnected_hold_ms.is_some();
        self.finish(change, directory, reads_clock)
    }

    /// Acts on what is due now.
    pub fn expire(&mut self) -> Expired {
        let now = self.time;
        if now < self.last_reading {
            let error = ChangeError::ClockWentBackwards {
                last: self.last_reading,
                now,
            };
            return Err(Refusal(vec![error]));
        }
        self.last_reading = now;
        let mut change = Change::default();
        // Which directories each nick lost a status on.
        let mut lapsed: HashMap<String, Vec<DirectoryId>> = HashMap::new();
        let expiry = self.config.expiry;
        if let Some(grace) = expiry.gone_grace_ms {
            let due: Vec<(String, DirectoryId)> = self
                .pending
                .iter()
                .filter(|&(_, &at)| at.saturating_add(grace) <= now)
                .map(|(pair, _)| pair.clone())
                .collect();
            for (nick, directory) in due {
                self.pending.remove(&(nick.clone(), directory));
                if self.status(&nick, directory) == Some(true) {
                    self.set_status(&mut change, &nick, directory, false);
                    lapsed.entry(nick).or_default().push(directory);
                }
            }
        }
        if let Some(ttl) = expiry.presence_ttl_ms {
            let due: Vec<(String, DirectoryId)> = self
                .nicks
                .iter()
                .flat_map(|(nick, entry)| {
                    let stale = entry
                        .statuses
                        .iter()
                        .filter(move |s| s.present && s.last_seen.saturating_add(ttl) <= now);
                    stale.map(move |s| (nick.clone(), s.directory))
                })
                .collect();
            for (nick, directory) in due {
                self.set_status(&mut change, &nick, directory, false);
                lapsed.entry(nick).or_default().push(directory);
            }
        }
        if let Some(hold) = expiry.disconnected_hold_ms {
            let due: Vec<DirectoryId> = self
                .directories
                .iter()
                .filter(|(_, d)| !d.connected && d.disconnected_at.saturating_add(hold) <= now)
                .map(|(&id, _)| id)
                .collect();
            for directory in due {
                self.remove_statuses(&mut change, directory);
            }
        }
        let events = self.finish(change, 0, false).expect("expiry adds nothing");
        Ok(events
            .into_iter()
            .map(|event| {
                let directories = lapsed.get(&event.nick).cloned().unwrap_or_default();
                (event, directories)
            })
            .collect())
    }

    pub fn pick_directory(&mut self, nick: &str) -> Pick {
        let choices = self.active_directories(nick);
        if choices.is_empty() {
            return Pick::NotActive;
        }
        let entry = self.nicks.get_mut(nick).expect("an active nick is held");
        match self.config.pick {
            PickMode::Random => Pick::AnyOf(choices),
            PickMode::RoundRobin => {
                let index = entry.cursor % choices.len();
                entry.cursor = index + 1;
                Pick::Exactly(choices[index])
            }
            PickMode::Sticky => match entry.kept.filter(|kept| choices.contains(kept)) {
                Some(kept) => Pick::Exactly(kept),
                None => Pick::AnyOf(choices),
            },
        }
    }

    /// Tells a sticky model which directory the tracker picked.
    pub fn picked(&mut self, nick: &str, directory: DirectoryId) {
        if let Some(entry) = self.nicks.get_mut(nick) {
            entry.kept = Some(directory);
        }
    }

    // ----- helpers -----

    fn counts(&self, status: &Status) -> bool {
        status.present && (self.disconnected == 0 || self.directories[&status.directory].connected)
    }

    fn active(&self, entry: &Entry) -> bool {
        entry.statuses.iter().any(|status| self.counts(status))
    }

    fn status(&self, nick: &str, directory: DirectoryId) -> Option<bool> {
        let entry = self.nicks.get(nick)?;
        let status = entry.statuses.iter().find(|s| s.directory == directory)?;
        Some(status.present)
    }

    fn snapshot_open(&self, directory: DirectoryId) -> bool {
        self.directories
            .get(&directory)
            .is_some_and(|d| d.snapshot.is_some())
    }

    fn stamp(&mut self) -> u64 {
        self.stamps += 1;
        self.stamps
    }

    /// Notes `nick`'s state before the change, once per change.
    fn touch(&mut self, change: &mut Change, nick: &str) {
        const FEW: usize = 8;
        let touched = match change.nicks.len() {
            0..FEW => change.nicks.iter().any(|t| t.nick == nick),
            FEW => {
                change.names = change.nicks.iter().map(|t| t.nick.clone()).collect();
                change.names.contains(nick)
            }
            _ => change.names.contains(nick),
        };
        if touched {
            return;
        }
        if change.nicks.len() >= FEW {
            change.names.insert(nick.to_owned());
        }
        let entry = self.nicks.get(nick);
        change.nicks.push(Touched {
            nick: nick.to_owned(),
            seen: entry.map(|entry| entry.seen),
            was_active: entry.is_some_and(|entry| self.active(entry)),
            undo: entry.cloned(),
        });
    }

    /// Notes `directory`'s state before the change, once per change.
    fn touch_directory(&mut self, change: &mut Change, directory: DirectoryId) {
        if !change.directories.iter().any(|(d, _)| *d == directory) {
            let before = self.directories.get(&directory).map(|d| Directory {
                snapshot: None, // in `change.snapshots`
                ..*d
            });
            change.directories.push((directory, before));
        }
    }

    /// Replaces `directory`'s snapshot, keeping the old one to undo it.
    fn replace_snapshot(
        &mut self,
        change: &mut Change,
        directory: DirectoryId,
        snapshot: Option<HashSet<String>>,
    ) {
        let entry = self.directories.get_mut(&directory).expect("known");
        let old = std::mem::replace(&mut entry.snapshot, snapshot);
        change
            .snapshots
            .push((directory, SnapshotUndo::Restore(old)));
    }

    fn touch_pending(&mut self, change: &mut Change, nick: &str, directory: DirectoryId) {
        let key = (nick.to_owned(), directory);
        if !change.pending.iter().any(|(k, _)| *k == key) {
            let before = self.pending.get(&key).copied();
            change.pending.push((key, before));
        }
    }

    /// Makes `directory` known (connected) if it is not.
    fn know(&mut self, change: &mut Change, directory: DirectoryId) {
        if !self.directories.contains_key(&directory) {
            self.touch_directory(change, directory);
            let entry = Directory {
                connected: true,
                disconnected_at: 0,
                snapshot: None,
                peerlists: 0,
                reports: 0,
                last_peerlist_at: None,
                last_report_at: None,
            };
            self.directories.insert(directory, entry);
        }
    }

    fn note_report(&mut self, change: &mut Change, directory: DirectoryId) {
        self.touch_directory(change, directory);
        let now = self.time;
        let entry = self.directories.get_mut(&directory).expect("known");
        entry.reports += 1;
        entry.last_report_at = Some(now);
    }

    /// A single report: present (seen now; listed in an open snapshot) or gone (held back
    /// for the grace period if one is set).
    fn report(&mut self, change: &mut Change, nick: &str, directory: DirectoryId, present: bool) {
        self.note_report(change, directory);
        if present {
            self.list_in_snapshot(change, nick, directory);
            self.set_status(change, nick, directory, true);
        } else if self.config.expiry.gone_grace_ms.is_some() {
            if self.status(nick, directory) == Some(true) {
                self.touch_pending(change, nick, directory);
                self.pending.insert((nick.to_owned(), directory), self.time);
            }
        } else {
            self.set_status(change, nick, directory, false);
        }
    }

    /// A listing in a peerlist (whole, or a chunk).
    fn list(&mut self, change: &mut Change, nick: &str, directory: DirectoryId) {
        self.list_in_snapshot(change, nick, directory);
        self.set_status(change, nick, directory, true);
    }

    fn list_in_snapshot(&mut self, change: &mut Change, nick: &str, directory: DirectoryId) {
        if self.snapshot_open(directory) {
            self.touch_directory(change, directory);
            let snapshot = self
                .directories
                .get_mut(&directory)
                .and_then(|d| d.snapshot.as_mut());
            if snapshot.expect("open").insert(nick.to_owned()) {
                let undo = SnapshotUndo::Unlist(nick.to_owned());
                change.snapshots.push((directory, undo));
            }
        }
    }

    /// A complete peerlist (synced or committed) closes any snapshot.
    fn complete_peerlist(&mut self, change: &mut Change, directory: DirectoryId) {
        self.touch_directory(change, directory);
        let now = self.time;
        self.replace_snapshot(change, directory, None);
        let entry = self.directories.get_mut(&directory).expect("known");
        entry.peerlists += 1;
        entry.last_peerlist_at = Some(now);
    }

    /// jmcore's `update_nick` without its leave logic (the change's end reports events): sets
    /// a status, refreshing when it was seen if present; a present status voids a held-back
    /// gone report.
    fn set_status(
        &mut self,
        change: &mut Change,
        nick: &str,
        directory: DirectoryId,
        present: bool,
    ) {
        self.touch(change, nick);
        if present && !self.pending.is_empty() {
            self.touch_pending(change, nick, directory);
            self.pending.remove(&(nick.to_owned(), directory));
        }
        if !self.nicks.contains_key(nick) {
            let seen = self.stamp();
            let entry = Entry {
                statuses: Vec::new(),
                seen,
                cursor: 0,
                kept: None,
            };
            self.nicks.insert(nick.to_owned(), entry);
        }
        let now = self.time;
        let entry = self.nicks.get_mut(nick).expect("just inserted");
        match entry.statuses.iter_mut().find(|s| s.directory == directory) {
            Some(status) => {
                status.present = present;
                if present {
                    status.last_seen = now;
                }
            }
            None => entry.statuses.push(Status {
                directory,
                present,
                last_seen: now,
            }),
        }
    }

    /// Deletes `nick`'s entry if no status is present.
    fn forget_if_unreported(&mut self, nick: &str) {
        if self
            .nicks
            .get(nick)
            .is_some_and(|e| !e.statuses.iter().any(|s| s.present))
        {
            self.nicks.remove(nick);
        }
    }

    /// Removes a directory and its statuses.
    fn remove_statuses(&mut self, change: &mut Change, directory: DirectoryId) {
        let reported: Vec<String> = self
            .nicks
            .iter()
            .filter(|(_, entry)| entry.statuses.iter().any(|s| s.directory == directory))
            .map(|(nick, _)| nick.clone())
            .collect();
        for nick in reported {
            self.touch(change, &nick);
            if !self.pending.is_empty() {
                self.touch_pending(change, &nick, directory);
                self.pending.remove(&(nick.clone(), directory));
            }
            let entry = self.nicks.get_mut(&nick).expect("held");
            entry.statuses.retain(|s| s.directory != directory);
            // A sticky pick is of the directory as known: a removed one is forgotten.
            if entry.kept == Some(directory) {
                entry.kept = None;
            }
        }
        self.touch_directory(change, directory);
        if let Some(removed) = self.directories.remove(&directory) {
            let undo = SnapshotUndo::Restore(removed.snapshot);
            change.snapshots.push((directory, undo));
            if !removed.connected {
                self.disconnected -= 1;
            }
        }
    }

    /// Ends a change: checks the clock (if the change read it) and the caps, undoing the
    /// change on a refusal; deletes the entries nobody reports present; reports its events.
    fn finish(&mut self, change: Change, directory: DirectoryId, reads_clock: bool) -> Outcome {
        let mut active_after = Vec::with_capacity(change.nicks.len());
        for touched in &change.nicks {
            self.forget_if_unreported(&touched.nick);
            active_after.push(self.is_active(&touched.nick));
        }
        let mut refusals = self.exceeded(&change);
        if reads_clock && self.time < self.last_reading {
            refusals.push(ChangeError::ClockWentBackwards {
                last: self.last_reading,
                now: self.time,
            });
        }
        if !refusals.is_empty() {
            self.undo(change);
            return Err(Refusal(refusals));
        }
        if reads_clock {
            self.last_reading = self.time;
        }
        let mut leaves = Vec::new();
        let mut joins = Vec::new();
        for (touched, active) in change.nicks.into_iter().zip(active_after) {
            if touched.was_active && !active {
                leaves.push((touched.seen.expect("it was active, so held"), touched.nick));
            } else if active && !touched.was_active {
                joins.push(touched.nick);
            }
        }
        leaves.sort();
        let mut events = Vec::with_capacity(leaves.len() + joins.len());
        for (_, nick) in leaves {
            self.leaves += 1;
            events.push(ModelEvent {
                kind: EventKind::Leave,
                nick,
                directory,
            });
        }
        for nick in joins {
            self.joins += 1;
            let seen = self.stamp();
            self.nicks.get_mut(&nick).expect("active").seen = seen;
            events.push(ModelEvent {
                kind: EventKind::Join,
                nick,
                directory,
            });
        }
        Ok(events)
    }

    /// Every cap the current state exceeds, stated as of before `change`.
    fn exceeded(&self, change: &Change) -> Vec<ChangeError> {
        let mut exceeded = Vec::new();
        let limits = self.config.limits;
        if let Some(limit) = limits.max_nicks
            && self.nicks.len() > limit
        {
            let held_before = |t: &&Touched| t.seen.is_some();
            let held_now = |t: &&Touched| self.nicks.contains_key(&t.nick);
            let added = change
                .nicks
                .iter()
                .filter(|t| !held_before(t) && held_now(t));
            let removed = change
                .nicks
                .iter()
                .filter(|t| held_before(t) && !held_now(t));
            let held = self.nicks.len() + removed.count() - added.count();
            exceeded.push(LimitError::Nicks { held, limit }.into());
        }
        if let Some(limit) = limits.max_directories
            && self.directories.len() > limit
        {
            exceeded.push(LimitError::Directories { limit }.into());
        }
        exceeded
    }

    fn undo(&mut self, change: Change) {
        for touched in change.nicks {
            match touched.undo {
                Some(entry) => self.nicks.insert(touched.nick, entry),
                None => self.nicks.remove(&touched.nick),
            };
        }
        for (key, before) in change.pending {
            match before {
                Some(at) => self.pending.insert(key, at),
                None => self.pending.remove(&key),
            };
        }
        // Each directory's state but its snapshot, then the snapshots, each undone in reverse.
        for (directory, before) in change.directories.into_iter().rev() {
            match before {
                Some(mut entry) => {
                    let now = self.directories.remove(&directory);
                    entry.snapshot = now.and_then(|d| d.snapshot);
                    self.directories.insert(directory, entry);
                }
                None => {
                    self.directories.remove(&directory);
                }
            };
        }
        for (directory, undo) in change.snapshots.into_iter().rev() {
            // A directory the change made is gone again, and its snapshot with it.
            let Some(entry) = self.directories.get_mut(&directory) else {
                continue;
            };
            match undo {
                SnapshotUndo::Unlist(nick) => {
                    entry.snapshot.as_mut().expect("open").remove(&nick);
                }
                SnapshotUndo::Restore(snapshot) => entry.snapshot = snapshot,
            }
        }
        self.disconnected = self.directories.values().filter(|d| !d.connected).count();
    }
}

/// Not part of the model: how the generators (the property test and the fuzz target) resend a
/// directory's last peerlist with a typical change, which the tracker may handle
/// incrementally. `edit % 6`: 0 unchanged, 1 one entry dropped, 2 `item` appended, 3 one
/// entry replaced by `item`, 4 `item` inserted, 5 two entries dropped; `edit / 6` picks where.
pub fn edit_peerlist<T: Clone>(last: &[T], edit: u8, item: T) -> Vec<T> {
    let mut list = last.to_vec();
    let at = match list.len() {
        0 => 0,
        len => usize::from(edit / 6) % len,
    };
    match edit % 6 {
        1 | 5 if !list.is_empty() => {
            list.remove(at);
            if edit % 6 == 5 && !list.is_empty() {
                list.remove(at % list.len());
            }
        }
        2 => list.push(item),
        3 if !list.is_empty() => list[at] = item,
        4 => list.insert(at, item),
        _ => {}
    }
    list
}
