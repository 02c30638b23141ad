//! Peerlists: a directory's whole list at once (nt_sync_peerlist), or in chunks between
//! nt_peerlist_begin() and nt_peerlist_commit(), as JoinMarket directories send theirs.

use std::ffi::c_char;

use super::boundary::{borrow, call, nick_array_arg, packed_bytes_arg};
use super::changes::{deliver_with_departures, write_count};
use super::handle::nt_tracker;
use super::status::nt_status;

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
/// limits, or the clock went backwards, nothing changes, and the tracker keeps no memory of the
/// list. NT_STATUS_CALLBACK_FAILED as for nt_update().
///
/// A whole peerlist at once is nt_peerlist_begin(), one nt_peerlist_add() and
/// nt_peerlist_commit(), only quicker: a directory's resent list is compared with its last one
/// as bytes, and only the nicks that differ are looked up. It replaces a peerlist being
/// received in chunks, if one is open.
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

/// Begins receiving `directory`'s peerlist in chunks (JoinMarket directories send theirs as
/// many messages of about 20 entries, with no end marker): nt_peerlist_add() for each chunk,
/// then nt_peerlist_commit() once the list is complete, or nt_peerlist_abort() if it never
/// will be. Beginning while one is open restarts it. An unknown directory becomes known.
/// Nothing changes and no event comes until chunks do.
///
/// Meanwhile the directory's nicks are as they were: nothing becomes gone before the commit,
/// however long the list takes or if it is abandoned. A full sync (nt_sync_peerlist()), a
/// disconnection (nt_set_directory_connected()) or a removal of the directory closes the
/// open peerlist.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `tracker` is NULL, NT_STATUS_DIRECTORY_LIMIT if an
/// unknown directory would exceed the limit.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_peerlist_begin(tracker: *mut nt_tracker, directory: u64) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let begun = tracker.locked(|state| state.begin_peerlist(directory))?;
        begun.map_err(|error| tracker.refused(error.into()))
    })
}

/// Adds a chunk to `directory`'s open peerlist: `len` bytes of nicks, each followed by a NUL
/// (as for nt_sync_peerlist_packed()). Each becomes present on `directory` at once (JOIN
/// events, delivered before this returns). All or nothing: a bad nick (named by its index in
/// the chunk) or new nicks beyond the nick limit refuse the whole chunk, and the peerlist
/// stays open.
///
/// Cost: about that of one nt_update() per nick. Returns NT_STATUS_NO_SNAPSHOT if no
/// peerlist is open on `directory`, and otherwise the errors of nt_sync_peerlist_packed()
/// (NT_STATUS_CLOCK_WENT_BACKWARDS included).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_peerlist_add(
    tracker: *mut nt_tracker,
    directory: u64,
    nicks: *const c_char,
    len: usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and `len` readable bytes.
        let (tracker, bytes) =
            unsafe { (borrow(tracker, "tracker")?, packed_bytes_arg(nicks, len)?) };
        let batch = tracker.change(|state| state.add_peerlist_chunk(directory, bytes))?;
        super::delivery::deliver(tracker, batch)
    })
}

/// Completes `directory`'s open peerlist: every nick `directory` reported present that was
/// neither listed in a chunk nor reported present on it (nt_update()) since the peerlist
/// began becomes gone on it. Leaves (in the order the nicks were first seen) are delivered
/// before this returns; `out_gone_count` (may be NULL) receives how many left, and
/// nt_departed_nicks() their names.
///
/// Cost: one pass over the nicks `directory` has reported. Returns NT_STATUS_NO_SNAPSHOT if no
/// peerlist is open on `directory`, NT_STATUS_CLOCK_WENT_BACKWARDS if the clock read earlier
/// than before (the peerlist stays open, nothing changed); NT_STATUS_CALLBACK_FAILED as for
/// nt_update().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_peerlist_commit(
    tracker: *mut nt_tracker,
    directory: u64,
    out_gone_count: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let batch = tracker.change(|state| state.commit_peerlist(directory))?;
        write_count(out_gone_count, batch.events().leaves());
        deliver_with_departures(tracker, batch)
    })
}

/// Drops `directory`'s open peerlist, as when its refresh failed halfway: what its chunks
/// listed stays present, and nothing becomes gone. Returns NT_STATUS_NO_SNAPSHOT if no
/// peerlist is open on `directory`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_peerlist_abort(tracker: *mut nt_tracker, directory: u64) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let aborted = tracker.locked(|state| state.abort_peerlist(directory))?;
        aborted.map_err(|error| tracker.refused(error.into()))
    })
}
