//! When and where a tracker's callbacks run: after its lock is released, on the calling
//! thread, in the order the tracker made its changes.
//!
//! Each thread keeps a stack of the trackers whose callbacks it is running (innermost last),
//! each with a queue of batches still to deliver. A call whose tracker is not on the stack is
//! the outermost: it pushes the tracker, delivers its batch and everything queued behind it,
//! and pops it. A call made from inside one of that tracker's callbacks finds it on the stack
//! and only queues its batch there. So, per thread, a tracker's events are delivered in the
//! order they were made (`seq` order), nested calls' events after the outer call's remaining
//! ones, and each callback belongs to the outermost call of its tracker on its thread: the
//! one bindings attach a callback's failure to (nt_report_callback_error()).
//!
//! Threads never wait for one another here: each delivers the events of its own calls.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::c_char;
use std::sync::atomic::Ordering;

use super::boundary::{call, catch_panic, non_null};
use super::callbacks::{Batch, nt_log_level};
use super::handle::nt_tracker;
use super::status::{self, Error, nt_status};
use crate::presence::Events;

/// A tracker whose callbacks this thread is running.
struct Delivery {
    /// The tracker's address: a live tracker's identity (it cannot be freed meanwhile).
    tracker: usize,
    queue: VecDeque<Batch>,
    /// The error a callback reported during this delivery (nt_report_callback_error), or 0.
    error: usize,
}

thread_local! {
    static DELIVERIES: RefCell<Vec<Delivery>> = const { RefCell::new(Vec::new()) };
    /// The nicks that left in the latest call on this thread that reports departures.
    static DEPARTED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn id(tracker: &nt_tracker) -> usize {
    std::ptr::from_ref(tracker) as usize
}

/// Delivers `batch` (the events and log lines of a change just made, with the lock
/// released), or queues it if this thread is already running the tracker's callbacks.
/// `Err(Error::CallbackFailed)` if a callback reported an error.
pub fn deliver(tracker: &nt_tracker, batch: Batch) -> Result<(), Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let batch = DELIVERIES.with_borrow_mut(|deliveries| {
        match deliveries
            .iter_mut()
            .rev()
            .find(|d| d.tracker == id(tracker))
        {
            Some(outer) => {
                outer.queue.push_back(batch);
                None
            }
            None => Some(batch),
        }
    });
    match batch {
        Some(batch) => run(tracker, Some(batch), || {}),
        None => Ok(()),
    }
}

/// Runs `visit`, which calls a callback of the caller's (nt_for_each_active_nick's visitor),
/// as one of the tracker's callbacks: changes it makes to the tracker are delivered after it,
/// and it may not free the tracker.
pub fn visit(tracker: &nt_tracker, visit: impl FnOnce()) -> Result<(), Error> {
    if is_delivering(tracker) {
        visit();
        return Ok(());
    }
    run(tracker, None, visit)
}

/// Whether this thread is running one of `tracker`'s callbacks.
pub fn is_delivering(tracker: &nt_tracker) -> bool {
    DELIVERIES.with_borrow(|deliveries| deliveries.iter().any(|d| d.tracker == id(tracker)))
}

/// The outermost delivery of `tracker` on this thread: whatever `before` queues, `first`,
/// then whatever the callbacks queue. (The queue is only allocated if a callback queues.)
fn run(tracker: &nt_tracker, first: Option<Batch>, before: impl FnOnce()) -> Result<(), Error> {
    DELIVERIES.with_borrow_mut(|deliveries| {
        deliveries.push(Delivery {
            tracker: id(tracker),
            queue: VecDeque::new(),
            error: 0,
        })
    });
    let scope = Scope(tracker);
    before();
    let mut next = first;
    while let Some(batch) = next
        .take()
        .or_else(|| DELIVERIES.with_borrow_mut(|deliveries| ours(deliveries).queue.pop_front()))
    {
        #[cfg(test)]
        if tests::PANIC_IN_DELIVERY.replace(false) {
            panic!("simulated bug while delivering");
        }
        // SAFETY: the creator of the tracker promised its callbacks stay callable until
        // nt_free(), which cannot have happened while one of its calls is running.
        unsafe { tracker.listeners.deliver(&batch) };
        batch.recycle();
    }
    let error = scope.end();
    if error == 0 {
        return Ok(());
    }
    status::keep_callback_error(error);
    Err(Error::CallbackFailed)
}

/// This thread's delivery of the tracker being run: the innermost, since the callbacks that
/// pushed others have returned.
fn ours(deliveries: &mut [Delivery]) -> &mut Delivery {
    deliveries.last_mut().expect("a delivery in progress")
}

/// Pops the tracker's delivery, also when a panic unwinds through it: events were lost
/// then, so the tracker is poisoned (a panic here is a bug in this library; user callbacks
/// cannot unwind).
struct Scope<'t>(&'t nt_tracker);

impl Scope<'_> {
    /// The error reported during the delivery, or 0.
    fn end(self) -> usize {
        let error = DELIVERIES.with_borrow_mut(|deliveries| ours(deliveries).error);
        drop(self);
        error
    }
}

impl Drop for Scope<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poisoned.store(true, Ordering::Relaxed);
        }
        let _ = DELIVERIES.try_with(|deliveries| deliveries.borrow_mut().pop());
    }
}

/// The nicks that left in one call, packed, for nt_departed_nicks().
pub struct Departed(Vec<u8>);

