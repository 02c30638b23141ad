//! The functions that change a tracker: reports, peerlists, removals, connection changes.
//!
//! Each validates every argument before touching the tracker (so bad input changes nothing),
//! makes its change under the lock, and delivers the change's events after releasing it
//! ([`super::delivery`]).

use std::ffi::c_char;

use super::boundary::{borrow, call, nick_arg, nick_array_arg, nick_bytes_arg, packed_bytes_arg};
use super::callbacks::{Batch, nt_log_level};
use super::delivery::{self, Departed};
use super::handle::nt_tracker;
use super::status::{Error, nt_status};
use crate::presence::Nick;

/// Records that `directory` reports `nick` present (`present` true) or gone (false).
///
/// If the nick was not active and `directory` is connected, it joins. If this report leaves
/// the nick present on no connected directory, it leaves. Either event is delivered before
/// this function returns (see nt_event_callback). A "gone" report from a directory that has
/// not reported the nick present is ignored. A "present" report from a directory not seen
/// before makes it known (connected).
///
/// Returns NT_STATUS_NULL_ARGUMENT, an NT_STATUS_NICK_* code for an invalid nick, or
/// NT_STATUS_NICK_LIMIT / NT_STATUS_DIRECTORY_LIMIT if a new nick or directory would exceed
/// the tracker's limits; the tracker is then unchanged. NT_STATUS_CALLBACK_FAILED: the
/// report was recorded and its event delivered, and a callback reported an error
/// (nt_report_callback_error()).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_update(
    tracker: *mut nt_tracker,
    nick: *const c_char,
    directory: u64,
    present: bool,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and a valid C string.
        let (tracker, nick) = unsafe { (borrow(tracker, "tracker")?, nick_arg(nick)?) };
        update(tracker, nick, directory, present)
    })
}

/// nt_update() with the nick as `nick_len` bytes at `nick`, without a terminator: for
/// callers whose strings carry their length (Go, Rust, C++ string_view), with no copy. A NUL
/// among those bytes is NT_STATUS_NICK_CONTAINS_NUL. Same semantics and errors otherwise.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_update_n(
    tracker: *mut nt_tracker,
    nick: *const c_char,
    nick_len: usize,
    directory: u64,
    present: bool,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and `nick_len` readable bytes.
        let (tracker, nick) =
            unsafe { (borrow(tracker, "tracker")?, nick_bytes_arg(nick, nick_len)?) };
        update(tracker, nick, directory, present)
    })
}

fn update(
    tracker: &nt_tracker,
    nick: Nick<'_>,
    directory: u64,
    present: bool,
) -> Result<(), Error> {
    let batch = tracker.change(|state| state.update(nick, directory, present))?;
    delivery::deliver(tracker, batch)
}

/// Same as nt_update() with `present` true.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_mark_present(
    tracker: *mut nt_tracker,
    nick: *const c_char,
    directory: u64,
) -> nt_status {
    // SAFETY: same contract as nt_update.
    unsafe { nt_update(tracker, nick, directory, true) }
}

/// Same as nt_update() with `present` false.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_mark_gone(
    tracker: *mut nt_tracker,
    nick: *const c_char,
    directory: u64,
) -> nt_status {
    // SAFETY: same contract as nt_update.
    unsafe { nt_update(tracker, nick, directory, false) }
}

/// Forgets everything `directory` reported, as when it is dropped for good.
///
/// Every nick that no remaining connected directory reports present leaves, in the order
/// the tracker first saw them, before this returns. If `out_gone_count` is not NULL it
/// receives how many left; nt_departed_nicks() gives their names. Removing an unknown
/// directory is not an error.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `tracker` is NULL; NT_STATUS_CALLBACK_FAILED as for
/// nt_update() (the count is written).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_remove_directory(
    tracker: *mut nt_tracker,
    directory: u64,
    out_gone_count: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let removed = tracker.locked(|state| state.remove_directory(directory).map(Batch::of))?;
        let known = removed.is_some();
        let mut batch = removed.unwrap_or_default();
        let gone = batch.events().leaves();
        if known {
            batch.log(&tracker.listeners, nt_log_level::Info, || {
                format!("directory {directory} removed: {gone} nicks left")
            });
        }
        if !out_gone_count.is_null() {
            // SAFETY: non-NULL and, per the contract, writable.
            unsafe { out_gone_count.write(gone) };
        }
        deliver_with_departures(tracker, batch)
    })
}

