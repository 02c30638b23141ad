//! The functions that read a tracker: activity, directories, picks, counts, snapshots.

use std::ffi::{c_char, c_void};

use super::boundary::{borrow, call, nick_arg, nick_bytes_arg, non_null};
use super::callbacks::{NulTerminatedNicks, nt_nick_callback};
use super::delivery;
use super::handle::nt_tracker;
use super::status::{Error, nt_status};
use crate::presence::{DirectoryStats, Nick};

/// Counters for monitoring a tracker, filled by nt_get_stats().
#[repr(C)]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct nt_stats {
    /// Nicks held: the active ones plus those reported present only by disconnected
    /// directories.
    pub nicks: usize,
    /// Nicks active now (the same as nt_active_nick_count()).
    pub active_nicks: usize,
    /// Directories known: reported by, synced, or given a connection state, and not removed.
    pub directories: usize,
    /// Of those, how many are connected.
    pub connected_directories: usize,
    /// JOIN events produced since the tracker was created (delivered or not).
    pub joins: u64,
    /// LEAVE events produced since the tracker was created (delivered or not). The `seq` of
    /// the latest event is `joins + leaves`.
    pub leaves: u64,
}

/// Stores in `*out_active` whether at least one connected directory reports `nick` present.
///
/// Returns NT_STATUS_NULL_ARGUMENT or an NT_STATUS_NICK_* code on bad input, leaving
/// `*out_active` untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_is_active(
    tracker: *const nt_tracker,
    nick: *const c_char,
    out_active: *mut bool,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and a valid C string.
        let (tracker, nick) = unsafe { (borrow(tracker, "tracker")?, nick_arg(nick)?) };
        is_active(tracker, nick, out_active)
    })
}

/// nt_is_active() with the nick as `nick_len` bytes at `nick`, without a terminator (see
/// nt_update_n()).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_is_active_n(
    tracker: *const nt_tracker,
    nick: *const c_char,
    nick_len: usize,
    out_active: *mut bool,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and `nick_len` readable bytes.
        let (tracker, nick) =
            unsafe { (borrow(tracker, "tracker")?, nick_bytes_arg(nick, nick_len)?) };
        is_active(tracker, nick, out_active)
    })
}

fn is_active(tracker: &nt_tracker, nick: Nick<'_>, out_active: *mut bool) -> Result<(), Error> {
    let out_active = non_null(out_active, "out_active")?;
    let active = tracker.locked(|state| state.is_active(nick.as_str()))?;
    // SAFETY: non-NULL and, per the contract, writable.
    unsafe { out_active.write(active) };
    Ok(())
}

/// Copies the connected directories that report `nick` present, in the order they first
/// reported it, into `out_directories`, and stores how many there are in `*out_len`.
///
/// The usual two-call pattern: with a too-small `capacity` (0 is fine, and then
/// `out_directories` may be NULL) the call returns NT_STATUS_BUFFER_TOO_SMALL, stores the
/// needed length in `*out_len`, and leaves the buffer untouched. A nick that is not active
/// has no directories (length 0, NT_STATUS_OK).
///
/// Returns NT_STATUS_NULL_ARGUMENT (`out_len` NULL, or `out_directories` NULL with a non-zero
/// `capacity`) or an NT_STATUS_NICK_* code on bad input, writing nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_active_directories(
    tracker: *const nt_tracker,
    nick: *const c_char,
    out_directories: *mut u64,
    capacity: usize,
    out_len: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and a valid C string.
        let (tracker, nick) = unsafe { (borrow(tracker, "tracker")?, nick_arg(nick)?) };
        active_directories(tracker, nick, out_directories, capacity, out_len)
    })
}

/// nt_active_directories() with the nick as `nick_len` bytes at `nick`, without a
/// terminator (see nt_update_n()).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_active_directories_n(
    tracker: *const nt_tracker,
    nick: *const c_char,
    nick_len: usize,
    out_directories: *mut u64,
    capacity: usize,
    out_len: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and `nick_len` readable bytes.
        let (tracker, nick) =
            unsafe { (borrow(tracker, "tracker")?, nick_bytes_arg(nick, nick_len)?) };
        active_directories(tracker, nick, out_directories, capacity, out_len)
    })
}

fn active_directories(
    tracker: &nt_tracker,
    nick: Nick<'_>,
    out_directories: *mut u64,
    capacity: usize,
    out_len: *mut usize,
) -> Result<(), Error> {
    let out_len = non_null(out_len, "out_len")?;
    if capacity > 0 {
        non_null(out_directories, "out_directories")?;
    }
    let needed = tracker.locked(|state| {
        let needed = state.active_directories(nick.as_str()).count();
        if needed <= capacity {
            for (index, directory) in state.active_directories(nick.as_str()).enumerate() {
                // SAFETY: index < needed <= capacity, and the caller provides `capacity`
                // writable, aligned slots (non-NULL, checked above, since needed > 0 here).
                unsafe { out_directories.add(index).write(directory) };
            }
        }
        needed
    })?;
    // SAFETY: `out_len` is non-NULL and, per the contract, writable.
    unsafe { answer_length(out_len, needed, capacity) }
}

