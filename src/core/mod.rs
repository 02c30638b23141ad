//! The safe core: the nick rules and the tracker state machine. Nothing here knows about C,
//! locks or callbacks, which is what lets it be tested exhaustively in plain Rust.

mod event;
mod nick;
mod peerlist;
mod slab;
mod tracker;

pub use event::{Event, EventKind};
pub use nick::{MAX_NICK_LEN, Nick, NickError};
pub use peerlist::{PackedNicks, PeerlistError};
pub use tracker::{
    Config, DirectoryId, LimitError, Limits, NickTracker, PickMode, Stats, SyncError,
};
