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
//!   joins in the order they happened (list order); a reconnection's joins in `seen` order.
//! - Limits: a change whose result holds more nicks or knows more directories than a cap
//!   allows is refused and changes nothing (applied, then undone). When several caps would be
//!   exceeded, the documentation does not say which is reported, so a [`Refusal`] lists all.
//! - Picks: random among the active directories, or round robin with a per-nick cursor kept
//!   while the nick is held (entry `cursor % n` of the `n` active directories, then the cursor
//!   is that index plus one).
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};

use nick_tracker::{DirectoryId, EventKind, LimitError, Limits, PickMode, Stats};

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

/// Why the model refuses a change: every cap it would exceed (never empty). The tracker must
/// report one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub Vec<LimitError>);

impl Refusal {
    pub fn allows(&self, error: &LimitError) -> bool {
        self.0.contains(error)
    }
}

pub type Outcome = Result<Vec<ModelEvent>, Refusal>;

/// What `pick_directory` may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The nick is not active: no directory.
    NotActive,
    /// Round robin: exactly this one.
    Exactly(DirectoryId),
    /// Random: any one of these (the nick's active directories).
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

/// jmcore's entry for one nick, with what nick-tracker adds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// jmcore's inner dict: directory -> present, in the order of first report (a Python dict
    /// keeps insertion order; a status set again keeps its place).
    statuses: Vec<(DirectoryId, bool)>,
    /// When the nick was first seen (see the module documentation).
    seen: u64,
    /// Round-robin cursor.
    cursor: usize,
}

/// A change in progress: what it touched, to report events and to undo it.
#[derive(Default)]
struct Change {
    /// Every nick the change touched, once each, in the order touched.
    nicks: Vec<Touched>,
    /// Every touched directory's state before the change.
    directories: Vec<(DirectoryId, Option<bool>)>,
}

/// A nick as it was before a change touched it.
struct Touched {
    nick: String,
    /// Its `seen` stamp, if it was held.
    seen: Option<u64>,
    was_active: bool,
    /// Its entry, to undo the change (kept only while a cap could refuse it).
    undo: Option<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceModel {
    limits: Limits,
    pick: PickMode,
    /// jmcore's `active_nicks`.
    nicks: HashMap<String, Entry>,
    /// Known directories and whether each is connected.
    directories: HashMap<DirectoryId, bool>,
    /// How many known directories are disconnected (while none is, a status counts if true).
    disconnected: usize,
    /// Source of `seen` stamps; only their order matters.
    clock: u64,
    joins: u64,
    leaves: u64,
}

impl ReferenceModel {
    pub fn new(limits: Limits, pick: PickMode) -> Self {
        ReferenceModel {
            limits,
            pick,
            nicks: HashMap::new(),
            directories: HashMap::new(),
            disconnected: 0,
            clock: 0,
            joins: 0,
            leaves: 0,
        }
    }

    // ----- queries -----

