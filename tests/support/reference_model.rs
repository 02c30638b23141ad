//! A reference model of the tracker, written from the documented rules (include/nick_tracker.h
//! and the module documentation of src/core/tracker.rs), not from the implementation. It is
//! deliberately naive: ordered maps and vectors, everything recomputed by scanning, every event
//! derived by comparing the active set before and after a change. Slow, and obviously right.
//!
//! The rules it encodes:
//!
//! - A directory becomes known when it reports a nick present, sends a peerlist or is given a
//!   connection state; it starts connected (unless given "down") and is known until removed.
//! - A nick is *held* while at least one directory (connected or not) reports it present, and
//!   *forgotten* (every trace of it dropped) as soon as none does.
//! - A nick is *active* while at least one *connected* directory reports it present.
//! - A "gone" report from a directory that has not reported the nick (since it was last
//!   forgotten) is ignored entirely; it does not even make the directory known.
//! - `active_directories(nick)`: the connected directories reporting the nick present, in the
//!   order of their first report since the nick was last forgotten (a directory that reports
//!   it gone and later present again keeps its place; a removed directory loses it).
//! - `active_nicks()`: the active nicks, in the order they last became active.
//! - Events of one call: the nicks that were active before and are not after leave, in the
//!   order they last became active; then the nicks that are active after and were not before
//!   join, in the order they happened (list order for a peerlist). A reconnection makes its
//!   nicks join all at once; they are reported in the order the nicks were first seen: when
//!   they last became active, or, for a nick not active since it was last forgotten, when it
//!   was first reported. Every event names the directory of the call.
//! - Limits: `max_nicks` caps held nicks, `max_directories` known directories. A change whose
//!   result would hold more nicks or know more directories than a cap allows is refused and
//!   changes nothing (the header: "the change would make the tracker hold more nicks than its
//!   `max_nicks` option allows"). So a peerlist may replace nicks that only its directory
//!   held, as long as the result fits. When several caps would be exceeded the documentation
//!   does not say which one is reported, so a [`Refusal`] lists all of them and accepts any.
//! - Round-robin picks: a per-nick cursor, kept while the nick is held; a pick returns entry
//!   `cursor % n` of the `n` active directories and sets the cursor to that index plus one.
#![allow(dead_code)]

use std::collections::BTreeMap;

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