/// Marks `directory`'s connection as up (`connected` true) or down.
///
/// While a directory is down its reports are kept but do not count: nicks that no other
/// connected directory reports present leave. When it is back up they count again and those
/// nicks join, until its next peerlist (nt_sync_peerlist()) says otherwise. Reports and
/// peerlists that arrive while it is down are recorded the same way. Events are delivered
/// before this returns; nt_departed_nicks() gives the nicks that left. An unknown directory
/// becomes known in the given state; setting the state it already has does nothing.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `tracker` is NULL, NT_STATUS_DIRECTORY_LIMIT if an
/// unknown directory would exceed the tracker's limit, NT_STATUS_CALLBACK_FAILED as for
/// nt_update().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_set_directory_connected(
    tracker: *mut nt_tracker,
    directory: u64,
    connected: bool,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let changed = tracker.locked(|state| {
            state
                .set_directory_connected(directory, connected)
                .map(|events| events.map(Batch::of))
        })?;
        let Some(mut batch) = changed.map_err(|error| tracker.refused(error.into()))? else {
            return deliver_with_departures(tracker, Batch::default());
        };
        let (joins, leaves) = (batch.events().joins(), batch.events().leaves());
        batch.log(&tracker.listeners, nt_log_level::Info, || match connected {
            true => format!("directory {directory} connected: {joins} nicks joined"),
            false => format!("directory {directory} disconnected: {leaves} nicks left"),
        });
        deliver_with_departures(tracker, batch)
    })
}

/// Makes `directory`'s view match the peerlist it just sent: each of the `count` nicks in
/// `nicks` becomes present on `directory`, and each nick that `directory` reported present
/// but is not listed becomes gone on it.
///
/// Events (leaves in the order the tracker first saw the nicks, then joins in list order)
/// are delivered before this returns; nt_departed_nicks() gives the nicks that left.
/// Duplicates in `nicks` are harmless. `nicks` may be NULL when `count` is 0 (an empty
/// peerlist: everything `directory` listed becomes gone on it). Cost: proportional to
/// `count` plus the nicks `directory` has reported, not to the size of the tracker.
///
/// All or nothing: if any entry is NULL or not a valid nick (the error message names the
/// entry, e.g. "nicks[3]: nick is empty"), or the new nicks would exceed the tracker's
/// limits, nothing changes, and the tracker keeps no memory of the list.
/// NT_STATUS_CALLBACK_FAILED as for nt_update().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_sync_peerlist(
    tracker: *mut nt_tracker,
    directory: u64,
    nicks: *const *const c_char,
    count: usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and `count` valid C strings.
        let (tracker, peerlist) =
            unsafe { (borrow(tracker, "tracker")?, nick_array_arg(nicks, count)?) };
        let batch = tracker.change(|state| state.sync_peerlist(directory, &peerlist))?;
        deliver_with_departures(tracker, batch)
    })
}

/// nt_sync_peerlist() with the peerlist in one buffer: `len` bytes holding the nicks back to
/// back, each followed by a NUL byte ("alice\0bob\0"). One call and no array of pointers,
/// which suits bindings that would otherwise make one C string per nick. `nicks` may be NULL
/// when `len` is 0 (an empty peerlist).
///
/// Same semantics and errors as nt_sync_peerlist(), plus NT_STATUS_INVALID_ARGUMENT if the
/// buffer does not end with a NUL byte; an empty entry ("a\0\0") is NT_STATUS_NICK_EMPTY.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_sync_peerlist_packed(
    tracker: *mut nt_tracker,
    directory: u64,
    nicks: *const c_char,
    len: usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and `len` readable bytes.
        let (tracker, bytes) =
            unsafe { (borrow(tracker, "tracker")?, packed_bytes_arg(nicks, len)?) };
        let batch = tracker.change(|state| state.sync_peerlist_bytes(directory, bytes))?;
        deliver_with_departures(tracker, batch)
    })
}

/// Delivers `batch`, then keeps its departures for nt_departed_nicks().
fn deliver_with_departures(tracker: &nt_tracker, batch: Batch) -> Result<(), Error> {
    let departed = Departed::of(batch.events());
    let delivered = delivery::deliver(tracker, batch);
    departed.keep();
    delivered
}
