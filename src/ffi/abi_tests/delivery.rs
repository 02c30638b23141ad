//! Tests of the delivery guarantees (nt_event_callback): order, re-entry, threads, callback
//! errors, refused frees, departures.

use std::cell::RefCell;
use std::ffi::CStr;

use std::ffi::{c_char, c_void};

use crate::ffi::callbacks::{nt_event, nt_event_kind, nt_log_level};
use crate::ffi::changes::*;
use crate::ffi::delivery::{nt_departed_nicks, nt_report_callback_error, nt_take_callback_error};
use crate::ffi::handle::*;
use crate::ffi::options::{NT_OPTIONS_VERSION, nt_options_init};
use crate::ffi::peerlists::*;
use crate::ffi::queries::*;
use crate::ffi::status::nt_status;

/// A tracker whose event callback records every event and may run a hook, for the delivery
/// guarantees of nt_event_callback.
struct Recorder {
    tracker: std::cell::Cell<*mut nt_tracker>,
    events: RefCell<Vec<(nt_event_kind, String, u64, u64)>>,
    logs: RefCell<Vec<String>>,
    #[allow(clippy::type_complexity)]
    hook: RefCell<Option<Box<dyn FnMut(*mut nt_tracker, nt_event_kind, &str)>>>,
}

unsafe extern "C" fn record(user_data: *mut c_void, event: *const nt_event) {
    // SAFETY: user_data is the test's Recorder; the event and its nick live during the call.
    let (recorder, event) = unsafe { (&*user_data.cast::<Recorder>(), &*event) };
    // SAFETY: the nick is a NUL-terminated string that lives during the call.
    let nick = unsafe { CStr::from_ptr(event.nick) }
        .to_str()
        .unwrap()
        .to_owned();
    let entry = (event.kind, nick.clone(), event.directory, event.seq);
    recorder.events.borrow_mut().push(entry);
    let hook = recorder.hook.borrow_mut().take();
    if let Some(mut hook) = hook {
        hook(recorder.tracker.get(), event.kind, &nick);
        recorder.hook.borrow_mut().get_or_insert(hook);
    }
}

unsafe extern "C" fn record_log(
    user_data: *mut c_void,
    level: nt_log_level,
    message: *const c_char,
) {
    // SAFETY: user_data is the test's Recorder; the message lives during the call.
    let (recorder, message) = unsafe { (&*user_data.cast::<Recorder>(), CStr::from_ptr(message)) };
    let line = format!("{level:?}: {}", message.to_str().unwrap());
    recorder.logs.borrow_mut().push(line);
}

impl Recorder {
    /// In an Rc, not a Box: the callbacks hold a pointer to it, which moving a Box (unique
    /// by type) would invalidate.
    fn new() -> std::rc::Rc<Recorder> {
        let recorder = std::rc::Rc::new(Recorder {
            tracker: std::cell::Cell::new(std::ptr::null_mut()),
            events: RefCell::default(),
            logs: RefCell::default(),
            hook: RefCell::default(),
        });
        let mut options = std::mem::MaybeUninit::uninit();
        // SAFETY: a writable nt_options, initialised by the call.
        let mut options = unsafe {
            assert_eq!(
                nt_options_init(options.as_mut_ptr(), NT_OPTIONS_VERSION),
                nt_status::Ok
            );
            options.assume_init()
        };
        let user_data = std::rc::Rc::as_ptr(&recorder).cast_mut().cast();
        options.on_event = Some(record);
        options.event_user_data = user_data;
        options.on_log = Some(record_log);
        options.log_user_data = user_data;
        let mut raw = std::ptr::null_mut();
        assert_eq!(
            // SAFETY: valid options and out pointer; the recorder outlives the tracker.
            unsafe { nt_new_with_options(&options, &mut raw) },
            nt_status::Ok
        );
        recorder.tracker.set(raw);
        recorder
    }

    fn hook(&self, hook: impl FnMut(*mut nt_tracker, nt_event_kind, &str) + 'static) {
        *self.hook.borrow_mut() = Some(Box::new(hook));
    }

    fn lines(&self) -> Vec<String> {
        let events = self.events.borrow();
        let line = |(kind, nick, _, seq): &(nt_event_kind, String, u64, u64)| {
            format!(
                "{} {nick} #{seq}",
                if *kind == nt_event_kind::Join {
                    "join"
                } else {
                    "leave"
                }
            )
        };
        events.iter().map(line).collect()
    }