/// What the model keeps about one held nick.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    /// Every directory that has reported the nick since it was last forgotten, in the order of
    /// its first report, with whether it reports the nick present now.
    reports: Vec<(DirectoryId, bool)>,
    /// When the nick was first seen: when it last became active, or, if it has not been
    /// active since it was last forgotten, when it was first reported.
    seen: u64,
    /// Round-robin cursor.
    cursor: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceModel {
    limits: Limits,
    pick: PickMode,
    /// Known directories and whether each is connected.
    directories: BTreeMap<DirectoryId, bool>,
    /// Held nicks.
    nicks: BTreeMap<String, Held>,
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
            directories: BTreeMap::new(),
            nicks: BTreeMap::new(),
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

    /// Every held nick, active or not.
    pub fn held_nicks(&self) -> Vec<String> {
        self.nicks.keys().cloned().collect()
    }

    pub fn is_active(&self, nick: &str) -> bool {
        !self.active_directories(nick).is_empty()
    }

    pub fn active_directories(&self, nick: &str) -> Vec<DirectoryId> {
        let Some(held) = self.nicks.get(nick) else {
            return Vec::new();
        };
        held.reports
            .iter()
            .filter(|&&(directory, present)| present && self.directories[&directory])
            .map(|&(directory, _)| directory)
            .collect()
    }

    pub fn active_nicks(&self) -> Vec<String> {
        let mut active: Vec<(u64, String)> = self
            .nicks
            .iter()
            .filter(|(nick, _)| self.is_active(nick))
            .map(|(nick, held)| (held.seen, nick.clone()))
            .collect();
        active.sort();
        active.into_iter().map(|(_, nick)| nick).collect()
    }

    pub fn len(&self) -> usize {
        self.active_nicks().len()
    }

    pub fn stats(&self) -> Stats {
        Stats {
            nicks: self.nicks.len(),
            active_nicks: self.len(),
            directories: self.directories.len(),
            connected_directories: self.directories.values().filter(|&&up| up).count(),
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
        self.attempt(|model| {
            let before = model.snapshot();
            model.directories.entry(directory).or_insert(true);
            model.set_report(nick, directory, true);
            model.finish(before, directory, vec![nick.to_owned()])
        })
    }

    pub fn mark_gone(&mut self, nick: &str, directory: DirectoryId) -> Vec<ModelEvent> {
        let before = self.snapshot();
        let reported_here = self
            .nicks
            .get(nick)
            .is_some_and(|held| held.reports.iter().any(|&(d, _)| d == directory));
        if reported_here {
            self.set_report(nick, directory, false);
        }
        self.finish(before, directory, Vec::new())
    }

    pub fn sync_peerlist(&mut self, directory: DirectoryId, peerlist: &[&str]) -> Outcome {
        let mut listed: Vec<String> = Vec::new();
        for nick in peerlist {
            if !listed.iter().any(|n| n == nick) {
                listed.push((*nick).to_owned());
            }
        }
        self.attempt(|model| {
            let before = model.snapshot();
            model.directories.entry(directory).or_insert(true);
            for nick in &listed {
                model.set_report(nick, directory, true);
            }
            let dropped: Vec<String> = model
                .nicks
                .iter()
                .filter(|(nick, held)| {
                    !listed.contains(nick) && held.reports.contains(&(directory, true))
                })
                .map(|(nick, _)| nick.clone())
                .collect();
            for nick in &dropped {
                model.set_report(nick, directory, false);
            }
            model.finish(before, directory, listed)
        })
    }

    pub fn remove_directory(&mut self, directory: DirectoryId) -> Vec<ModelEvent> {
        let before = self.snapshot();
        if self.directories.remove(&directory).is_some() {
            for held in self.nicks.values_mut() {
                held.reports.retain(|&(d, _)| d != directory);
            }
        }
        self.finish(before, directory, Vec::new())
    }

    pub fn set_directory_connected(&mut self, directory: DirectoryId, connected: bool) -> Outcome {
        self.attempt(|model| {
            let before = model.snapshot();
            model.directories.insert(directory, connected);
            // The nicks this directory reports present, in the order they were first seen.
            let mut reported: Vec<(u64, String)> = model
                .nicks
                .iter()
                .filter(|(_, held)| held.reports.contains(&(directory, true)))
                .map(|(nick, held)| (held.seen, nick.clone()))
                .collect();
            reported.sort();
            let candidates = reported.into_iter().map(|(_, nick)| nick).collect();
            model.finish(before, directory, candidates)
        })
    }

    pub fn pick_directory(&mut self, nick: &str) -> Pick {
        let choices = self.active_directories(nick);
        if choices.is_empty() {
            return Pick::NotActive;
        }
        match self.pick {
            PickMode::Random => Pick::AnyOf(choices),
            PickMode::RoundRobin => {
                let held = self.nicks.get_mut(nick).expect("an active nick is held");
                let index = held.cursor % choices.len();
                held.cursor = index + 1;
                Pick::Exactly(choices[index])
            }
        }
    }

    // ----- helpers -----

    /// Makes `change` on a copy and keeps the copy only if it respects the limits.
    fn attempt(&mut self, change: impl FnOnce(&mut Self) -> Vec<ModelEvent>) -> Outcome {
        let mut next = self.clone();
        let events = change(&mut next);
        let mut exceeded = Vec::new();
        if let Some(limit) = self.limits.max_nicks
            && next.nicks.len() > limit
        {
            exceeded.push(LimitError::Nicks {
                held: self.nicks.len(),
                limit,
            });
        }
        if let Some(limit) = self.limits.max_directories
            && next.directories.len() > limit
        {
            exceeded.push(LimitError::Directories { limit });
        }
        if !exceeded.is_empty() {
            return Err(Refusal(exceeded));
        }
        *self = next;
        Ok(events)
    }

    /// Records `directory`'s report about `nick`, creating the nick (first seen now) if needed.
    fn set_report(&mut self, nick: &str, directory: DirectoryId, present: bool) {
        if !self.nicks.contains_key(nick) {
            let seen = self.tick();
            let held = Held {
                reports: Vec::new(),
                seen,
                cursor: 0,
            };
            self.nicks.insert(nick.to_owned(), held);
        }
        let held = self.nicks.get_mut(nick).expect("just inserted");
        match held.reports.iter_mut().find(|(d, _)| *d == directory) {
            Some(report) => report.1 = present,
            None => held.reports.push((directory, present)),
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The active nicks with their `seen` stamps.
    fn snapshot(&self) -> Vec<(u64, String)> {
        let mut active: Vec<(u64, String)> = self
            .nicks
            .iter()
            .filter(|(nick, _)| self.is_active(nick))
            .map(|(nick, held)| (held.seen, nick.clone()))
            .collect();
        active.sort();
        active
    }

    /// Forgets the nicks nobody reports present, then derives the events of the change from
    /// the active set `before` it. `candidates` are the nicks the change may have made join,
    /// in the order their joins are reported.
    fn finish(
        &mut self,
        before: Vec<(u64, String)>,
        directory: DirectoryId,
        candidates: Vec<String>,
    ) -> Vec<ModelEvent> {
        self.nicks
            .retain(|_, held| held.reports.iter().any(|&(_, present)| present));
        let mut events = Vec::new();
        // `before` is sorted by first seen: the leave order.
        for (_, nick) in &before {
            if !self.is_active(nick) {
                events.push(ModelEvent {
                    kind: EventKind::Leave,
                    nick: nick.clone(),
                    directory,
                });
            }
        }
        let was_active = |nick: &str| before.iter().any(|(_, n)| n == nick);
        for nick in candidates {
            if self.is_active(&nick) && !was_active(&nick) {
                let seen = self.tick();
                self.nicks.get_mut(&nick).expect("active").seen = seen;
                events.push(ModelEvent {
                    kind: EventKind::Join,
                    nick,
                    directory,
                });
            }
        }
        // Model self-check: every nick whose state changed got its event.
        let now_active = self.snapshot();
        for (_, nick) in &now_active {
            assert!(
                was_active(nick) || events.iter().any(|e| &e.nick == nick),
                "reference model bug: {nick} joined without an event"
            );
        }
        self.leaves += events.iter().filter(|e| e.kind == EventKind::Leave).count() as u64;
        self.joins += events.iter().filter(|e| e.kind == EventKind::Join).count() as u64;
        events
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
