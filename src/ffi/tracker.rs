//! The `nt_tracker` handle and the functions on it.
//!
//! Each function validates every argument before touching the tracker (so bad input changes
//! nothing), does its work under the tracker's lock, releases the lock, and only then runs
//! user callbacks, so a callback may call back into the same tracker.

use std::ffi::{c_char, c_void};
use std::sync::{Mutex, MutexGuard};

use super::boundary::{
    borrow, call, catch_panic, nick_arg, nick_array_arg, non_null, packed_bytes_arg,
};
use super::callbacks::{Listeners, NulTerminatedNicks, nt_log_level, nt_nick_callback};
use super::options::nt_options;
use super::status::{Error, nt_status};
use crate::presence::{Config, Events, NickTracker};

/// A nick tracker. Create with nt_new() or nt_new_with_options(), destroy with nt_free().
///
/// Every function except nt_free() may be called on the same tracker from several threads at
/// once; an internal lock serialises them. Using a tracker after nt_free() is undefined
/// behaviour, as with any freed memory: the library cannot detect it.
pub struct nt_tracker {
    state: Mutex<NickTracker>,
    listeners: Listeners,
}

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
    /// LEAVE events produced since the tracker was created (delivered or not).
    pub leaves: u64,
}

impl nt_tracker {
    fn create(
        config: Config,
        listeners: Listeners,
        out: *mut *mut nt_tracker,
    ) -> Result<(), Error> {
        let out = non_null(out, "out_tracker")?;
        let tracker = Box::new(nt_tracker {
            state: Mutex::new(NickTracker::with_config(config)),
            listeners,
        });
        // SAFETY: out is non-NULL and, per the documented contract, writable.
        unsafe { out.write(Box::into_raw(tracker)) };
        Ok(())
    }

    fn lock(&self) -> Result<MutexGuard<'_, NickTracker>, Error> {
        self.state.lock().map_err(|_| Error::Poisoned)
    }

    /// Runs `change` under the lock, copies its events, then (lock released) delivers them,
    /// or returns its error, logging a refusal over a limit. Returns the events for callers
    /// that report counts; `None` if the change reports it changed nothing.
    fn apply<E>(
        &self,
        change: impl for<'a> FnOnce(&'a mut NickTracker) -> Result<Option<&'a Events>, E>,
    ) -> Result<Option<Events>, Error>
    where
        Error: From<E>,
    {
        let outcome = {
            let mut state = self.lock()?;
            change(&mut state).map(|events| {
                events.map(|events| {
                    let mut copy = Events::default();
                    copy.extend_from(events);
                    copy
                })
            })
        };
        match outcome.map_err(Error::from) {
            Ok(events) => {
                if let Some(events) = &events {
                    // SAFETY: the creator of the tracker promised its callbacks stay callable
                    // until nt_free(), which cannot have happened while we are called.
                    unsafe { self.listeners.deliver(events) };
                }
                Ok(events)
            }
            Err(error) => {
                if let Error::Limit(refusal) = &error {
                    self.listeners
                        .log(nt_log_level::Warn, || format!("change refused: {refusal}"));
                }
                Err(error)
            }
        }
    }
}

/// Creates a tracker with a leave callback and stores it in `*out_tracker`.
///
/// `on_leave` (may be NULL) is called once each time a nick leaves: when the last connected
/// directory that reported it present reports it gone, stops listing it, is removed or is
/// disconnected. It receives `user_data`, which the library never dereferences. Both must
/// stay valid until nt_free(). For join events, log messages, limits or the pick mode, use
/// nt_new_with_options().
///
/// Returns NT_STATUS_NULL_ARGUMENT if `out_tracker` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_new(
    on_leave: nt_nick_callback,
    user_data: *mut c_void,
    out_tracker: *mut *mut nt_tracker,
) -> nt_status {
    call(|| {
        let listeners = Listeners {
            on_leave,
            on_event: None,
            event_user_data: user_data,
            on_log: None,
            log_user_data: std::ptr::null_mut(),
            log_level: nt_log_level::Info,
        };
        nt_tracker::create(Config::default(), listeners, out_tracker)
    })
}

