//! nick-tracker: which peer nicks are still reachable when a client is connected to several
//! directory servers at once.
//!
//! A nick is active while at least one directory reports it present, and leaves only when
//! every directory that reported it has reported it gone or has been removed. This is a
//! reimplementation of JoinMarket's `jmcore.nick_tracker` for C, C++, Go and Python callers.
//!
//! The crate is split the way it is used:
//! - [`presence`]: the rules, in safe Rust ([`NickTracker`], [`Nick`]). Rust callers use this.
//! - `ffi`: the C ABI (`nt_*` functions, documented in `include/nick_tracker.h`). It is the
//!   only place with `unsafe` code: it checks pointers, catches panics, turns errors into
//!   status codes and runs callbacks after releasing the tracker's lock.

mod ffi;
pub mod presence;

pub use crate::presence::{
    ChangeError, Clock, Config, DirectoryId, DirectoryStats, Event, EventKind, Events, Expiry,
    LimitError, Limits, MAX_NICK_LEN, Nick, NickError, NickTracker, PackedNicks, PeerlistError,
    PickMode, Stats,
};
