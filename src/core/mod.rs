//! The safe core: the nick rules and the tracker state machine. Nothing here knows about C,
//! locks or callbacks, which is what lets it be tested exhaustively in plain Rust.

mod nick;
mod tracker;

pub use nick::{MAX_NICK_LEN, Nick, NickError};
pub use tracker::{DirectoryId, NickTracker};
