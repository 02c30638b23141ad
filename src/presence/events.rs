//! What the tracker tells its caller about (a nick becoming active, or leaving) and the
//! ledger that numbers and orders those events.
//!
//! The tracker returns events instead of calling anything, so the caller (the C layer) can
//! run user callbacks after it has released its lock, and so every event can be checked in
//! tests. A call's events are written into one buffer that the tracker reuses, nick bytes
//! included: a call that makes an event allocates nothing once the buffer has grown.

use std::ops::Range;

use super::config::DirectoryId;
use super::records::NickRecord;

/// Which way a nick's presence changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The nick became active: the first connected directory reported it, or it returned
    /// after being gone.
    Join,
    /// The nick left: no connected directory reports it present any more.
    Leave,
}

/// One change in a nick's presence, borrowed from the [`Events`] of the call that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    pub kind: EventKind,
    pub nick: &'a str,
    /// The directory whose report, peerlist, removal or connection change caused the event.
    pub directory: DirectoryId,
    /// The event's place in everything this tracker has ever reported: 1 for its first
    /// event, then one more for each. Numbered in the order the changes were made, so a
    /// consumer that sees events out of order (from several threads) can put them back.
    pub seq: u64,
}

impl Event<'_> {
    pub fn is_join(&self) -> bool {
        self.kind == EventKind::Join
    }

    pub fn is_leave(&self) -> bool {
        self.kind == EventKind::Leave
    }
}

/// The events of one call, in the order they are reported: as they happened, or, for a call
/// that changes many nicks at once, leaves by when the nicks were first seen, then joins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Events {
    entries: Vec<Entry>,
    /// Every event's nick, back to back.
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: EventKind,
    directory: DirectoryId,
    seq: u64,
    /// What the entry is sorted by for [`Order::LeavesByFirstSeen`].
    order: u64,
    nick: Range<u32>,
}

/// How a call's events are ordered before they are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// As they happened: for calls whose events follow one another, each single report
    /// making at most one.
    AsHappened,
    /// Leaves in the order the nicks were first seen (in their current presence period, as
    /// jmcore reports them), then joins in the order they happened: for calls that change
    /// many nicks at once, whose leaves are found in no meaningful order.
    LeavesByFirstSeen,
}

/// Above this many entries (or bytes of nicks) a buffer is released when it is cleared, so
/// that one huge call does not leave its memory behind.
const KEEP_ENTRIES: usize = 1024;
const KEEP_TEXT: usize = 16 * 1024;

impl Events {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<Event<'_>> {
        let entry = self.entries.get(index)?;
        let nick = &self.text[entry.nick.start as usize..entry.nick.end as usize];
        Some(Event {
            kind: entry.kind,
            nick,
            directory: entry.directory,
            seq: entry.seq,
        })
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Event<'_>> + '_ {
        (0..self.len()).map(|index| self.get(index).expect("index < len"))
    }

    /// How many of the events are leaves.
    pub fn leaves(&self) -> usize {
        self.entries
            .iter()
            .filter(|entry| entry.kind == EventKind::Leave)
            .count()
    }

    /// How many of the events are joins.
    pub fn joins(&self) -> usize {
        self.len() - self.leaves()
    }

    /// Appends copies of `other`'s events, keeping their numbers.
    pub fn extend_from(&mut self, other: &Events) {
        let base = u32::try_from(self.text.len()).expect("events of one call fit u32");
        self.text.push_str(&other.text);
        self.entries.extend(other.entries.iter().map(|entry| Entry {
            nick: entry.nick.start + base..entry.nick.end + base,
            ..entry.clone()
        }));
    }

    /// Empties the buffer, keeping its memory unless a huge call made it large.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.text.clear();
        self.entries.shrink_to(KEEP_ENTRIES);
        self.text.shrink_to(KEEP_TEXT);
    }

    fn push(&mut self, kind: EventKind, nick: &str, directory: DirectoryId, order: u64) {
        let start = u32::try_from(self.text.len()).expect("events of one call fit u32");
        self.text.push_str(nick);
        let end = start + nick.len() as u32;
        self.entries.push(Entry {
            kind,
            directory,
            seq: 0,
            order,
            nick: start..end,
        });
    }
}

/// Event bookkeeping: the counters and the events of the call in progress.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub active_nicks: usize,
    /// The next "first seen" stamp (see [`NickRecord::activated`]).
    next_activation: u64,
    pub joins: u64,
    pub leaves: u64,
    /// The number of the latest event numbered; the tracker's first event is 1.
    last_seq: u64,
    events: Events,
}

impl Ledger {
    /// Starts a call: its events replace the previous call's.
    pub fn begin(&mut self) {
        self.events.clear();
    }

    /// A stamp for a nick being seen now, later than every stamp before.
    pub fn stamp(&mut self) -> u64 {
        self.next_activation += 1;
        self.next_activation
    }

    /// A connected directory now reports the nick present.
    pub fn gain(&mut self, record: &mut NickRecord, directory: DirectoryId) {
        record.live += 1;
        if record.live == 1 {
            record.activated = self.stamp();
            self.active_nicks += 1;
            self.joins += 1;
            self.events
                .push(EventKind::Join, &record.name, directory, record.activated);
        }
    }

    /// A connected directory no longer reports the nick present.
    pub fn lose(&mut self, record: &mut NickRecord, directory: DirectoryId) {
        record.live -= 1;
        if record.live == 0 {
            self.active_nicks -= 1;
            self.leaves += 1;
            self.events
                .push(EventKind::Leave, &record.name, directory, record.activated);
        }
    }

    /// Ends a call: orders its events as asked, numbers them, and hands them out.
    pub fn finish(&mut self, order: Order) -> &Events {
        let entries = &mut self.events.entries;
        if order == Order::LeavesByFirstSeen && entries.len() > 1 {
            // A leave's stamp is older than any join's of the same call, so one sort puts
            // leaves first in first-seen order and joins after them as they happened.
            entries.sort_by_key(|entry| entry.order);
        }
        for entry in entries.iter_mut() {
            self.last_seq += 1;
            entry.seq = self.last_seq;
        }
        &self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_copy_keeps_nicks_and_numbers() {
        let mut events = Events::default();
        events.push(EventKind::Leave, "alice", 1, 5);
        events.push(EventKind::Join, "bob", 2, 9);
        let mut copy = Events::default();
        copy.push(EventKind::Join, "zed", 3, 1);
        copy.extend_from(&events);
        let nicks: Vec<&str> = copy.iter().map(|event| event.nick).collect();
        assert_eq!(nicks, ["zed", "alice", "bob"]);
        assert_eq!((copy.joins(), copy.leaves()), (2, 1));
        copy.clear();
        assert!(copy.is_empty() && copy.get(0).is_none());
    }

    #[test]
    fn a_huge_call_does_not_keep_its_buffer() {
        let mut events = Events::default();
        for index in 0..10 * KEEP_ENTRIES {
            events.push(EventKind::Join, &format!("nick{index}"), 1, index as u64);
        }
        events.clear();
        assert!(events.entries.capacity() <= KEEP_ENTRIES);
        assert!(events.text.capacity() <= KEEP_TEXT);
    }
}