    /// Whether "active = joined minus left", applied in the order received, agrees with the
    /// tracker for `nicks`.
    fn agrees(&self, nicks: &[&CStr]) -> bool {
        nicks.iter().all(|nick| {
            let name = nick.to_str().unwrap();
            let last = self
                .events
                .borrow()
                .iter()
                .rev()
                .find(|e| e.1 == name)
                .map(|e| e.0);
            let mut active = false;
            // SAFETY: a live tracker, a C string and a writable bool.
            let status = unsafe { nt_is_active(self.tracker.get(), nick.as_ptr(), &mut active) };
            status == nt_status::Ok && active == (last == Some(nt_event_kind::Join))
        })
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // SAFETY: the tracker was created by Recorder::new and is not used afterwards.
        unsafe { nt_free(self.tracker.get()) };
    }
}

#[test]
fn a_callbacks_changes_are_delivered_after_the_events_still_due() {
    // ../shared/repro/reentrant_event_order.c: the leave of A makes B gone on directory 1.
    let recorder = Recorder::new();
    let t = recorder.tracker.get();
    recorder.hook(|t, kind, nick| {
        if kind == nt_event_kind::Leave && nick == "A" {
            // SAFETY: a live tracker and a C string.
            assert_eq!(unsafe { nt_mark_gone(t, c"B".as_ptr(), 1) }, nt_status::Ok);
        }
    });
    // SAFETY: a live tracker, C strings and a one-entry array.
    unsafe {
        assert_eq!(nt_mark_present(t, c"A".as_ptr(), 1), nt_status::Ok);
        let list = [c"B".as_ptr()];
        assert_eq!(nt_sync_peerlist(t, 1, list.as_ptr(), 1), nt_status::Ok);
    }
    // All delivered before the outer call returned, in the order the changes were made.
    assert_eq!(
        recorder.lines(),
        ["join A #1", "leave A #2", "join B #3", "leave B #4"]
    );
    assert!(recorder.agrees(&[c"A", c"B"]));
    let mut stats = nt_stats::default();
    // SAFETY: a live tracker and a writable nt_stats.
    assert_eq!(unsafe { nt_get_stats(t, &mut stats) }, nt_status::Ok);
    assert_eq!(stats.joins + stats.leaves, 4, "the latest seq");
}

#[test]
fn events_from_another_thread_can_be_put_in_order_by_seq_and_nobody_waits() {
    // ../shared/repro/threaded_event_order.c: the JOIN W callback waits until another
    // thread's nt_mark_gone(X) has returned, so that LEAVE X arrives before JOIN X.
    use std::sync::mpsc::channel;
    let recorder = Recorder::new();
    let t = recorder.tracker.get() as usize;
    let (w_joined, wait_for_w) = channel::<()>();
    let (gone_done, wait_for_gone) = channel::<()>();
    let (seen_on_2, seen) = channel::<(nt_event_kind, u64)>();
    let wait_for_gone = std::sync::Mutex::new(wait_for_gone);
    recorder.hook(move |_, kind, nick| {
        if kind == nt_event_kind::Join && nick == "W" {
            w_joined.send(()).unwrap();
            wait_for_gone.lock().unwrap().recv().unwrap();
        }
    });
    let second = std::thread::spawn(move || {
        wait_for_w.recv().unwrap();
        // A second recorder sees what this thread delivers: the same tracker's callbacks,
        // run on this thread.
        // SAFETY: the tracker outlives this thread (joined below); a C string.
        let status = unsafe { nt_mark_gone(t as *mut nt_tracker, c"X".as_ptr(), 1) };
        let mut stats = nt_stats::default();
        // SAFETY: as above, and a writable nt_stats.
        unsafe { nt_get_stats(t as *mut nt_tracker, &mut stats) };
        seen_on_2
            .send((nt_event_kind::Leave, stats.joins + stats.leaves))
            .unwrap();
        gone_done.send(()).unwrap();
        status
    });
    let list = [c"W".as_ptr(), c"X".as_ptr()];
    // SAFETY: a live tracker and a two-entry array of C strings.
    let status = unsafe { nt_sync_peerlist(t as *mut nt_tracker, 1, list.as_ptr(), 2) };
    assert_eq!(status, nt_status::Ok);
    assert_eq!(
        second.join().unwrap(),
        nt_status::Ok,
        "thread 2 did not wait for thread 1"
    );
    let (_, leave_seq) = seen.recv().unwrap();
    // Delivery order: JOIN W (#1), LEAVE X (#3, on thread 2, recorded there), JOIN X (#2).
    let events = recorder.events.borrow().clone();
    let arrival: Vec<u64> = events.iter().map(|e| e.3).collect();
    assert_eq!(arrival, [1, 3, 2]);
    assert_eq!(leave_seq, 3);
    // Applying per nick only events newer than the last applied one ends in agreement.
    let mut latest: std::collections::HashMap<String, (u64, bool)> = Default::default();
    for (kind, nick, _, seq) in events {
        let entry = latest.entry(nick).or_insert((0, false));
        if seq > entry.0 {
            *entry = (seq, kind == nt_event_kind::Join);
        }
    }
    assert_eq!(latest["X"], (3, false));
    assert!(!recorder.agrees(&[c"X"]), "arrival order alone disagrees");
}