/// Chooses one of `nick`'s active directories to send it a private message through, as the
/// tracker's pick mode says, and stores it in `*out_directory`. Random picks are uniform over
/// the active directories. Round robin keeps a position per nick that advances with each
/// call, taken modulo the nick's current number of active directories (so after that number
/// changes, the cycle restarts from wherever the position falls). The tracker is not `const`
/// here because the pick advances that position and the random generator.
///
/// Returns NT_STATUS_NICK_NOT_ACTIVE if no connected directory reports `nick` present,
/// NT_STATUS_NULL_ARGUMENT or an NT_STATUS_NICK_* code on bad input; `*out_directory` is
/// then untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_pick_directory(
    tracker: *mut nt_tracker,
    nick: *const c_char,
    out_directory: *mut u64,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and a valid C string.
        let (tracker, nick) = unsafe { (borrow(tracker, "tracker")?, nick_arg(nick)?) };
        pick_directory(tracker, nick, out_directory)
    })
}

/// nt_pick_directory() with the nick as `nick_len` bytes at `nick`, without a terminator
/// (see nt_update_n()).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_pick_directory_n(
    tracker: *mut nt_tracker,
    nick: *const c_char,
    nick_len: usize,
    out_directory: *mut u64,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and `nick_len` readable bytes.
        let (tracker, nick) =
            unsafe { (borrow(tracker, "tracker")?, nick_bytes_arg(nick, nick_len)?) };
        pick_directory(tracker, nick, out_directory)
    })
}

fn pick_directory(tracker: &nt_tracker, nick: Nick<'_>, out: *mut u64) -> Result<(), Error> {
    let out = non_null(out, "out_directory")?;
    let picked = tracker.locked(|state| state.pick_directory(nick.as_str()))?;
    let directory = picked.ok_or_else(|| Error::NickNotActive {
        nick: nick.as_str().to_owned(),
    })?;
    // SAFETY: non-NULL and, per the contract, writable.
    unsafe { out.write(directory) };
    Ok(())
}

/// Stores in `*out_count` how many nicks are active.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_active_nick_count(
    tracker: *const nt_tracker,
    out_count: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let out_count = non_null(out_count, "out_count")?;
        let count = tracker.locked(|state| state.len())?;
        // SAFETY: non-NULL and, per the contract, writable.
        unsafe { out_count.write(count) };
        Ok(())
    })
}

/// Fills `*out_stats` with the tracker's counters, all taken at one instant.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `tracker` or `out_stats` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_get_stats(
    tracker: *const nt_tracker,
    out_stats: *mut nt_stats,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let out_stats = non_null(out_stats, "out_stats")?;
        let stats = tracker.locked(|state| state.stats())?;
        let stats = nt_stats {
            nicks: stats.nicks,
            active_nicks: stats.active_nicks,
            directories: stats.directories,
            connected_directories: stats.connected_directories,
            joins: stats.joins,
            leaves: stats.leaves,
        };
        // SAFETY: non-NULL and, per the contract, writable and aligned.
        unsafe { out_stats.write(stats) };
        Ok(())
    })
}

/// Calls `visit(user_data, nick)` for every active nick, in the order the tracker first saw
/// them (since they last became active).
///
/// The nicks are a snapshot taken before the first call, and the lock is not held while
/// `visit` runs, so it may change the tracker: it counts as one of the tracker's callbacks
/// (see nt_event_callback), so the events of such changes are delivered after the last
/// visit, and it may not nt_free() the tracker.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `tracker` or `visit` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_for_each_active_nick(
    tracker: *const nt_tracker,
    visit: nt_nick_callback,
    user_data: *mut c_void,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let visit = visit.ok_or_else(|| Error::null("visit"))?;
        let snapshot = tracker.locked(|state| NulTerminatedNicks::new(state.active_nicks()))?;
        delivery::visit(tracker, || {
            // SAFETY: the caller provides a visitor that may be called with user_data.
            unsafe { snapshot.deliver(visit, user_data) }
        })
    })
}

/// Stores the length an answer needs in `*out_len`, and refuses a buffer that was too small
/// for it (nothing was written into the buffer then): the one way every sized query
/// ends.
///
/// # Safety
/// `out_len` must be writable.
unsafe fn answer_length(
    out_len: std::ptr::NonNull<usize>,
    needed: usize,
    capacity: usize,
) -> Result<(), Error> {
    // SAFETY: writable, per this function's contract.
    unsafe { out_len.write(needed) };
    if needed > capacity {
        return Err(Error::BufferTooSmall { needed, capacity });
    }
    Ok(())
}