    pub fn is_known_directory(&self, directory: DirectoryId) -> bool {
        self.directories.contains_key(&directory)
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
        counted.map(|&(directory, _)| directory).collect()
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

    // ----- changes -----

    pub fn update(&mut self, nick: &str, directory: DirectoryId, present: bool) -> Outcome {
        if present {
            self.mark_present(nick, directory)
        } else {
            Ok(self.mark_gone(nick, directory))
        }
    }

    pub fn mark_present(&mut self, nick: &str, directory: DirectoryId) -> Outcome {
        let mut change = Change::default();
        self.know(&mut change, directory);
        self.set_status(&mut change, nick, directory, true);
        self.finish(change, directory)
    }

    pub fn mark_gone(&mut self, nick: &str, directory: DirectoryId) -> Vec<ModelEvent> {
        let mut change = Change::default();
        // nick-tracker: a gone report for a directory without a status is ignored.
        if self.status(nick, directory).is_some() {
            self.set_status(&mut change, nick, directory, false);
        }
        self.finish(change, directory)
            .expect("a gone report adds nothing")
    }

    /// jmcore's `sync_with_peerlist`.
    pub fn sync_peerlist(&mut self, directory: DirectoryId, peerlist: &[&str]) -> Outcome {
        // jmcore takes a set; in list order, for the order of joins.
        let mut listed: HashSet<&str> = HashSet::with_capacity(peerlist.len());
        let mut change = Change::default();
        self.know(&mut change, directory);
        for nick in peerlist {
            if listed.insert(nick) {
                self.set_status(&mut change, nick, directory, true);
            }
        }
        let dropped: Vec<String> = self
            .nicks
            .iter()
            .filter(|(nick, entry)| {
                entry.statuses.contains(&(directory, true)) && !listed.contains(nick.as_str())
            })
            .map(|(nick, _)| nick.clone())
            .collect();
        for nick in dropped {
            self.set_status(&mut change, &nick, directory, false);
        }
        self.finish(change, directory)
    }

    /// jmcore's `remove_directory`.
    pub fn remove_directory(&mut self, directory: DirectoryId) -> Vec<ModelEvent> {
        let mut change = Change::default();
        if self.directories.contains_key(&directory) {
            let reported: Vec<String> = self
                .nicks
                .iter()
                .filter(|(_, entry)| entry.statuses.iter().any(|&(d, _)| d == directory))
                .map(|(nick, _)| nick.clone())
                .collect();
            for nick in reported {
                self.touch(&mut change, &nick);
                let entry = self.nicks.get_mut(&nick).expect("held");
                entry.statuses.retain(|&(d, _)| d != directory);
            }
            self.set_directory(&mut change, directory, None);
        }
        self.finish(change, directory)
            .expect("a removal adds nothing")
    }

    /// nick-tracker: a directory's connection goes down or comes back.
    pub fn set_directory_connected(&mut self, directory: DirectoryId, connected: bool) -> Outcome {
        let mut change = Change::default();
        if self.directories.get(&directory) != Some(&connected) {
            // Its nicks, touched in the order they were first seen: a reconnection's joins
            // are reported in that order.
            let mut reported: Vec<(u64, String)> = self
                .nicks
                .iter()
                .filter(|(_, entry)| entry.statuses.contains(&(directory, true)))
                .map(|(nick, entry)| (entry.seen, nick.clone()))
                .collect();
            reported.sort();
            for (_, nick) in reported {
                self.touch(&mut change, &nick);
            }
            self.set_directory(&mut change, directory, Some(connected));
        }
        self.finish(change, directory)
    }

    pub fn pick_directory(&mut self, nick: &str) -> Pick {
        let choices = self.active_directories(nick);
        if choices.is_empty() {
            return Pick::NotActive;
        }
        match self.pick {
            PickMode::Random => Pick::AnyOf(choices),
            PickMode::RoundRobin => {
                let entry = self.nicks.get_mut(nick).expect("an active nick is held");
                let index = entry.cursor % choices.len();
                entry.cursor = index + 1;
                Pick::Exactly(choices[index])
            }
        }
    }

    // ----- helpers -----

    fn counts(&self, status: &(DirectoryId, bool)) -> bool {
        counts(&self.directories, self.disconnected, status)
    }

    fn active(&self, entry: &Entry) -> bool {
        active(&self.directories, self.disconnected, entry)
    }

    fn status(&self, nick: &str, directory: DirectoryId) -> Option<bool> {
        let entry = self.nicks.get(nick)?;
        let status = entry.statuses.iter().find(|&&(d, _)| d == directory)?;
        Some(status.1)
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Notes `nick`'s state before the change. Each change touches a nick once.
    fn touch(&mut self, change: &mut Change, nick: &str) {
        let entry = self.nicks.get(nick);
        change.nicks.push(Touched {
            nick: nick.to_owned(),
            seen: entry.map(|entry| entry.seen),
            was_active: entry.is_some_and(|entry| self.active(entry)),
            undo: entry.filter(|_| self.may_refuse()).cloned(),
        });
    }

    /// jmcore's `update_nick` (touching the nick), without its leave logic: the change's end
    /// reports events.
    fn set_status(
        &mut self,
        change: &mut Change,
        nick: &str,
        directory: DirectoryId,
        present: bool,
    ) {
        self.touch(change, nick);
        if !self.nicks.contains_key(nick) {
            let seen = self.tick();
            let entry = Entry {
                statuses: Vec::new(),
                seen,
                cursor: 0,
            };
            self.nicks.insert(nick.to_owned(), entry);
        }
        let entry = self.nicks.get_mut(nick).expect("just inserted");
        match entry.statuses.iter_mut().find(|(d, _)| *d == directory) {
            Some(status) => status.1 = present,
            None => entry.statuses.push((directory, present)),
        }
    }

    fn may_refuse(&self) -> bool {
        self.limits.max_nicks.is_some() || self.limits.max_directories.is_some()
    }

    /// Makes `directory` known (connected) if it is not.
    fn know(&mut self, change: &mut Change, directory: DirectoryId) {
        if !self.directories.contains_key(&directory) {
            self.set_directory(change, directory, Some(true));
        }
    }

    /// Sets a directory's state (`None`: forgotten), noting the old one.
    fn set_directory(&mut self, change: &mut Change, directory: DirectoryId, state: Option<bool>) {
        let old = self.directories.get(&directory).copied();
        change.directories.push((directory, old));
        if old == Some(false) {
            self.disconnected -= 1;
        }
        match state {
            Some(connected) => {
                self.directories.insert(directory, connected);
                if !connected {
                    self.disconnected += 1;
                }
            }
            None => {
                self.directories.remove(&directory);
            }
        }
    }

    /// Ends a change: deletes the entries nobody reports present, undoes the change if the
    /// result exceeds a cap, and otherwise reports its events.
    fn finish(&mut self, change: Change, directory: DirectoryId) -> Outcome {
        let mut active_after = Vec::with_capacity(change.nicks.len());
        for touched in &change.nicks {
            let entry = self.nicks.get(&touched.nick);
            if entry.is_some_and(|entry| !entry.statuses.iter().any(|s| s.1)) {
                self.nicks.remove(&touched.nick);
                active_after.push(false);
            } else {
                active_after.push(entry.is_some_and(|entry| self.active(entry)));
            }
        }
        let exceeded = self.exceeded(&change);
        if !exceeded.is_empty() {
            self.undo(change);
            return Err(Refusal(exceeded));
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
            let seen = self.tick();
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
    fn exceeded(&self, change: &Change) -> Vec<LimitError> {
        let mut exceeded = Vec::new();
        if let Some(limit) = self.limits.max_nicks
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
            exceeded.push(LimitError::Nicks { held, limit });
        }
        if let Some(limit) = self.limits.max_directories
            && self.directories.len() > limit
        {
            exceeded.push(LimitError::Directories { limit });
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
        for (directory, before) in change.directories.into_iter().rev() {
            if self.directories.get(&directory) == Some(&false) {
                self.disconnected -= 1;
            }
            match before {
                Some(connected) => {
                    self.directories.insert(directory, connected);
                    if !connected {
                        self.disconnected += 1;
                    }
                }
                None => {
                    self.directories.remove(&directory);
                }
            }
        }
    }
}

/// Whether a status counts: present, on a connected directory.
fn counts(
    directories: &HashMap<DirectoryId, bool>,
    disconnected: usize,
    &(directory, present): &(DirectoryId, bool),
) -> bool {
    present && (disconnected == 0 || directories[&directory])
}

fn active(directories: &HashMap<DirectoryId, bool>, disconnected: usize, entry: &Entry) -> bool {
    let mut statuses = entry.statuses.iter();
    statuses.any(|status| counts(directories, disconnected, status))
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