#[test]
fn a_callback_error_is_returned_by_the_call_that_delivered_it() {
    let recorder = Recorder::new();
    let t = recorder.tracker.get();
    let reported = std::rc::Rc::new(RefCell::new(Vec::new()));
    let log = reported.clone();
    recorder.hook(move |t, _, nick| {
        let error = if nick == "A" { 7 } else { 9 };
        // SAFETY: a live tracker.
        log.borrow_mut()
            .push(unsafe { nt_report_callback_error(t, error) });
    });
    let list = [c"A".as_ptr(), c"B".as_ptr()];
    // SAFETY: a live tracker and a two-entry array of C strings.
    let status = unsafe { nt_sync_peerlist(t, 1, list.as_ptr(), 2) };
    assert_eq!(
        status,
        nt_status::CallbackFailed,
        "both events were delivered"
    );
    assert_eq!(recorder.lines(), ["join A #1", "join B #2"]);
    assert_eq!(
        *reported.borrow(),
        [nt_status::Ok, nt_status::CallbackFailed]
    );
    assert_eq!(nt_take_callback_error(), 7, "the first error is kept");
    assert_eq!(nt_take_callback_error(), 0, "and given back once");
    // An error not taken is not mistaken for a later call's.
    // SAFETY: a live tracker and a C string.
    let status = unsafe { nt_mark_present(t, c"C".as_ptr(), 1) };
    assert_eq!(status, nt_status::CallbackFailed);
    assert_eq!(
        // SAFETY: a live tracker and a C string (empty: refused).
        unsafe { nt_mark_present(t, c"".as_ptr(), 1) },
        nt_status::NickEmpty
    );
    assert_eq!(
        nt_take_callback_error(),
        0,
        "the refused call had no callback error"
    );
    // Outside a callback of this tracker there is no call to attach an error to.
    // SAFETY: a live tracker; NULL is refused.
    unsafe {
        assert_eq!(nt_report_callback_error(t, 5), nt_status::InvalidArgument);
        assert_eq!(
            nt_report_callback_error(std::ptr::null(), 5),
            nt_status::NullArgument
        );
    }
    *recorder.hook.borrow_mut() = None;
    // SAFETY: a live tracker and a C string.
    assert_eq!(unsafe { nt_mark_gone(t, c"A".as_ptr(), 1) }, nt_status::Ok);
    assert_eq!(nt_take_callback_error(), 0);
}

#[test]
fn nt_free_from_inside_a_callback_is_refused_and_logged() {
    let recorder = Recorder::new();
    let t = recorder.tracker.get();
    // SAFETY: t stays live; the refused nt_free must not free it.
    recorder.hook(|t, _, _| unsafe { nt_free(t) });
    // SAFETY: a live tracker and C strings.
    unsafe {
        assert_eq!(nt_mark_present(t, c"A".as_ptr(), 1), nt_status::Ok);
        assert_eq!(nt_mark_present(t, c"B".as_ptr(), 1), nt_status::Ok);
    }
    assert_eq!(recorder.lines(), ["join A #1", "join B #2"], "still usable");
    let logs = recorder.logs.borrow();
    assert_eq!(logs.len(), 2);
    assert!(logs[0].starts_with("Error: nt_free() called from inside one of the tracker's"));
}