/// Packs `nicks` (each followed by a NUL) into the caller's buffer if they fit; returns the
/// length they need.
fn copy_packed<'n>(
    nicks: impl IntoIterator<Item = &'n str, IntoIter: Clone>,
    out_nicks: *mut c_char,
    capacity: usize,
) -> usize {
    let nicks = nicks.into_iter();
    let needed: usize = nicks.clone().map(|nick| nick.len() + 1).sum();
    if needed <= capacity && needed > 0 {
        // SAFETY: the caller of the exported function provides `capacity` >= needed > 0
        // writable bytes at out_nicks, which is therefore not NULL.
        let out = unsafe { std::slice::from_raw_parts_mut(out_nicks.cast::<u8>(), needed) };
        let mut at = 0;
        for nick in nicks {
            out[at..at + nick.len()].copy_from_slice(nick.as_bytes());
            out[at + nick.len()] = 0;
            at += nick.len() + 1;
        }
    }
    needed
}

/// Copies every active nick into `out_nicks`, back to back, each followed by a NUL (as in a
/// packed peerlist), in the order the tracker first saw them, and stores their length in
/// bytes in `*out_len`: the whole list in one call, for bindings that would otherwise pay a
/// callback per nick.
///
/// Two-call pattern: with a too-small `capacity` (0 is fine, and then `out_nicks` may be
/// NULL) the call returns NT_STATUS_BUFFER_TOO_SMALL and stores the needed length, writing
/// nothing else. Another thread may change the tracker between the two calls, so the second
/// may need a larger buffer still.
///
/// Returns NT_STATUS_NULL_ARGUMENT (`tracker` or `out_len` NULL, or `out_nicks` NULL with a
/// non-zero `capacity`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_active_nicks_packed(
    tracker: *const nt_tracker,
    out_nicks: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let out_len = non_null(out_len, "out_len")?;
        if capacity > 0 {
            non_null(out_nicks, "out_nicks")?;
        }
        let needed =
            tracker.locked(|state| copy_packed(state.active_nicks(), out_nicks, capacity))?;
        // SAFETY: `out_len` is non-NULL and, per the contract, writable.
        unsafe { answer_length(out_len, needed, capacity) }
    })
}

/// Stores in `*out_ms` when `directory` last reported `nick` present or listed it in a
/// peerlist, in milliseconds of the tracker's clock (see nt_options: `clock`). A gone report
/// does not change it: it stays the last time the nick was seen there.
///
/// Returns NT_STATUS_NOT_FOUND if `directory` has no report of `nick` (since the nick was last
/// forgotten), NT_STATUS_NULL_ARGUMENT or an NT_STATUS_NICK_* code on bad input; `*out_ms` is
/// then untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_last_seen(
    tracker: *const nt_tracker,
    nick: *const c_char,
    directory: u64,
    out_ms: *mut u64,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and a valid C string.
        let (tracker, nick) = unsafe { (borrow(tracker, "tracker")?, nick_arg(nick)?) };
        let out_ms = non_null(out_ms, "out_ms")?;
        let seen = tracker.locked(|state| state.last_seen(nick.as_str(), directory))?;
        let seen = seen.ok_or_else(|| Error::NotFound {
            what: format!("nick {:?} on directory {directory}", nick.as_str()),
        })?;
        // SAFETY: non-NULL and, per the contract, writable.
        unsafe { out_ms.write(seen) };
        Ok(())
    })
}

/// Stores in `*out_ms` the latest time any directory reported `nick` present or listed it
/// (the latest nt_last_seen() over its directories). Returns NT_STATUS_NOT_FOUND if the
/// tracker does not hold `nick`, otherwise as nt_last_seen().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_last_seen_anywhere(
    tracker: *const nt_tracker,
    nick: *const c_char,
    out_ms: *mut u64,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new and a valid C string.
        let (tracker, nick) = unsafe { (borrow(tracker, "tracker")?, nick_arg(nick)?) };
        let out_ms = non_null(out_ms, "out_ms")?;
        let seen = tracker.locked(|state| state.last_seen_anywhere(nick.as_str()))?;
        let seen = seen.ok_or_else(|| Error::NotFound {
            what: format!("nick {:?}", nick.as_str()),
        })?;
        // SAFETY: non-NULL and, per the contract, writable.
        unsafe { out_ms.write(seen) };
        Ok(())
    })
}

