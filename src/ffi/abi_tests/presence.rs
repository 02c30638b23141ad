//! Tests of the protocol-real presence calls through the C ABI: options of both versions, the
//! clock callback, peerlists in chunks, batches, expiry, last-seen times and the directory
//! view.

use std::cell::Cell;
use std::ffi::c_void;

use crate::ffi::changes::*;
use crate::ffi::delivery::nt_departed_nicks;
use crate::ffi::handle::*;
use crate::ffi::options::{NT_OPTIONS_VERSION, nt_options, nt_options_init, nt_pick_mode};
use crate::ffi::peerlists::*;
use crate::ffi::queries::*;
use crate::ffi::status::nt_status;

/// The fake clock's time, read by `clock` through its user data.
unsafe extern "C" fn clock(user_data: *mut c_void) -> u64 {
    // SAFETY: the test passes a Cell<u64> that outlives the tracker.
    unsafe { (*user_data.cast::<Cell<u64>>()).get() }
}

/// A tracker on the fake clock `now`, configured by `change`.
fn tracker(now: &Cell<u64>, change: impl FnOnce(&mut nt_options)) -> *mut nt_tracker {
    let mut options = std::mem::MaybeUninit::uninit();
    // SAFETY: a writable nt_options, initialised by the call.
    let mut options = unsafe {
        assert_eq!(
            nt_options_init(options.as_mut_ptr(), NT_OPTIONS_VERSION),
            nt_status::Ok
        );
        options.assume_init()
    };
    options.clock = Some(clock);
    options.clock_user_data = std::ptr::from_ref(now).cast_mut().cast();
    change(&mut options);
    let mut raw = std::ptr::null_mut();
    assert_eq!(
        // SAFETY: valid options and out pointer; the clock's cell outlives the tracker.
        unsafe { nt_new_with_options(&options, &mut raw) },
        nt_status::Ok
    );
    raw
}

fn departed() -> Vec<u8> {
    let mut buffer = [0u8; 64];
    let mut len = 0;
    // SAFETY: a writable 64-byte buffer and a writable length.
    let status = unsafe { nt_departed_nicks(buffer.as_mut_ptr().cast(), 64, &mut len) };
    assert_eq!(status, nt_status::Ok);
    buffer[..len].to_vec()
}

fn active(t: *mut nt_tracker, nick: &std::ffi::CStr) -> bool {
    let mut active = false;
    assert_eq!(
        // SAFETY: a live tracker, a C string and a writable bool.
        unsafe { nt_is_active(t, nick.as_ptr(), &mut active) },
        nt_status::Ok
    );
    active
}

#[test]
fn a_peerlist_in_chunks_drops_only_at_its_commit() {
    let now = Cell::new(5);
    let t = tracker(&now, |_| {});
    let mut gone = 9;
    // SAFETY: a live tracker; buffers of the lengths given; writable outputs.
    unsafe {
        assert_eq!(
            nt_peerlist_add(t, 1, c"a".as_ptr(), 2),
            nt_status::NoSnapshot
        );
        let list = [b'a', 0, b'b', 0];
        assert_eq!(
            nt_sync_peerlist_packed(t, 1, list.as_ptr().cast(), 4),
            nt_status::Ok
        );
        assert_eq!(nt_peerlist_begin(t, 1), nt_status::Ok);
        assert_eq!(nt_peerlist_add(t, 1, c"c".as_ptr(), 2), nt_status::Ok);
        assert!(
            active(t, c"a") && active(t, c"c"),
            "c joined at once, a not gone yet"
        );
        let bad = b"b\0\xff\0";
        assert_eq!(
            nt_peerlist_add(t, 1, bad.as_ptr().cast(), 4),
            nt_status::NickNotUtf8
        );
        assert_eq!(nt_peerlist_add(t, 1, c"b".as_ptr(), 2), nt_status::Ok);
        assert_eq!(nt_peerlist_commit(t, 1, &mut gone), nt_status::Ok);
        assert_eq!((gone, departed()), (1, b"a\0".to_vec()));
        assert_eq!(nt_peerlist_abort(t, 1), nt_status::NoSnapshot);
        let mut stats = nt_directory_stats::default();
        assert_eq!(nt_get_directory_stats(t, 1, &mut stats), nt_status::Ok);
        assert_eq!(
            (stats.nicks, stats.peerlists, stats.last_peerlist_ms),
            (2, 2, 5)
        );
        assert_eq!(
            nt_get_directory_stats(t, 2, &mut stats),
            nt_status::NotFound
        );
        nt_free(t);
    }
}

#[test]
fn a_batch_takes_a_flag_per_nick_and_all_or_nothing() {
    let now = Cell::new(0);
    let t = tracker(&now, |_| {});
    let nicks = b"a\0b\0a\0";
    // SAFETY: a live tracker; buffers of the lengths given.
    unsafe {
        let status = nt_update_batch(t, 1, nicks.as_ptr().cast(), 6, [1, 1, 0].as_ptr(), 3);
        assert_eq!(status, nt_status::Ok);
        assert_eq!(departed(), b"a\0", "a joined and left within the batch");
        assert!(active(t, c"b") && !active(t, c"a"));
        let status = nt_update_batch(t, 1, nicks.as_ptr().cast(), 6, [0, 0].as_ptr(), 2);
        assert_eq!(status, nt_status::InvalidArgument, "3 nicks, 2 flags");
        assert!(active(t, c"b"), "refused: nothing changed");
        let status = nt_update_batch(t, 1, std::ptr::null(), 0, std::ptr::null(), 0);
        assert_eq!(status, nt_status::Ok);
        nt_free(t);
    }
}