impl Departed {
    pub fn of(events: &Events) -> Self {
        let mut nicks = Vec::new();
        for event in events.iter().filter(|event| event.is_leave()) {
            nicks.extend_from_slice(event.nick.as_bytes());
            nicks.push(0);
        }
        Departed(nicks)
    }

    /// Makes these the departures nt_departed_nicks() reports: done after the call's
    /// delivery, so that a call made from inside a callback does not replace the list of the
    /// call that ran it.
    pub fn keep(self) {
        let _ = DEPARTED.try_with(|departed| *departed.borrow_mut() = self.0);
    }
}

/// For bindings whose callbacks can fail (C++ exceptions, Python exceptions, Go panics):
/// records, from inside a callback of `tracker`, that the callback failed, with `error`, an
/// opaque non-zero value of the binding's (such as a handle to the exception).
///
/// The call delivering the callback (the outermost call of `tracker` on this thread) goes on
/// delivering the rest of its events, then returns NT_STATUS_CALLBACK_FAILED (if it had
/// nothing else to report), and nt_take_callback_error() gives `error` back. Only the first
/// error of a call is kept.
///
/// Returns NT_STATUS_OK if `error` was kept; NT_STATUS_CALLBACK_FAILED if an earlier
/// callback of the same call already reported one (`error` was not kept: dispose of it);
/// NT_STATUS_INVALID_ARGUMENT if `error` is 0 or this thread is not running a callback of
/// `tracker`; NT_STATUS_NULL_ARGUMENT if `tracker` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_report_callback_error(
    tracker: *const nt_tracker,
    error: usize,
) -> nt_status {
    call(|| {
        let tracker = non_null(tracker.cast_mut(), "tracker")?.as_ptr() as usize;
        if error == 0 {
            return Err(Error::InvalidArgument {
                arg: "error",
                reason: "0 stands for no error".into(),
            });
        }
        DELIVERIES.with_borrow_mut(|deliveries| {
            let Some(delivery) = deliveries.iter_mut().rev().find(|d| d.tracker == tracker) else {
                return Err(Error::InvalidArgument {
                    arg: "tracker",
                    reason: "this thread is not running one of its callbacks".into(),
                });
            };
            if delivery.error != 0 {
                return Err(Error::CallbackFailed);
            }
            delivery.error = error;
            Ok(())
        })
    })
}

/// The error that a callback reported with nt_report_callback_error() during the latest
/// call on this thread (if that call delivered the callback: it returned
/// NT_STATUS_CALLBACK_FAILED, or another error if it failed otherwise too), or 0 if there was
/// none. Returns it once: a second call returns 0. Take it right after that call: every
/// call of this library on the thread (nt_report_callback_error() included) starts afresh.
#[unsafe(no_mangle)]
pub extern "C" fn nt_take_callback_error() -> usize {
    catch_panic(0, status::take_callback_error)
}

/// Copies the nicks that left during the latest successful call on this thread that reports
/// departures (nt_remove_directory(), nt_sync_peerlist(), nt_sync_peerlist_packed(),
/// nt_set_directory_connected(), nt_peerlist_commit(), nt_update_batch(), nt_expire()) into
/// `out_nicks`, back to back, each followed by a NUL (as
/// in a packed peerlist), and stores their length in bytes in `*out_len`. They are the nicks
/// of that call's LEAVE events, whether delivered yet or not (a call made from inside a
/// callback delivers later), in the same order: what jmcore's remove_directory returns.
///
/// Two-call pattern: with a too-small `capacity` (0 is fine, and then `out_nicks` may be
/// NULL) the call returns NT_STATUS_BUFFER_TOO_SMALL and stores the needed length. The list
/// stays until the next such call on this thread.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `out_len` is NULL, or `out_nicks` is NULL with a
/// non-zero `capacity`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_departed_nicks(
    out_nicks: *mut c_char,
    capacity: usize,
    out_len: *mut usize,
) -> nt_status {
    call(|| {
        let out_len = non_null(out_len, "out_len")?;
        if capacity > 0 {
            non_null(out_nicks, "out_nicks")?;
        }
        DEPARTED.with_borrow(|departed| {
            // SAFETY: non-NULL and, per the contract, writable.
            unsafe { out_len.write(departed.len()) };
            if departed.len() > capacity {
                return Err(Error::BufferTooSmall {
                    needed: departed.len(),
                    capacity,
                });
            }
            if !departed.is_empty() {
                // SAFETY: the caller provides `capacity` writable bytes at out_nicks, which
                // is not NULL since capacity >= departed.len() > 0.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        departed.as_ptr(),
                        out_nicks.cast(),
                        departed.len(),
                    )
                };
            }
            Ok(())
        })
    })
}

/// Logs that nt_free() was refused, for [`super::handle::nt_free`].
pub fn refuse_free(tracker: &nt_tracker) {
    let message = "nt_free() called from inside one of the tracker's own callbacks: refused, \
                   nothing was freed (free it after the call that runs the callback returns)";
    let mut batch = Batch::default();
    batch.log(&tracker.listeners, nt_log_level::Error, || message.into());
    let _ = deliver(tracker, batch);
    super::status::record(&Error::InvalidArgument {
        arg: "tracker",
        reason: message.into(),
    });
}

#[cfg(test)]
pub mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Makes this thread's next delivery panic, as a bug in this library would.
        pub static PANIC_IN_DELIVERY: Cell<bool> = const { Cell::new(false) };
    }
}
