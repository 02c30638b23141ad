//! The `nt_tracker` handle and the functions on it.
//!
//! Each function validates every argument before touching the tracker (so bad input changes
//! nothing), does its work under the tracker's lock, releases the lock, and only then runs
//! user callbacks, so a callback may call back into the same tracker.

use std::ffi::{c_char, c_void};
use std::sync::{Mutex, MutexGuard};

use super::boundary::{borrow, call, catch_panic, nick_arg, nick_array_arg, non_null};
use super::status::{Error, nt_status};
use crate::core::NickTracker;

/// A callback that receives one nick: the leave callback given to nt_new(), and the visitor
/// given to nt_for_each_active_nick().
///
/// `user_data` is the pointer registered with the callback, passed through untouched.
/// `nick` is a NUL-terminated UTF-8 string of 1..=NT_MAX_NICK_LEN bytes, owned by the library
/// and valid only until the callback returns; copy it to keep it.
///
/// Callbacks run on the thread that made the call, after the tracker's lock is released, so
/// they may call any nt_* function on the same tracker except nt_free(). They must return
/// normally: unwinding out of one (a C++ exception, longjmp) is undefined behaviour.
pub type nt_nick_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, nick: *const c_char)>;

/// A nick tracker. Create with nt_new(), destroy with nt_free().
///
/// Every function except nt_free() may be called on the same tracker from several threads at
/// once; an internal lock serialises them.
pub struct nt_tracker {
    state: Mutex<NickTracker>,
    on_leave: nt_nick_callback,
    user_data: *mut c_void,
}

impl nt_tracker {
    fn lock(&self) -> Result<MutexGuard<'_, NickTracker>, Error> {
        self.state.lock().map_err(|_| Error::Poisoned)
    }

    /// Calls the leave callback for each nick. Must be called without the lock held.
    fn announce_departures<'n>(&self, departed: impl IntoIterator<Item = &'n str>) {
        if let Some(on_leave) = self.on_leave {
            // SAFETY: nt_new's caller promised that on_leave may be called with user_data
            // for as long as the tracker lives, which covers this call.
            unsafe { PackedNicks::new(departed).deliver(on_leave, self.user_data) };
        }
    }
}

/// Nicks packed back to back as C strings: one allocation however many nicks there are,
/// filled while the lock is held and handed to callbacks after it is released.
struct PackedNicks(Vec<u8>);

impl PackedNicks {
    fn new<'n>(nicks: impl IntoIterator<Item = &'n str>) -> Self {
        let mut bytes = Vec::new();
        for nick in nicks {
            bytes.extend_from_slice(nick.as_bytes());
            bytes.push(0);
        }
        PackedNicks(bytes)
    }

    /// # Safety
    /// `callback` must be safe to call with `user_data` and a nick.
    unsafe fn deliver(
        &self,
        callback: unsafe extern "C" fn(*mut c_void, *const c_char),
        user_data: *mut c_void,
    ) {
        // Nicks never contain NUL, so each chunk is exactly one nick plus its terminator.
        for nick in self.0.split_inclusive(|&byte| byte == 0) {
            // SAFETY: `nick` is NUL-terminated and outlives the call; the callback itself is
            // safe to call per this function's contract.
            unsafe { callback(user_data, nick.as_ptr().cast()) };
        }
    }
}

/// Creates a tracker and stores it in `*out_tracker`.
///
/// `on_leave` (may be NULL) is called once each time a nick leaves: when the last directory
/// that reported it present reports it gone, stops listing it, or is removed. It receives
/// `user_data`, which the library never dereferences. Both must stay valid until nt_free().
///
/// Returns NT_STATUS_NULL_ARGUMENT if `out_tracker` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_new(
    on_leave: nt_nick_callback,
    user_data: *mut c_void,
    out_tracker: *mut *mut nt_tracker,
) -> nt_status {
    call(|| {
        let out_tracker = non_null(out_tracker, "out_tracker")?;
        let tracker = Box::new(nt_tracker {
            state: Mutex::new(NickTracker::new()),
            on_leave,
            user_data,
        });
        // SAFETY: out_tracker is non-NULL and, per the documented contract, writable.
        unsafe { out_tracker.write(Box::into_raw(tracker)) };
        Ok(())
    })
}

/// Destroys a tracker made by nt_new(). No leave callbacks are called. NULL is ignored.
///
/// Returns nothing because there is nothing a caller could do about a failure here. No other
/// call may be using `tracker` at the same time or afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_free(tracker: *mut nt_tracker) {
    catch_panic((), || {
        if !tracker.is_null() {
            // SAFETY: a non-NULL tracker came from Box::into_raw in nt_new and, per the
            // contract, is freed once and used by no one else.
            drop(unsafe { Box::from_raw(tracker) });
        }
    })
}