/// Creates a tracker configured by `*options` (see nt_options; fill it with
/// nt_options_init() first) and stores it in `*out_tracker`. The options are copied.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `options` or `out_tracker` is NULL, or
/// NT_STATUS_INVALID_ARGUMENT for an unknown `version`, `log_level` or `pick_mode`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_new_with_options(
    options: *const nt_options,
    out_tracker: *mut *mut nt_tracker,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, NULL or a readable nt_options.
        let (config, listeners) = unsafe { borrow(options, "options")? }.parse()?;
        nt_tracker::create(config, listeners, out_tracker)
    })
}

/// Destroys a tracker. No callbacks are called. NULL is ignored.
///
/// Returns nothing because there is nothing a caller could do about a failure here. No other
/// call may be using `tracker` at the same time or afterwards (not even a callback of this
/// tracker): use after free is undefined behaviour the library cannot detect.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_free(tracker: *mut nt_tracker) {
    catch_panic((), || {
        if !tracker.is_null() {
            // SAFETY: a non-NULL tracker came from Box::into_raw in nt_tracker::create and,
            // per the contract, is freed once and used by no one else.
            drop(unsafe { Box::from_raw(tracker) });
        }
    })
}

/// Records that `directory` reports `nick` present (`present` true) or gone (false).
///
/// If the nick was not active and `directory` is connected, it joins. If this report leaves
/// the nick present on no connected directory, it leaves. Either event is delivered before
/// this function returns. A "gone" report from a directory that has not reported the nick
/// present is ignored. A "present" report from a directory not seen before makes it known
/// (connected).
///
/// Returns NT_STATUS_NULL_ARGUMENT, an NT_STATUS_NICK_* code for an invalid nick, or
/// NT_STATUS_NICK_LIMIT / NT_STATUS_DIRECTORY_LIMIT if a new nick or directory would exceed
/// the tracker's limits; the tracker is then unchanged.
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
        tracker.apply(|state| state.update(nick, directory, present).map(Some))?;
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

/// Forgets everything `directory` reported, as when it is dropped for good.
///
/// Every nick that no remaining connected directory reports present leaves, in the order
/// the tracker first saw them, before this returns. If `out_gone_count` is not NULL it
/// receives how many left. Removing an unknown directory is not an error.
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
        let events = tracker.apply(|state| Ok::<_, Error>(state.remove_directory(directory)))?;
        if !out_gone_count.is_null() {
            let gone = events.as_ref().map_or(0, Events::leaves);
            // SAFETY: non-NULL and, per the contract, writable.
            unsafe { out_gone_count.write(gone) };
        }
        if let Some(events) = events {
            let leaves = events.leaves();
            tracker.listeners.log(nt_log_level::Info, || {
                format!("directory {directory} removed: {leaves} nicks left")
            });
        }
        Ok(())
    })
}

/// Marks `directory`'s connection as up (`connected` true) or down.
///
/// While a directory is down its reports are kept but do not count: nicks that no other
/// connected directory reports present leave. When it is back up they count again and those
/// nicks join, until its next peerlist (nt_sync_peerlist()) says otherwise. Reports and
/// peerlists that arrive while it is down are recorded the same way. Events are delivered
/// before this returns. An unknown directory becomes known in the given state; setting the
/// state it already has does nothing.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `tracker` is NULL, or NT_STATUS_DIRECTORY_LIMIT if an
/// unknown directory would exceed the tracker's limit.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_set_directory_connected(
    tracker: *mut nt_tracker,
    directory: u64,
    connected: bool,
) -> nt_status {
    call(|| {
        // SAFETY: per the contract, a live tracker from nt_new.
        let tracker = unsafe { borrow(tracker, "tracker")? };
        let events = tracker.apply(|state| state.set_directory_connected(directory, connected))?;
        if let Some(events) = events {
            let (joins, leaves) = (events.joins(), events.leaves());
            tracker
                .listeners
                .log(nt_log_level::Info, || match connected {
                    true => format!("directory {directory} connected: {joins} nicks joined"),
                    false => format!("directory {directory} disconnected: {leaves} nicks left"),
                });
        }
        Ok(())
    })
}

