//! The tracking rules, in plain safe Rust with no knowledge of C, locks or callbacks.
//!
//! A nick is *active* while at least one connected directory reports it present. A directory
//! that loses sight of a nick does not make it leave: only when every directory that reported
//! the nick has also reported it gone (or has been removed, or is disconnected) does the nick
//! leave, once. That is what keeps one flapping directory connection from producing false
//! "peer left" events. A nick that no directory reports present at all is forgotten.
//!
//! Methods return the call's [`Events`] instead of calling anything, so the caller (the C
//! layer) can run user callbacks after it has released its lock.
//!
//! # Modules
//!
//! | module | what it holds |
//! |---|---|
//! | `tracker` | [`NickTracker`]: the state, and the changes single reports, removals and connection changes make |
//! | `queries` | what the tracker answers without changing presence, [`Stats`] |
//! | `records` | a record per nick with its reports, and per directory the nicks it reported |
//! | `events` | [`Events`] and the ledger that numbers and orders them |
//! | `config` | [`Config`], [`Limits`], [`PickMode`] |
//! | `sync` | peerlist syncs: a per-directory memo of the last list, and the matching against it |
//! | `nick`, `packed` | what a valid [`Nick`] and a valid packed list ([`PackedNicks`]) are |
//! | `hashing`, `slab` | keyed hashing of nicks and directory ids; stable `u32` keys |
//!
//! # Cost
//!
//! Nick strings come from untrusted peers, so they are hashed with keyed SipHash (a peer
//! cannot precompute colliding nicks) and stored once, in their record; the index holds only
//! record keys. Everything else refers to nicks and directories by `u32` slab keys. An update
//! touches only the nick's side (the hash slot, the record and its reports); the record keeps
//! two bits per directory key under 64 (has a report, reports present), so the most common
//! update, a directory repeating itself, is answered from the record alone.
//!
//! With `d` = the number of directories that reported one nick (a small number in practice),
//! `k` = nicks that changed:
//!
//! | operation                         | cost (expected)                                  |
//! |-----------------------------------|--------------------------------------------------|
//! | `update` / `mark_*`               | O(d): one hash lookup, a scan of d 12-byte reports (O(1) for a repeated report from one of the first 64 directories) |
//! | `sync_peerlist(dir, list)`        | O(len(list) + k * d); general path O(len(list) * d + members of dir) |
//! | `remove_directory(dir)`           | O(members of dir * d)                            |
//! | `set_directory_connected`         | O(members of dir * d)                            |
//! | `is_active`, `len`, `stats`       | O(1)                                             |
//! | `active_directories`, `pick_*`    | O(d)                                             |
//! | `active_nicks`                    | O(N log N) (sorted by first seen)                |
//!
//! Batch operations add O(k log k) to order their k events. No operation allocates in
//! proportion to the total state, only to its own list and events.
#![forbid(unsafe_code)]

mod clock;
mod config;
mod directories;
mod events;
mod expiry;
mod hashing;
mod nick;
mod packed;
mod queries;
mod records;
mod slab;
mod snapshot;
mod sync;
#[cfg(test)]
mod testing;
mod tracker;

pub use clock::{Clock, monotonic};
pub use config::{ChangeError, Config, DirectoryId, Expiry, LimitError, Limits, PickMode};
pub use directories::DirectoryStats;
pub use events::{Event, EventKind, Events};
pub use nick::{MAX_NICK_LEN, Nick, NickError};
pub use packed::{PackedNicks, PeerlistError};
pub use queries::Stats;
pub use tracker::NickTracker;