#[test]
fn departures_are_those_of_the_call_not_of_calls_its_callbacks_made() {
    let recorder = Recorder::new();
    let t = recorder.tracker.get();
    let departed = || {
        let mut buffer = [0u8; 64];
        let mut len = 0;
        // SAFETY: a writable buffer of 64 bytes and a writable length.
        let status = unsafe { nt_departed_nicks(buffer.as_mut_ptr().cast(), 64, &mut len) };
        assert_eq!(status, nt_status::Ok);
        buffer[..len].to_vec()
    };
    // SAFETY: a live tracker and C strings.
    unsafe {
        for nick in [c"A", c"B"] {
            nt_mark_present(t, nick.as_ptr(), 1);
        }
        nt_mark_present(t, c"C".as_ptr(), 2);
    }
    recorder.hook(|t, kind, nick| {
        if kind == nt_event_kind::Leave && nick == "A" {
            // SAFETY: a live tracker.
            assert_eq!(
                // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
                unsafe { nt_remove_directory(t, 2, std::ptr::null_mut()) },
                nt_status::Ok
            );
        }
    });
    let mut gone = 0;
    // SAFETY: a live tracker and a writable count.
    assert_eq!(
        // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
        unsafe { nt_remove_directory(t, 1, &mut gone) },
        nt_status::Ok
    );
    assert_eq!(gone, 2);
    assert_eq!(
        departed(),
        b"A\0B\0",
        "not C, which left in the nested removal"
    );
    let mut len = 0;
    // SAFETY: no buffer with capacity 0, and a writable length.
    let status = unsafe { nt_departed_nicks(std::ptr::null_mut(), 0, &mut len) };
    assert_eq!((status, len), (nt_status::BufferTooSmall, 4));
}

#[test]
fn a_panic_while_delivering_poisons_the_tracker() {
    let recorder = Recorder::new();
    let t = recorder.tracker.get();
    crate::ffi::delivery::tests::PANIC_IN_DELIVERY.set(true);
    // SAFETY: a live tracker and a C string.
    assert_eq!(
        // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
        unsafe { nt_mark_present(t, c"A".as_ptr(), 1) },
        nt_status::Panic
    );
    assert!(recorder.lines().is_empty(), "the event was lost");
    let mut active = false;
    // SAFETY: a live tracker, a C string and a writable bool.
    let status = unsafe { nt_is_active(t, c"A".as_ptr(), &mut active) };
    assert_eq!(status, nt_status::Poisoned);
}

#[test]
fn the_n_variants_read_exactly_the_bytes_given() {
    let recorder = Recorder::new();
    let t = recorder.tracker.get();
    let name = b"alice and more";
    let mut active = false;
    let mut directories = [0u64; 2];
    let mut len = 0;
    let mut picked = 0;
    // SAFETY: a live tracker; `name` holds at least the lengths given; writable outputs.
    unsafe {
        assert_eq!(
            nt_update_n(t, name.as_ptr().cast(), 5, 3, true),
            nt_status::Ok
        );
        assert_eq!(
            nt_is_active_n(t, name.as_ptr().cast(), 5, &mut active),
            nt_status::Ok
        );
        assert!(active);
        let status = nt_active_directories_n(
            t,
            name.as_ptr().cast(),
            5,
            directories.as_mut_ptr(),
            2,
            &mut len,
        );
        assert_eq!((status, len, directories[0]), (nt_status::Ok, 1, 3));
        assert_eq!(
            nt_pick_directory_n(t, name.as_ptr().cast(), 5, &mut picked),
            nt_status::Ok
        );
        assert_eq!(picked, 3);
        assert_eq!(
            nt_is_active(t, c"alice".as_ptr(), &mut active),
            nt_status::Ok
        );
        assert!(active, "the same nick as the C string");
        let nul = b"al\0ce";
        assert_eq!(
            nt_update_n(t, nul.as_ptr().cast(), 5, 3, true),
            nt_status::NickContainsNul
        );
    }
    assert_eq!(recorder.lines(), ["join alice #1"]);
}

#[test]
fn active_nicks_come_packed_in_one_call() {
    let recorder = Recorder::new();
    let t = recorder.tracker.get();
    let mut len = 0;
    // SAFETY: a live tracker, C strings, writable outputs of the sizes given.
    unsafe {
        assert_eq!(
            nt_active_nicks_packed(t, std::ptr::null_mut(), 0, &mut len),
            nt_status::Ok
        );
        assert_eq!(len, 0);
        nt_mark_present(t, c"bob".as_ptr(), 1);
        nt_mark_present(t, c"al".as_ptr(), 1);
        let mut small = [0u8; 3];
        let status = nt_active_nicks_packed(t, small.as_mut_ptr().cast(), 3, &mut len);
        assert_eq!((status, len, small), (nt_status::BufferTooSmall, 7, [0; 3]));
        let mut buffer = [0u8; 7];
        let status = nt_active_nicks_packed(t, buffer.as_mut_ptr().cast(), 7, &mut len);
        assert_eq!((status, &buffer), (nt_status::Ok, b"bob\0al\0"));
    }
}