/// One directory's view and health, filled by nt_get_directory_stats(). Times are
/// milliseconds of the tracker's clock. Whether a peerlist or report ever arrived is what its
/// count says: a time is 0 when its count is 0, and may be 0 otherwise too (a clock that
/// starts at 0).
#[repr(C)]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct nt_directory_stats {
    /// Nicks the directory reports present (whether it is connected or not).
    pub nicks: usize,
    pub connected: bool,
    /// Whether a peerlist is being received in chunks (nt_peerlist_begin()).
    pub snapshot_open: bool,
    /// When its last complete peerlist arrived (synced or committed); 0 if none has
    /// (`peerlists` is 0).
    pub last_peerlist_ms: u64,
    /// When its last single report (nt_update() and the like) arrived; 0 if none has
    /// (`reports` is 0).
    pub last_report_ms: u64,
    /// Complete peerlists and single reports received since the directory became known.
    pub peerlists: u64,
    pub reports: u64,
}

/// Fills `*out_stats` with `directory`'s view and health.
///
/// Returns NT_STATUS_NOT_FOUND if the tracker does not know `directory`, NT_STATUS_NULL_ARGUMENT
/// if `tracker` or `out_stats` is NULL; `*out_stats` is then untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_get_directory_stats(
    tracker: *const nt_tracker,
    directory: u64,
    out_stats: *mut nt_directory_stats,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let out_stats = non_null(out_stats, "out_stats")?;
        let stats = tracker.locked(|state| state.directory_stats(directory))?;
        let DirectoryStats {
            nicks,
            connected,
            snapshot_open,
            last_peerlist_at,
            last_report_at,
            peerlists,
            reports,
        } = stats.ok_or_else(|| unknown_directory(directory))?;
        let stats = nt_directory_stats {
            nicks,
            connected,
            snapshot_open,
            last_peerlist_ms: last_peerlist_at.unwrap_or(0),
            last_report_ms: last_report_at.unwrap_or(0),
            peerlists,
            reports,
        };
        // SAFETY: non-NULL and, per the contract, writable and aligned.
        unsafe { out_stats.write(stats) };
        Ok(())
    })
}

fn unknown_directory(directory: u64) -> Error {
    Error::NotFound {
        what: format!("directory {directory}"),
    }
}

/// Calls `visit(user_data, nick)` for every nick `directory` reports present (whether it is
/// connected or not), in no particular order: the directory's own list. A snapshot, visited
/// without the lock, like nt_for_each_active_nick() (same rules).
///
/// Returns NT_STATUS_NOT_FOUND if the tracker does not know `directory`,
/// NT_STATUS_NULL_ARGUMENT if `tracker` or `visit` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_for_each_directory_nick(
    tracker: *const nt_tracker,
    directory: u64,
    visit: nt_nick_callback,
    user_data: *mut c_void,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let visit = visit.ok_or_else(|| Error::null("visit"))?;
        let snapshot = tracker
            .locked(|state| {
                state
                    .directory_nicks(directory)
                    .map(NulTerminatedNicks::new)
            })?
            .ok_or_else(|| unknown_directory(directory))?;
        delivery::visit(tracker, || {
            // SAFETY: the caller provides a visitor that may be called with user_data.
            unsafe { snapshot.deliver(visit, user_data) }
        })
    })
}

/// Copies the nicks `directory` reports present into `out_nicks`, packed as by
/// nt_active_nicks_packed() (same two-call pattern), and stores their length in `*out_len`.
///
/// Returns NT_STATUS_NOT_FOUND if the tracker does not know `directory`, otherwise as
/// nt_active_nicks_packed().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_directory_nicks_packed(
    tracker: *const nt_tracker,
    directory: u64,
    out_nicks: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let out_len = non_null(out_len, "out_len")?;
        if capacity > 0 {
            non_null(out_nicks, "out_nicks")?;
        }
        let needed = tracker.locked(|state| {
            let nicks = state.directory_nicks(directory)?;
            Some(copy_packed(nicks, out_nicks, capacity))
        })?;
        let needed = needed.ok_or_else(|| unknown_directory(directory))?;
        // SAFETY: `out_len` is non-NULL and, per the contract, writable.
        unsafe { answer_length(out_len, needed, capacity) }
    })
}

/// Copies every known directory's id into `out_directories` (in no particular order) and
/// stores how many there are in `*out_len`, with the two-call pattern of
/// nt_active_directories().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_directories(
    tracker: *const nt_tracker,
    out_directories: *mut u64,
    capacity: usize,
    out_len: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let out_len = non_null(out_len, "out_len")?;
        if capacity > 0 {
            non_null(out_directories, "out_directories")?;
        }
        let needed = tracker.locked(|state| {
            let needed = state.directories().count();
            if needed <= capacity {
                for (index, directory) in state.directories().enumerate() {
                    // SAFETY: index < needed <= capacity writable, aligned slots, not NULL
                    // since capacity >= needed > 0 here.
                    unsafe { out_directories.add(index).write(directory) };
                }
            }
            needed
        })?;
        // SAFETY: `out_len` is non-NULL and, per the contract, writable.
        unsafe { answer_length(out_len, needed, capacity) }
    })
}
