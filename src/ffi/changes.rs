//! The functions that change a tracker: reports, peerlists, removals, connection changes.
//!
//! Each validates every argument before touching the tracker (so bad input changes nothing),
//! makes its change under the lock, and delivers the change's events after releasing it
//! ([`super::delivery`]).

use std::ffi::c_char;

use super::boundary::{array_arg, borrow, call, nick_arg, nick_bytes_arg, packed_bytes_arg};
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
/// the tracker's limits, NT_STATUS_CLOCK_WENT_BACKWARDS if the report needed the time (any
/// report but an ignored "gone") and the clock read earlier than before; the tracker is then
/// unchanged. NT_STATUS_CALLBACK_FAILED: the
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
        write_count(out_gone_count, gone);
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
/// unknown directory would exceed the tracker's limit, NT_STATUS_CLOCK_WENT_BACKWARDS if a
/// disconnection needed the time (with `disconnected_hold_ms` set) and the clock read earlier
/// than before (nothing changed), NT_STATUS_CALLBACK_FAILED as for nt_update().
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

/// Applies several single reports from `directory` in one call, in order: the `count` nicks
/// packed in `nicks` (`len` bytes, each nick followed by a NUL, as for
/// nt_sync_peerlist_packed()), each reported present or gone as `present[i]` says. The shape
/// of a JoinMarket PEERLIST message with `;D` entries (`present[i]` is 0 for gone, anything
/// else for present). The same as nt_update() per nick, and
/// its events (in the order they happen) are delivered before this returns; nt_departed_nicks()
/// gives the nicks that left.
///
/// All or nothing: a bad nick (named, e.g. "nicks[3]: nick is empty"), a buffer not ending with
/// a NUL or holding another number of nicks than `count` (NT_STATUS_INVALID_ARGUMENT), or new
/// nicks (those reported present, counted once) beyond the nick limit refuse the whole batch,
/// as does NT_STATUS_CLOCK_WENT_BACKWARDS if an entry needed the time (any but an ignored
/// "gone") and the clock read earlier than before. NT_STATUS_CALLBACK_FAILED as for
/// nt_update(). `nicks` and `present` may be NULL when `len` and `count` are 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_update_batch(
    tracker: *mut nt_tracker,
    directory: u64,
    nicks: *const c_char,
    len: usize,
    present: *const u8,
    count: usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker, `len` readable bytes and `count`
        // readable flags.
        let (tracker, bytes, present) = unsafe {
            (
                borrow(tracker, "tracker")?,
                packed_bytes_arg(nicks, len)?,
                array_arg(present, count, "present")?,
            )
        };
        let present: Vec<bool> = present.iter().map(|&flag| flag != 0).collect();
        let batch = tracker.change(|state| state.apply_reports(directory, bytes, &present))?;
        deliver_with_departures(tracker, batch)
    })
}

/// Acts on every deadline due now (see nt_options: `presence_ttl_ms`, `gone_grace_ms`,
/// `disconnected_hold_ms`): held-back gone reports whose grace passed take effect, pairs not
/// seen within the presence TTL become gone on their directory, directories disconnected for
/// longer than the hold are removed. Nothing expires except in this call: call it as often
/// as the expiry should be precise (say every second). Leaves are delivered as for any
/// change of many nicks; `out_gone_count` (may be NULL) receives how many left, and
/// nt_departed_nicks() their names. A directory removed for its hold is logged at
/// NT_LOG_LEVEL_INFO, as nt_remove_directory() logs a removal.
///
/// Cost: proportional to what is due (each deadline is kept in a queue in deadline order),
/// plus a logarithmic factor, not to the number of nicks held.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `tracker` is NULL, NT_STATUS_CLOCK_WENT_BACKWARDS (nothing
/// changed), or NT_STATUS_CALLBACK_FAILED as for nt_update() (the count is written).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_expire(
    tracker: *mut nt_tracker,
    out_gone_count: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let expired = tracker.locked(|state| match state.expire() {
            Ok(events) => {
                let batch = Batch::of(events);
                Ok((batch, state.removed_by_last_expire().to_vec()))
            }
            Err(refusal) => Err(refusal),
        })?;
        let (mut batch, removed) = expired.map_err(|refusal| tracker.refused(refusal.into()))?;
        for directory in removed {
            // Logged as nt_remove_directory() logs a removal, with the reason.
            batch.log(&tracker.listeners, nt_log_level::Info, || {
                format!("directory {directory} removed: disconnected for longer than the hold")
            });
        }
        write_count(out_gone_count, batch.events().leaves());
        deliver_with_departures(tracker, batch)
    })
}

/// Writes a count to an optional output.
pub(super) fn write_count(out: *mut usize, count: usize) {
    if !out.is_null() {
        // SAFETY: non-NULL and, per the contract of every function with such an output,
        // writable.
        unsafe { out.write(count) };
    }
}

/// Delivers `batch`, then keeps its departures for nt_departed_nicks().
pub(super) fn deliver_with_departures(tracker: &nt_tracker, batch: Batch) -> Result<(), Error> {
    let departed = Departed::of(batch.events());
    let delivered = delivery::deliver(tracker, batch);
    departed.keep();
    delivered
}