/// Makes `directory`'s view match the peerlist it just sent: each of the `count` nicks in
/// `nicks` becomes present on `directory`, and each nick that `directory` reported present
/// but is not listed becomes gone on it.
///
/// Events (leaves in the order the tracker first saw the nicks, then joins in list order)
/// are delivered before this returns. Duplicates in `nicks` are harmless. `nicks` may be
/// NULL when `count` is 0 (an empty peerlist: everything `directory` listed becomes gone on
/// it). Cost: proportional to `count` plus the nicks `directory` has reported, not to the
/// size of the tracker.
///
/// All or nothing: if any entry is NULL or not a valid nick (the error message names the
/// entry, e.g. "nicks[3]: nick is empty"), or the new nicks would exceed the tracker's
/// limits, nothing changes.
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
        tracker.apply(|state| state.sync_peerlist(directory, &peerlist).map(Some))?;
        Ok(())
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
        tracker.apply(|state| state.sync_peerlist_bytes(directory, bytes).map(Some))?;
        Ok(())
    })
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
        let out_active = non_null(out_active, "out_active")?;
        let active = tracker.lock()?.is_active(nick.as_str());
        // SAFETY: non-NULL and, per the contract, writable.
        unsafe { out_active.write(active) };
        Ok(())
    })
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
        let out_directory = non_null(out_directory, "out_directory")?;
        let picked = tracker.lock()?.pick_directory(nick.as_str());
        let directory = picked.ok_or_else(|| Error::NickNotActive {
            nick: nick.as_str().to_owned(),
        })?;
        // SAFETY: non-NULL and, per the contract, writable.
        unsafe { out_directory.write(directory) };
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
        let stats = tracker.lock()?.stats();
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
        let snapshot = NulTerminatedNicks::new(tracker.lock()?.active_nicks());
        // SAFETY: the caller provides a visitor that may be called with user_data.
        unsafe { snapshot.deliver(visit, user_data) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::ffi::CStr;
    use std::panic::AssertUnwindSafe;

    use super::*;
    use crate::ffi::callbacks::{nt_event, nt_event_kind};
    use crate::ffi::options::{NT_OPTIONS_VERSION, nt_options_init, nt_pick_mode};

    /// What the callbacks of one test tracker saw, as text.
    #[derive(Default)]
    struct Seen {
        tracker: RefCell<Option<*mut nt_tracker>>,
        lines: RefCell<Vec<String>>,
    }

    unsafe extern "C" fn on_event(user_data: *mut c_void, event: *const nt_event) {
        // SAFETY: user_data is the Seen of the test; the event and nick live during the call.
        let (seen, event) = unsafe { (&*user_data.cast::<Seen>(), &*event) };
        let nick = unsafe { CStr::from_ptr(event.nick) }.to_str().unwrap();
        let kind = match event.kind {
            nt_event_kind::Join => "join",
            nt_event_kind::Leave => "leave",
        };
        // Re-entry: the tracker already reflects the event when the callback runs.
        let tracker = seen.tracker.borrow().unwrap();
        let mut active = false;
        let status = unsafe { nt_is_active(tracker, event.nick, &mut active) };
        assert_eq!(status, nt_status::Ok);
        assert_eq!(active, event.kind == nt_event_kind::Join);
        seen.lines
            .borrow_mut()
            .push(format!("{kind} {nick} {}", event.directory));
    }

    unsafe extern "C" fn on_log(
        user_data: *mut c_void,
        level: nt_log_level,
        message: *const c_char,
    ) {
        // SAFETY: as in on_event.
        let seen = unsafe { &*user_data.cast::<Seen>() };
        let message = unsafe { CStr::from_ptr(message) }.to_str().unwrap();
        seen.lines
            .borrow_mut()
            .push(format!("{level:?}: {message}"));
    }

    /// A tracker whose event and log callbacks write into `seen`.
    fn tracker_with(seen: &Seen, change: impl FnOnce(&mut nt_options)) -> *mut nt_tracker {
        let mut options = std::mem::MaybeUninit::uninit();
        // SAFETY: a writable nt_options; it is initialised afterwards.
        assert_eq!(
            unsafe { nt_options_init(options.as_mut_ptr(), NT_OPTIONS_VERSION) },
            nt_status::Ok
        );
        let mut options = unsafe { options.assume_init() };
        let user_data = std::ptr::from_ref(seen).cast_mut().cast();
        options.on_event = Some(on_event);
        options.event_user_data = user_data;
        options.on_log = Some(on_log);
        options.log_user_data = user_data;
        change(&mut options);
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid options and out pointer; the callbacks outlive the tracker.
        assert_eq!(
            unsafe { nt_new_with_options(&options, &mut raw) },
            nt_status::Ok
        );
        *seen.tracker.borrow_mut() = Some(raw);
        raw
    }

    fn take_lines(seen: &Seen) -> Vec<String> {
        std::mem::take(&mut *seen.lines.borrow_mut())
    }

    /// Everything a caller can observe, to check that a refused call changed nothing.
    fn observe(tracker: *mut nt_tracker) -> (nt_stats, Vec<String>) {
        let mut stats = nt_stats::default();
        // SAFETY: a live tracker and a writable nt_stats.
        assert_eq!(unsafe { nt_get_stats(tracker, &mut stats) }, nt_status::Ok);
        let snapshot = unsafe { &*tracker }
            .lock()
            .unwrap()
            .active_nicks()
            .join(",");
        (stats, vec![snapshot])
    }

    #[test]
    fn events_and_logs_arrive_in_order_and_may_reenter() {
        let seen = Seen::default();
        let raw = tracker_with(&seen, |o| o.log_level = nt_log_level::Debug as u32);
        // SAFETY (whole test): raw is live until nt_free; the strings are NUL-terminated.
        unsafe {
            assert_eq!(nt_mark_present(raw, c"alice".as_ptr(), 1), nt_status::Ok);
            let packed = b"bob\0carol\0";
            let status = nt_sync_peerlist_packed(raw, 2, packed.as_ptr().cast(), packed.len());
            assert_eq!(status, nt_status::Ok);
            assert_eq!(nt_set_directory_connected(raw, 2, false), nt_status::Ok);
        }
        assert_eq!(
            take_lines(&seen),
            [
                "join alice 1",
                "Debug: nick \"alice\" is active (directory 1)",
                "join bob 2",
                "join carol 2",
                "Debug: nick \"bob\" is active (directory 2)",
                "Debug: nick \"carol\" is active (directory 2)",
                "leave bob 2",
                "leave carol 2",
                "Info: nick \"bob\" has left all directories (last: directory 2)",
                "Info: nick \"carol\" has left all directories (last: directory 2)",
                "Info: directory 2 disconnected: 2 nicks left",
            ]
        );
        unsafe { nt_free(raw) };
        assert!(take_lines(&seen).is_empty(), "nt_free runs no callbacks");
    }

    #[test]
    fn refused_calls_change_nothing_and_say_why() {
        let seen = Seen::default();
        let raw = tracker_with(&seen, |o| {
            o.max_nicks = 2;
            o.max_directories = 2;
        });
        // SAFETY (whole test): raw is live until nt_free; the strings are NUL-terminated.
        unsafe {
            assert_eq!(nt_mark_present(raw, c"alice".as_ptr(), 1), nt_status::Ok);
            take_lines(&seen);
            let before = observe(raw);
            let three = [c"alice".as_ptr(), c"bob".as_ptr(), c"carol".as_ptr()];
            assert_eq!(
                nt_sync_peerlist(raw, 1, three.as_ptr(), 3),
                nt_status::NickLimit
            );
            assert_eq!(observe(raw), before);
            assert_eq!(
                take_lines(&seen),
                [
                    "Warn: change refused: nick limit reached: the tracker holds 1 nicks, the limit is 2"
                ]
            );
            assert_eq!(nt_mark_present(raw, c"alice".as_ptr(), 2), nt_status::Ok);
            assert_eq!(
                nt_set_directory_connected(raw, 3, true),
                nt_status::DirectoryLimit
            );
            let after_second_directory = observe(raw);
            let bad = b"dave\0\xff\0";
            let status = nt_sync_peerlist_packed(raw, 1, bad.as_ptr().cast(), bad.len());
            assert_eq!(status, nt_status::NickNotUtf8);
            assert_eq!(
                nt_sync_peerlist_packed(raw, 1, c"x".as_ptr(), 1),
                nt_status::InvalidArgument
            );
            assert_eq!(observe(raw), after_second_directory);
            nt_free(raw);
        }
    }

    #[test]
    fn picks_follow_the_pick_mode_and_need_an_active_nick() {
        let seen = Seen::default();
        let raw = tracker_with(&seen, |o| o.pick_mode = nt_pick_mode::RoundRobin as u32);
        let mut picked = 0;
        // SAFETY (whole test): raw is live until nt_free; the strings are NUL-terminated.
        unsafe {
            let status = nt_pick_directory(raw, c"alice".as_ptr(), &mut picked);
            assert_eq!(status, nt_status::NickNotActive);
            assert_eq!(picked, 0, "output untouched on failure");
            nt_mark_present(raw, c"alice".as_ptr(), 7);
            nt_mark_present(raw, c"alice".as_ptr(), 9);
            let mut picks = Vec::new();
            for _ in 0..3 {
                assert_eq!(
                    nt_pick_directory(raw, c"alice".as_ptr(), &mut picked),
                    nt_status::Ok
                );
                picks.push(picked);
            }
            assert_eq!(picks, [7, 9, 7]);
            nt_free(raw);
        }
    }

    #[test]
    fn options_are_checked_before_anything_is_created() {
        let seen = Seen::default();
        let mut options = std::mem::MaybeUninit::uninit();
        let mut raw = std::ptr::null_mut();
        // SAFETY: writable options and out pointer.
        unsafe {
            nt_options_init(options.as_mut_ptr(), NT_OPTIONS_VERSION);
            let mut options = options.assume_init();
            options.version = 99;
            let status = nt_new_with_options(&options, &mut raw);
            assert_eq!(status, nt_status::InvalidArgument);
            assert!(raw.is_null(), "no tracker on failure");
            let status = nt_new_with_options(std::ptr::null(), &mut raw);
            assert_eq!(status, nt_status::NullArgument);
            assert_eq!(
                nt_options_init(std::ptr::null_mut(), NT_OPTIONS_VERSION),
                nt_status::NullArgument
            );
            let mut untouched = options;
            untouched.max_nicks = 77;
            let status = nt_options_init(&mut untouched, NT_OPTIONS_VERSION + 1);
            assert_eq!(status, nt_status::InvalidArgument);
            assert_eq!(untouched.max_nicks, 77);
        }
        assert!(take_lines(&seen).is_empty());
    }

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
        let mut stats = nt_stats::default();
        // SAFETY: valid tracker and out pointer.
        assert_eq!(
            unsafe { nt_get_stats(raw, &mut stats) },
            nt_status::Poisoned
        );
        // SAFETY: raw came from nt_new and is not used afterwards.
        unsafe { nt_free(raw) };
    }
}