/// Records that `directory` reports `nick` present (`present` true) or gone (false).
///
/// If this report leaves the nick present on no directory, the leave callback is called with
/// it before this function returns, and the tracker forgets the nick. A "gone" report from a
/// directory that has not reported the nick present is ignored.
///
/// Returns NT_STATUS_NULL_ARGUMENT, or an NT_STATUS_NICK_* code for an invalid nick; the
/// tracker is then unchanged.
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
        let left = tracker.lock()?.update(nick, directory, present);
        if left {
            tracker.announce_departures([nick.as_str()]);
        }
        Ok(())
    })
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

/// Forgets everything `directory` reported, as when its connection is lost.
///
/// Every nick that no remaining directory reports present leaves: the leave callback is
/// called for each, in the order the tracker first saw them, before this returns. If
/// `out_gone_count` is not NULL it receives how many left. Removing an unknown directory
/// is not an error.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `tracker` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_remove_directory(
    tracker: *mut nt_tracker,
    directory: u64,
    out_gone_count: *mut usize,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let departed = tracker.lock()?.remove_directory(directory);
        if !out_gone_count.is_null() {
            // SAFETY: non-NULL and, per the contract, writable.
            unsafe { out_gone_count.write(departed.len()) };
        }
        tracker.announce_departures(departed.iter().map(|nick| &**nick));
        Ok(())
    })
}

/// Makes `directory`'s view match the peerlist it just sent: each of the `count` nicks in
/// `nicks` becomes present on `directory`, and each nick that `directory` reported present
/// but is not listed becomes gone on it.
///
/// Nicks that leave as a result get the leave callback, in the order the tracker first saw
/// them, before this returns. Duplicates in `nicks` are harmless. `nicks` may be NULL when
/// `count` is 0 (an empty peerlist: everything `directory` listed becomes gone on it).
///
/// All or nothing: if any entry is NULL or not a valid nick, nothing changes and the error
/// message names the entry (e.g. "nicks[3]: nick is empty").
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
        let departed = tracker.lock()?.sync_peerlist(directory, &peerlist);
        tracker.announce_departures(departed.iter().map(|nick| &**nick));
        Ok(())
    })
}

/// Stores in `*out_active` whether at least one directory reports `nick` present.
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
        let out_active = non_null(out_active, "out_active")?;
        let active = tracker.lock()?.is_active(nick.as_str());
        // SAFETY: non-NULL and, per the contract, writable.
        unsafe { out_active.write(active) };
        Ok(())
    })
}

/// Copies the directories that report `nick` present, in the order they first reported it,
/// into `out_directories`, and stores how many there are in `*out_len`.
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
        let out_len = non_null(out_len, "out_len")?;
        if capacity > 0 {
            non_null(out_directories, "out_directories")?;
        }
        let state = tracker.lock()?;
        let needed = state.active_directories(nick.as_str()).count();
        // SAFETY: non-NULL and, per the contract, writable.
        unsafe { out_len.write(needed) };
        if needed > capacity {
            return Err(Error::BufferTooSmall { needed, capacity });
        }
        for (index, directory) in state.active_directories(nick.as_str()).enumerate() {
            // SAFETY: index < needed <= capacity, and the caller provides `capacity`
            // writable, aligned slots (non-NULL, checked above, since needed > 0 here).
            unsafe { out_directories.add(index).write(directory) };
        }
        Ok(())
    })
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
        let count = tracker.lock()?.len();
        // SAFETY: non-NULL and, per the contract, writable.
        unsafe { out_count.write(count) };
        Ok(())
    })
}

/// Calls `visit(user_data, nick)` for every active nick, in the order the tracker first saw
/// them.
///
/// The nicks are a snapshot taken before the first call, and the lock is not held while
/// `visit` runs, so it may change the tracker; changes show in the next snapshot.
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
        let snapshot = PackedNicks::new(tracker.lock()?.active_nicks());
        // SAFETY: the caller provides a visitor that may be called with user_data.
        unsafe { snapshot.deliver(visit, user_data) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;

    use super::*;

    #[test]
    fn a_tracker_whose_lock_was_poisoned_refuses_further_use() {
        let mut raw = std::ptr::null_mut();
        // SAFETY: out pointer is valid; no callback.
        assert_eq!(
            unsafe { nt_new(None, std::ptr::null_mut(), &mut raw) },
            nt_status::Ok
        );
        // SAFETY: raw is the live tracker just created.
        let tracker = unsafe { &*raw };
        // Simulate a bug: a panic while the state is locked.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let _guard = tracker.state.lock().unwrap();
            panic!("simulated bug inside the core");
        }));
        let mut active = false;
        // SAFETY: valid tracker, C string and out pointer.
        let status = unsafe { nt_is_active(raw, c"alice".as_ptr(), &mut active) };
        assert_eq!(status, nt_status::Poisoned);
        // SAFETY: valid tracker and C string.
        let status = unsafe { nt_mark_present(raw, c"alice".as_ptr(), 1) };
        assert_eq!(status, nt_status::Poisoned);
        // SAFETY: raw came from nt_new and is not used afterwards.
        unsafe { nt_free(raw) };
    }
}
