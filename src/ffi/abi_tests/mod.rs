//! Tests of the C ABI as a C caller uses it: every call through its `extern "C"` function.

use std::cell::RefCell;
use std::ffi::CStr;
use std::panic::AssertUnwindSafe;

use std::ffi::{c_char, c_void};

use crate::ffi::callbacks::{nt_event, nt_event_kind, nt_log_level};
use crate::ffi::changes::*;
use crate::ffi::handle::*;
use crate::ffi::options::{NT_OPTIONS_VERSION, nt_options, nt_options_init, nt_pick_mode};
use crate::ffi::peerlists::*;
use crate::ffi::queries::*;
use crate::ffi::status::nt_status;

/// What the callbacks of one test tracker saw, as text.
#[derive(Default)]
struct Seen {
    tracker: RefCell<Option<*mut nt_tracker>>,
    lines: RefCell<Vec<String>>,
}

unsafe extern "C" fn on_event(user_data: *mut c_void, event: *const nt_event) {
    // SAFETY: user_data is the Seen of the test; the event and nick live during the call.
    let (seen, event) = unsafe { (&*user_data.cast::<Seen>(), &*event) };
    // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
    let nick = unsafe { CStr::from_ptr(event.nick) }.to_str().unwrap();
    let kind = match event.kind {
        nt_event_kind::Join => "join",
        nt_event_kind::Leave => "leave",
    };
    // Re-entry: the tracker already reflects the event when the callback runs.
    let tracker = seen.tracker.borrow().unwrap();
    let mut active = false;
    // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
    let status = unsafe { nt_is_active(tracker, event.nick, &mut active) };
    assert_eq!(status, nt_status::Ok);
    assert_eq!(active, event.kind == nt_event_kind::Join);
    seen.lines
        .borrow_mut()
        .push(format!("{kind} {nick} {}", event.directory));
}

unsafe extern "C" fn on_log(user_data: *mut c_void, level: nt_log_level, message: *const c_char) {
    // SAFETY: as in on_event.
    let seen = unsafe { &*user_data.cast::<Seen>() };
    // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
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
        // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
        unsafe { nt_options_init(options.as_mut_ptr(), NT_OPTIONS_VERSION) },
        nt_status::Ok
    );
    // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
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
        // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
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
    // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
    let snapshot = unsafe { &*tracker }
        .locked(|state| state.active_nicks().join(","))
        .unwrap();
    (stats, vec![snapshot])
}

#[test]
fn events_and_logs_arrive_in_order_and_may_reenter() {
    let seen = Seen::default();
    let raw = tracker_with(&seen, |o| o.log_level = nt_log_level::Debug as u32);
    // SAFETY: raw is live until nt_free; the strings are NUL-terminated.
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
    // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
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
    // SAFETY: raw is live until nt_free; the strings are NUL-terminated.
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
            ["Warn: change refused: nick limit reached: the tracker holds 1 nicks, the limit is 2"]
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
    // SAFETY: raw is live until nt_free; the strings are NUL-terminated.
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
        // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
        unsafe { nt_new(None, std::ptr::null_mut(), &mut raw) },
        nt_status::Ok
    );
    // SAFETY: raw is the live tracker just created.
    let tracker = unsafe { &*raw };
    // Simulate a bug: a panic while the state is locked.
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        tracker.locked(|_| panic!("simulated bug inside the core"))
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
        // SAFETY: the test's tracker is live until nt_free; strings are NUL-terminated, outputs writable.
        unsafe { nt_get_stats(raw, &mut stats) },
        nt_status::Poisoned
    );
    // SAFETY: raw came from nt_new and is not used afterwards.
    unsafe { nt_free(raw) };
}

mod delivery;
mod presence;