#[test]
fn time_comes_from_the_clock_and_expiry_acts_only_in_nt_expire() {
    let now = Cell::new(1000);
    let t = tracker(&now, |o| {
        o.presence_ttl_ms = 100;
        o.gone_grace_ms = 10;
    });
    let mut seen = 0;
    let mut gone = 0;
    // SAFETY: a live tracker, C strings, writable outputs.
    unsafe {
        assert_eq!(nt_mark_present(t, c"a".as_ptr(), 1), nt_status::Ok);
        assert_eq!(nt_mark_present(t, c"b".as_ptr(), 1), nt_status::Ok);
        assert_eq!(nt_last_seen(t, c"a".as_ptr(), 1, &mut seen), nt_status::Ok);
        assert_eq!(seen, 1000);
        assert_eq!(
            nt_last_seen(t, c"a".as_ptr(), 2, &mut seen),
            nt_status::NotFound
        );
        now.set(1050);
        assert_eq!(nt_mark_gone(t, c"b".as_ptr(), 1), nt_status::Ok);
        assert!(active(t, c"b"), "held back for its grace period");
        assert_eq!(nt_mark_present(t, c"a".as_ptr(), 1), nt_status::Ok);
        assert_eq!(
            nt_last_seen_anywhere(t, c"a".as_ptr(), &mut seen),
            nt_status::Ok
        );
        assert_eq!(seen, 1050);
        now.set(1060);
        assert_eq!(nt_expire(t, &mut gone), nt_status::Ok);
        assert_eq!((gone, departed()), (1, b"b\0".to_vec()), "grace over");
        now.set(1149);
        assert_eq!(nt_expire(t, &mut gone), nt_status::Ok);
        assert_eq!(gone, 0);
        now.set(1150);
        assert_eq!(nt_expire(t, &mut gone), nt_status::Ok);
        assert_eq!(
            (gone, departed()),
            (1, b"a\0".to_vec()),
            "not seen for 100 ms"
        );
        now.set(1100);
        let status = nt_mark_present(t, c"c".as_ptr(), 1);
        assert_eq!(status, nt_status::ClockWentBackwards);
        assert!(!active(t, c"c"), "refused: nothing changed");
        assert_eq!(
            nt_expire(t, std::ptr::null_mut()),
            nt_status::ClockWentBackwards
        );
        nt_free(t);
    }
}

#[test]
fn a_version_1_caller_gets_a_tracker_with_the_defaults_of_later_fields() {
    // The first fields of nt_options, as a 0.2 program lays them out.
    #[repr(C)]
    struct OptionsV1([u64; 10]);
    const _: () = assert!(std::mem::offset_of!(nt_options, clock) == 80);
    let mut v1 = OptionsV1([u64::MAX; 10]);
    let mut t = std::ptr::null_mut();
    // SAFETY: a writable struct of the version 1 size; version 1 writes and reads no more.
    unsafe {
        assert_eq!(
            nt_options_init(std::ptr::from_mut(&mut v1).cast(), 1),
            nt_status::Ok
        );
        let options = std::ptr::from_ref(&v1).cast::<nt_options>();
        assert_eq!(nt_new_with_options(options, &mut t), nt_status::Ok);
        assert_eq!(nt_mark_present(t, c"a".as_ptr(), 1), nt_status::Ok);
        assert_eq!(
            nt_expire(t, std::ptr::null_mut()),
            nt_status::Ok,
            "no expiry set"
        );
        assert!(active(t, c"a"));
        nt_free(t);
    }
}

#[test]
fn sticky_picks_and_the_directory_list() {
    let now = Cell::new(0);
    let t = tracker(&now, |o| o.pick_mode = nt_pick_mode::Sticky as u32);
    let mut picked = 0;
    let mut directories = [0u64; 4];
    let mut len = 0;
    // SAFETY: a live tracker, C strings, writable outputs of the sizes given.
    unsafe {
        for directory in [4, 5, 6] {
            nt_mark_present(t, c"a".as_ptr(), directory);
        }
        assert_eq!(
            nt_pick_directory(t, c"a".as_ptr(), &mut picked),
            nt_status::Ok
        );
        let first = picked;
        for _ in 0..10 {
            nt_pick_directory(t, c"a".as_ptr(), &mut picked);
            assert_eq!(picked, first);
        }
        let status = nt_directories(t, directories.as_mut_ptr(), 4, &mut len);
        assert_eq!((status, len), (nt_status::Ok, 3));
        directories[..3].sort();
        assert_eq!(directories[..3], [4, 5, 6]);
        let mut nicks = [0u8; 4];
        let status = nt_directory_nicks_packed(t, 5, nicks.as_mut_ptr().cast(), 4, &mut len);
        assert_eq!(
            (status, len, &nicks[..2]),
            (nt_status::Ok, 2, b"a\0".as_slice())
        );
        let status = nt_directory_nicks_packed(t, 9, nicks.as_mut_ptr().cast(), 4, &mut len);
        assert_eq!(status, nt_status::NotFound);
        nt_free(t);
    }
}
