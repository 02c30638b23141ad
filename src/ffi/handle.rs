//! The `nt_tracker` handle: creating and freeing it, and the lock around its state.
//!
//! The state is only ever touched through [`nt_tracker::locked`], whose lock guard lives and
//! dies inside it: what a change hands back is owned (a copy of its events), so nothing that
//! runs after it, callbacks above all, can run with the lock held.

use std::ffi::c_void;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::boundary::{call, catch_panic, non_null};
use super::callbacks::{Batch, Listeners, nt_log_level, nt_nick_callback};
use super::delivery;
use super::options::nt_options;
use super::status::{Error, nt_status};
use crate::presence::{Clock, Config, Events, NickTracker};

/// A nick tracker. Create with nt_new() or nt_new_with_options(), destroy with nt_free().
///
/// Every function except nt_free() may be called on the same tracker from several threads at
/// once; an internal lock serialises them. Using a tracker after nt_free() is undefined
/// behaviour, as with any freed memory: the library cannot detect it.
pub struct nt_tracker {
    state: Mutex<NickTracker>,
    pub(super) listeners: Listeners,
    /// Set when a panic lost events while they were being delivered, which happens without
    /// the lock held (a panic with the lock held poisons the lock itself).
    pub(super) poisoned: AtomicBool,
}

impl nt_tracker {
    fn create(
        config: Config,
        clock: Option<Clock>,
        listeners: Listeners,
        out: *mut *mut nt_tracker,
    ) -> Result<(), Error> {
        let out = non_null(out, "out_tracker")?;
        let clock = clock.unwrap_or_else(system_clock);
        let tracker = Box::new(nt_tracker {
            state: Mutex::new(NickTracker::with_clock(config, clock)),
            listeners,
            poisoned: AtomicBool::new(false),
        });
        // SAFETY: out is non-NULL and, per the documented contract, writable.
        unsafe { out.write(Box::into_raw(tracker)) };
        Ok(())
    }

    /// Runs `body` with the state locked, and releases the lock before returning.
    pub(super) fn locked<R>(&self, body: impl FnOnce(&mut NickTracker) -> R) -> Result<R, Error> {
        if self.poisoned.load(Ordering::Relaxed) {
            return Err(Error::Poisoned);
        }
        let mut state = self.state.lock().map_err(|_| Error::Poisoned)?;
        Ok(body(&mut state))
    }

    /// Makes a change under the lock and returns a copy of its events to deliver, or its
    /// refusal (logged if it was over a limit).
    pub(super) fn change<E: Into<Error>>(
        &self,
        change: impl for<'a> FnOnce(&'a mut NickTracker) -> Result<&'a Events, E>,
    ) -> Result<Batch, Error> {
        match self.locked(|state| change(state).map(Batch::of))? {
            Ok(batch) => Ok(batch),
            Err(error) => Err(self.refused(error.into())),
        }
    }

    /// Logs a refusal over a limit (a refusal of bad input is the caller's to report).
    pub(super) fn refused(&self, error: Error) -> Error {
        if let Error::Limit(refusal) = &error {
            let mut batch = Batch::default();
            batch.log(&self.listeners, nt_log_level::Warn, || {
                format!("change refused: {refusal}")
            });
            // A failing log callback's error is kept for the caller all the same.
            let _ = delivery::deliver(self, batch);
        }
        error
    }
}

/// The default clock: the operating system's monotonic clock in milliseconds. On Linux its
/// coarse variant, a few nanoseconds per reading where the precise one can cost a hundred
/// (it ticks every few milliseconds, ample for presence that lasts seconds).
fn system_clock() -> Clock {
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        Box::new(|| {
            let mut now = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: clock_gettime writes one timespec to a valid pointer; the coarse
            // monotonic clock exists on every Linux since 2.6.32 and cannot fail then.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) };
            (now.tv_sec as u64) * 1000 + (now.tv_nsec as u64) / 1_000_000
        })
    }
    #[cfg(not(all(target_os = "linux", not(miri))))]
    {
        crate::presence::monotonic()
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
        nt_tracker::create(Config::default(), None, listeners, out_tracker)
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
        let options = non_null(options.cast_mut(), "options")?.as_ptr();
        // SAFETY: per the contract, a readable nt_options of the layout its version names.
        let (config, clock, listeners) = unsafe { nt_options::read(options)? }.parse()?;
        nt_tracker::create(config, clock, listeners, out_tracker)
    })
}

/// Destroys a tracker. No callbacks are called. NULL is ignored.
///
/// Called from inside one of the tracker's own callbacks (on the thread running it), it is
/// refused: nothing is freed, an NT_LOG_LEVEL_ERROR message goes to the log callback and
/// nt_last_error_message() says why. Free the tracker once the call that runs the callback
/// has returned. No other call may be using `tracker` at the same time or afterwards: that
/// is undefined behaviour the library cannot detect.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_free(tracker: *mut nt_tracker) {
    catch_panic((), || {
        if tracker.is_null() {
            return;
        }
        // SAFETY: a non-NULL tracker came from nt_new and, per the contract, is live.
        let live = unsafe { &*tracker };
        if delivery::is_delivering(live) {
            delivery::refuse_free(live);
            return;
        }
        // SAFETY: a non-NULL tracker came from Box::into_raw in nt_tracker::create and, per
        // the contract, is freed once and used by no one else.
        drop(unsafe { Box::from_raw(tracker) });
    })
}
