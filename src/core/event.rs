//! What the tracker tells its caller about: a nick becoming active or leaving.
//!
//! The tracker returns events instead of calling anything, so the caller (the C layer) can run
//! user callbacks after it has released its lock, and so every event can be checked in tests.

use std::sync::Arc;

use super::tracker::DirectoryId;

/// Which way a nick's presence changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The nick became active: the first connected directory reported it, or it returned
    /// after being gone.
    Join,
    /// The nick left: no connected directory reports it present any more.
    Leave,
}

/// One change in a nick's presence, in the order the tracker made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The nick, shared with the tracker's own copy (no string is copied per event).
    pub nick: Arc<str>,
    /// The directory whose report, peerlist, removal or connection change caused the event.
    pub directory: DirectoryId,
}

impl Event {
    pub fn is_join(&self) -> bool {
        self.kind == EventKind::Join
    }

    pub fn is_leave(&self) -> bool {
        self.kind == EventKind::Leave
    }
}
