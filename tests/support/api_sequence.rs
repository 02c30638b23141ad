//! Turns arbitrary bytes into a sequence of C ABI calls on a real `nt_tracker` and checks every
//! answer against the reference model (`reference_model.rs`). Shared, via `#[path]`, by the
//! cargo-fuzz target `fuzz/fuzz_targets/api_sequence.rs` and by `tests/fuzz_corpus.rs`, which
//! replays the committed corpus on stable Rust. Any disagreement panics.
//!
//! The calls go through the exported `nt_*` symbols, declared here from
//! include/nick_tracker.h as a C program would, so the whole boundary is exercised: argument
//! checks, the lock, status codes, the last-error message and callbacks.
//!
//! # Input format
//!
//! Bytes are read in order; a byte read past the end is 0. The input is
//!
//! - a setup of 4 bytes ([`Setup::decode`]): how the tracker is created (nt_new with a leave
//!   callback or none, nt_new_with_options with an event callback, a leave callback, both or
//!   none), how re-entrant the callbacks are, logging, limits, pick mode (random, round
//!   robin or sticky), and whether the options are nt_options version 2: then 4 more bytes
//!   ([`Setup::decode_time`]) choose the clock (the harness's fake clock, or the system's),
//!   where the fake clock starts, and the expiry options (presence_ttl_ms, gone_grace_ms,
//!   disconnected_hold_ms);
//! - operations until the input is used up: an opcode byte (`% 33`, see [`Harness::step`];
//!   opcodes below 16 read as in the format's first version, below 22 as before the 0.3
//!   calls) followed by its arguments. A nick argument is one byte ([`NickArg::decode`]:
//!   mostly one of seven valid nicks, otherwise NULL, empty, too long, not UTF-8 or
//!   unterminated), a directory one byte (`% 5` into [`DIRECTORIES`]), a flag one byte.
//!
//! The 0.3 calls (opcodes 22-32): peerlists in chunks (begin, add, commit, abort), batches of
//! reports (valid or damaged), the fake clock moving (sometimes backwards), expiry,
//! last-seen times, the per-directory view, long peerlists (33 to ~120 nicks, sent whole,
//! packed or in chunks, resent unchanged, grown, reversed or copied) and the 0.3 calls with
//! a NULL tracker and other odd arguments. The model (`set_time`, `expire`, `picked`) says
//! what each must do; an expiry's leave may name any directory on which the nick lapsed.
//!
//! Callbacks read bytes from the same input to decide what to do ([`Harness::maybe_reenter`]):
//! nothing, compare the whole tracker with the model, pick a directory, report an error
//! (nt_report_callback_error), try to free the tracker (which must be refused), compare the
//! departures list, or (when the setup allows mutations) run a whole nested operation.
//!
//! Delivery is checked as the header states it (nt_event_callback): the outermost call of
//! the tracker delivers its own events, then those of the calls its callbacks made, each
//! queued when that call was made; a call made from inside a callback runs no callback
//! itself. Every event's seq must be the previous one plus one, and once the outermost call
//! returns, joins + leaves must equal the last seq. A reported error must fail that call
//! with NT_STATUS_CALLBACK_FAILED (unless it failed otherwise) and be taken back exactly once
//! with nt_take_callback_error; nt_departed_nicks must give the leaves of the latest call that
//! reports departures on this thread.
//!
//! After every operation, and in callbacks when they choose to, the tracker's whole observable
//! state is compared with the model's ([`Harness::check_all`]), the per-directory view and
//! every last-seen time included (times exactly with the fake clock). A call that is refused must
//! leave the tracker's counters unchanged, write no output and set the last-error message; a
//! call that succeeds must leave that message alone. Queries and calls refused for a bad
//! argument must not log; log messages must contain no control character (nicks are escaped);
//! nt_free must call no callback. Every buffer handed to the library has exactly the size the
//! call may read, so AddressSanitizer (under cargo-fuzz) reports any over-read. The fake
//! clock counts its readings: a call may read it at most once (nt_clock_callback).
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::ffi::{CStr, CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use nick_tracker::{
    ChangeError, Config, DirectoryId, EventKind, Expiry, LimitError, Limits, PickMode, Stats,
};

use crate::reference_model::{
    Expired, ModelEvent, Outcome, Pick, ReferenceModel, Refusal, edit_peerlist,
};

/// The C ABI, declared from include/nick_tracker.h.
pub mod ffi {
    use std::ffi::{c_char, c_void};

    #[repr(C)]
    pub struct Tracker {
        _opaque: [u8; 0],
    }

    #[repr(C)]
    pub struct Event {
        pub kind: u32,
        pub nick: *const c_char,
        pub directory: u64,
        pub seq: u64,
    }

    pub type EventCallback = Option<unsafe extern "C" fn(*mut c_void, *const Event)>;
    pub type NickCallback = Option<unsafe extern "C" fn(*mut c_void, *const c_char)>;
    pub type LogCallback = Option<unsafe extern "C" fn(*mut c_void, u32, *const c_char)>;
    pub type ClockCallback = Option<unsafe extern "C" fn(*mut c_void) -> u64>;

    #[repr(C)]
    pub struct Options {
        pub version: u32,
        pub on_event: EventCallback,
        pub on_leave: NickCallback,
        pub event_user_data: *mut c_void,
        pub on_log: LogCallback,
        pub log_user_data: *mut c_void,
        pub log_level: u32,
        pub max_nicks: usize,
        pub max_directories: usize,
        pub pick_mode: u32,
    }

    /// nt_options version 2 (0.3): version 1's fields, then the clock and the expiry options.
    #[repr(C)]
    pub struct OptionsV2 {
        pub version: u32,
        pub on_event: EventCallback,
        pub on_leave: NickCallback,
        pub event_user_data: *mut c_void,
        pub on_log: LogCallback,
        pub log_user_data: *mut c_void,
        pub log_level: u32,
        pub max_nicks: usize,
        pub max_directories: usize,
        pub pick_mode: u32,
        pub clock: ClockCallback,
        pub clock_user_data: *mut c_void,
        pub presence_ttl_ms: u64,
        pub gone_grace_ms: u64,
        pub disconnected_hold_ms: u64,
    }

    #[repr(C)]
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub struct DirectoryStats {
        pub nicks: usize,
        pub connected: bool,
        pub snapshot_open: bool,
        pub last_peerlist_ms: u64,
        pub last_report_ms: u64,
        pub peerlists: u64,
        pub reports: u64,
    }

    #[repr(C)]
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub struct Stats {
        pub nicks: usize,
        pub active_nicks: usize,
        pub directories: usize,
        pub connected_directories: usize,
        pub joins: u64,
        pub leaves: u64,
    }

    pub const OK: u32 = 0;
    pub const NULL_ARGUMENT: u32 = 1;
    pub const NICK_EMPTY: u32 = 2;
    pub const NICK_TOO_LONG: u32 = 3;
    pub const NICK_NOT_UTF8: u32 = 4;
    pub const NICK_CONTAINS_NUL: u32 = 5;
    pub const BUFFER_TOO_SMALL: u32 = 6;
    pub const PANIC: u32 = 7;
    pub const POISONED: u32 = 8;
    pub const NICK_NOT_ACTIVE: u32 = 9;
    pub const NICK_LIMIT: u32 = 10;
    pub const DIRECTORY_LIMIT: u32 = 11;
    pub const INVALID_ARGUMENT: u32 = 12;
    pub const CALLBACK_FAILED: u32 = 13;
    pub const NO_SNAPSHOT: u32 = 14;
    pub const CLOCK_WENT_BACKWARDS: u32 = 15;
    pub const NOT_FOUND: u32 = 16;
    pub const LOG_ERROR: u32 = 1;

    /// nt_pick_mode values run from 0 to this one less (RANDOM, ROUND_ROBIN, STICKY).
    pub const PICK_MODES: u32 = 3;
    pub const PICK_ROUND_ROBIN: u32 = 1;
    pub const PICK_STICKY: u32 = 2;
    pub const EVENT_JOIN: u32 = 1;
    pub const EVENT_LEAVE: u32 = 2;
    /// The layout of `Options` above (version 1), which the library keeps accepting.
    pub const OPTIONS_VERSION: u32 = 1;
    /// The layout of `OptionsV2` (NT_OPTIONS_VERSION since 0.3).
    pub const OPTIONS_VERSION_2: u32 = 2;
    /// The versions this library knows (NT_OPTIONS_VERSION is the latest): a struct declared
    /// as version 1 must never be passed as another known version, which is larger.
    pub const KNOWN_OPTIONS_VERSIONS: std::ops::RangeInclusive<u32> = 1..=2;
    pub const MAX_NICK_LEN: usize = 256;

    unsafe extern "C" {
        pub fn nt_version() -> *const c_char;
        pub fn nt_options_init(options: *mut Options, version: u32) -> u32;
        pub fn nt_status_str(status: u32) -> *const c_char;
        pub fn nt_last_error_message() -> *const c_char;
        pub fn nt_new(
            on_leave: NickCallback,
            user_data: *mut c_void,
            out: *mut *mut Tracker,
        ) -> u32;
        pub fn nt_new_with_options(options: *const Options, out: *mut *mut Tracker) -> u32;
        pub fn nt_free(tracker: *mut Tracker);
        pub fn nt_update(
            tracker: *mut Tracker,
            nick: *const c_char,
            directory: u64,
            present: bool,
        ) -> u32;
        pub fn nt_update_n(
            tracker: *mut Tracker,
            nick: *const c_char,
            nick_len: usize,
            directory: u64,
            present: bool,
        ) -> u32;
        pub fn nt_mark_present(tracker: *mut Tracker, nick: *const c_char, directory: u64) -> u32;
        pub fn nt_mark_gone(tracker: *mut Tracker, nick: *const c_char, directory: u64) -> u32;
        pub fn nt_remove_directory(tracker: *mut Tracker, directory: u64, out: *mut usize) -> u32;
        pub fn nt_set_directory_connected(
            tracker: *mut Tracker,
            directory: u64,
            connected: bool,
        ) -> u32;
        pub fn nt_sync_peerlist(
            tracker: *mut Tracker,
            directory: u64,
            nicks: *const *const c_char,
            count: usize,
        ) -> u32;
        pub fn nt_sync_peerlist_packed(
            tracker: *mut Tracker,
            directory: u64,
            nicks: *const c_char,
            len: usize,
        ) -> u32;
        pub fn nt_is_active(tracker: *const Tracker, nick: *const c_char, out: *mut bool) -> u32;
        pub fn nt_is_active_n(
            tracker: *const Tracker,
            nick: *const c_char,
            nick_len: usize,
            out: *mut bool,
        ) -> u32;
        pub fn nt_active_directories_n(
            tracker: *const Tracker,
            nick: *const c_char,
            nick_len: usize,
            out: *mut u64,
            capacity: usize,
            out_len: *mut usize,
        ) -> u32;
        pub fn nt_pick_directory_n(
            tracker: *mut Tracker,
            nick: *const c_char,
            nick_len: usize,
            out: *mut u64,
        ) -> u32;
        pub fn nt_active_nicks_packed(
            tracker: *const Tracker,
            out: *mut c_char,
            capacity: usize,
            out_len: *mut usize,
        ) -> u32;
        pub fn nt_departed_nicks(out: *mut c_char, capacity: usize, out_len: *mut usize) -> u32;
        pub fn nt_report_callback_error(tracker: *const Tracker, error: usize) -> u32;
        pub fn nt_take_callback_error() -> usize;
        pub fn nt_active_directories(
            tracker: *const Tracker,
            nick: *const c_char,
            out: *mut u64,
            capacity: usize,
            out_len: *mut usize,
        ) -> u32;
        pub fn nt_pick_directory(tracker: *mut Tracker, nick: *const c_char, out: *mut u64) -> u32;
        pub fn nt_active_nick_count(tracker: *const Tracker, out: *mut usize) -> u32;
        pub fn nt_get_stats(tracker: *const Tracker, out: *mut Stats) -> u32;
        pub fn nt_for_each_active_nick(
            tracker: *const Tracker,
            visit: NickCallback,
            user_data: *mut c_void,
        ) -> u32;
        pub fn nt_peerlist_begin(tracker: *mut Tracker, directory: u64) -> u32;
        pub fn nt_peerlist_add(
            tracker: *mut Tracker,
            directory: u64,
            nicks: *const c_char,
            len: usize,
        ) -> u32;
        pub fn nt_peerlist_commit(tracker: *mut Tracker, directory: u64, out: *mut usize) -> u32;
        pub fn nt_peerlist_abort(tracker: *mut Tracker, directory: u64) -> u32;
        pub fn nt_update_batch(
            tracker: *mut Tracker,
            directory: u64,
            nicks: *const c_char,
            len: usize,
            present: *const u8,
            count: usize,
        ) -> u32;
        pub fn nt_expire(tracker: *mut Tracker, out: *mut usize) -> u32;
        pub fn nt_last_seen(
            tracker: *const Tracker,
            nick: *const c_char,
            directory: u64,
            out: *mut u64,
        ) -> u32;
        pub fn nt_last_seen_anywhere(
            tracker: *const Tracker,
            nick: *const c_char,
            out: *mut u64,
        ) -> u32;
        pub fn nt_get_directory_stats(
            tracker: *const Tracker,
            directory: u64,
            out: *mut DirectoryStats,
        ) -> u32;
        pub fn nt_for_each_directory_nick(
            tracker: *const Tracker,
            directory: u64,
            visit: NickCallback,
            user_data: *mut c_void,
        ) -> u32;
        pub fn nt_directory_nicks_packed(
            tracker: *const Tracker,
            directory: u64,
            out: *mut c_char,
            capacity: usize,
            out_len: *mut usize,
        ) -> u32;
        pub fn nt_directories(
            tracker: *const Tracker,
            out: *mut u64,
            capacity: usize,
            out_len: *mut usize,
        ) -> u32;
    }
}

/// The directories operations choose from (one byte, `% 5`).
pub const DIRECTORIES: [DirectoryId; 5] = [1, 2, 3, 0, u64::MAX];
/// How many nicks besides the usual seven a whole-state check looks at one by one (see
/// `Harness::compare_all`).
pub const NICKS_PER_CHECK: usize = 8;
/// How deep callbacks may nest operations.
pub const MAX_DEPTH: u32 = 3;
/// Written into output arguments beforehand, to check that refused calls leave them alone.
const UNTOUCHED: u64 = 0x5EED_5EED_5EED_5EED;

/// How a run checks, beyond what the input decides.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Keep a trace of every call and print it (to stderr) at the end. Default: `NT_TRACE=1`.
    pub trace: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        // Read once: the fuzzer runs thousands of inputs a second.
        static FROM_ENV: std::sync::OnceLock<RunOptions> = std::sync::OnceLock::new();
        *FROM_ENV.get_or_init(|| {
            let set = |name| std::env::var_os(name).is_some_and(|v| v == "1");
            RunOptions {
                trace: set("NT_TRACE"),
            }
        })
    }
}

/// What a run exercised; `tests/fuzz_corpus.rs` uses it to check that the corpus is not
/// vacuous.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    pub operations: u64,
    pub joins: u64,
    pub leaves: u64,
    pub nick_limit_refusals: u64,
    pub directory_limit_refusals: u64,
    pub invalid_argument_rejections: u64,
    pub disconnects_with_leaves: u64,
    pub reconnects_with_joins: u64,
    pub packed_syncs: u64,
    pub picks: u64,
    pub callbacks: u64,
    pub nested_operations: u64,
    pub nested_checks: u64,
    pub trackers_created: u64,
    pub logs: u64,
    /// Events delivered by an outer call that a call made from inside a callback caused.
    pub nested_events_delivered: u64,
    pub callback_errors_reported: u64,
    pub calls_failed_by_callbacks: u64,
    pub frees_refused_in_callbacks: u64,
    pub departures_checked: u64,
    pub length_calls: u64,
    pub packed_active_nicks: u64,
    // The 0.3 presence calls (opcodes 22 and up).
    pub snapshots_begun: u64,
    pub chunks_added: u64,
    pub commits_with_leaves: u64,
    pub aborts: u64,
    pub no_snapshot_refusals: u64,
    pub batches_with_events: u64,
    pub damaged_batches: u64,
    pub clock_moves_back: u64,
    pub clock_refusals: u64,
    pub expiries_with_leaves: u64,
    pub last_seen_checked: u64,
    pub sticky_picks: u64,
    pub directory_views: u64,
    pub directory_visits: u64,
    pub long_peerlists: u64,
    pub fake_clock_trackers: u64,
}

impl Counters {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Counters) {
        let Counters {
            operations,
            joins,
            leaves,
            nick_limit_refusals,
            directory_limit_refusals,
            invalid_argument_rejections,
            disconnects_with_leaves,
            reconnects_with_joins,
            packed_syncs,
            picks,
            callbacks,
            nested_operations,
            nested_checks,
            trackers_created,
            logs,
            nested_events_delivered,
            callback_errors_reported,
            calls_failed_by_callbacks,
            frees_refused_in_callbacks,
            departures_checked,
            length_calls,
            packed_active_nicks,
            snapshots_begun,
            chunks_added,
            commits_with_leaves,
            aborts,
            no_snapshot_refusals,
            batches_with_events,
            damaged_batches,
            clock_moves_back,
            clock_refusals,
            expiries_with_leaves,
            last_seen_checked,
            sticky_picks,
            directory_views,
            directory_visits,
            long_peerlists,
            fake_clock_trackers,
        } = other;
        self.operations += operations;
        self.joins += joins;
        self.leaves += leaves;
        self.nick_limit_refusals += nick_limit_refusals;
        self.directory_limit_refusals += directory_limit_refusals;
        self.invalid_argument_rejections += invalid_argument_rejections;
        self.disconnects_with_leaves += disconnects_with_leaves;
        self.reconnects_with_joins += reconnects_with_joins;
        self.packed_syncs += packed_syncs;
        self.picks += picks;
        self.callbacks += callbacks;
        self.nested_operations += nested_operations;
        self.nested_checks += nested_checks;
        self.trackers_created += trackers_created;
        self.logs += logs;
        self.nested_events_delivered += nested_events_delivered;
        self.callback_errors_reported += callback_errors_reported;
        self.calls_failed_by_callbacks += calls_failed_by_callbacks;
        self.frees_refused_in_callbacks += frees_refused_in_callbacks;
        self.departures_checked += departures_checked;
        self.length_calls += length_calls;
        self.packed_active_nicks += packed_active_nicks;
        self.snapshots_begun += snapshots_begun;
        self.chunks_added += chunks_added;
        self.commits_with_leaves += commits_with_leaves;
        self.aborts += aborts;
        self.no_snapshot_refusals += no_snapshot_refusals;
        self.batches_with_events += batches_with_events;
        self.damaged_batches += damaged_batches;
        self.clock_moves_back += clock_moves_back;
        self.clock_refusals += clock_refusals;
        self.expiries_with_leaves += expiries_with_leaves;
        self.last_seen_checked += last_seen_checked;
        self.sticky_picks += sticky_picks;
        self.directory_views += directory_views;
        self.directory_visits += directory_visits;
        self.long_peerlists += long_peerlists;
        self.fake_clock_trackers += fake_clock_trackers;
    }
}

/// Runs `data` with [`RunOptions::default`]. Panics on any disagreement.
pub fn run(data: &[u8]) -> Counters {
    run_with(data, RunOptions::default())
}

/// Runs `data`. Panics on any disagreement.
pub fn run_with(data: &[u8], options: RunOptions) -> Counters {
    let harness = Harness::new(data, options);
    let result = catch_unwind(AssertUnwindSafe(|| {
        // Both are per thread, and may hold what an earlier run (on this thread) left.
        ffi_take_callback_error();
        *harness.departed.borrow_mut() = harness.departed_nicks();
        harness.create();
        while !harness.input_done() {
            harness.step();
            harness.check_all();
        }
        harness.quietly("final check", || harness.compare_all(true));
    }));
    if options.trace {
        let trace = harness.trace.borrow();
        eprintln!("--- call trace ---\n{}\n---", trace.join("\n"));
    }
    if let Err(payload) = result {
        std::panic::resume_unwind(payload);
    }
    harness.counters.get()
}

/// How the tracker of a run is created, decoded from 4 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    via_options: bool,
    /// An event callback (nt_new_with_options only).
    on_event: bool,
    /// A leave callback (nt_new's, or nt_options.on_leave).
    on_leave: bool,
    /// 0: callbacks only check what they receive; 1: they may also query the tracker;
    /// 2: they may also run nested operations.
    reentrancy: u8,
    log: bool,
    log_level: u32,
    limits: Limits,
    pick: PickMode,
    /// nt_options version 2 (options only), with the time setup read after the 4 bytes.
    version2: bool,
    /// The harness's fake clock (version 2 only), else the system's, whose readings the
    /// model cannot know: times are then only checked for being there or not.
    fake_clock: bool,
    /// Where the fake clock starts.
    start_ms: u64,
    /// The expiry options (fake clock only).
    expiry: Expiry,
}

impl Setup {
    /// `b0 % 7`: 0 nt_new with a leave callback, 1 nt_new without, then nt_new_with_options
    /// with 2-3 an event callback, 4 event and leave callbacks, 5 a leave callback, 6 none;
    /// `b0 / 7 % 3`: re-entrancy; `b0 / 21 % 2`: a log callback (options only).
    /// Options only: `b1 % 7` max_nicks, `b2 % 5` max_directories (0: unlimited),
    /// `b3` bit 0 round robin, `1 + (b3 >> 1) % 4` the log level, bit 3 nt_options version 2
    /// (then [`Setup::decode_time`] reads 4 more bytes), bit 4 sticky picks (over bit 0).
    fn decode(b0: u8, b1: u8, b2: u8, b3: u8) -> Setup {
        // (via_options, on_event, on_leave)
        let (via_options, on_event, on_leave) = match b0 % 7 {
            0 => (false, false, true),
            1 => (false, false, false),
            2 | 3 => (true, true, false),
            4 => (true, true, true),
            5 => (true, false, true),
            _ => (true, false, false),
        };
        let limit = |value: usize| (value > 0).then_some(value);
        Setup {
            via_options,
            on_event,
            on_leave,
            reentrancy: (b0 / 7) % 3,
            log: via_options && (b0 / 21) % 2 == 1,
            log_level: 1 + u32::from(b3 >> 1) % 4,
            limits: if via_options {
                Limits {
                    max_nicks: limit(usize::from(b1 % 7)),
                    max_directories: limit(usize::from(b2 % 5)),
                }
            } else {
                Limits::default()
            },
            pick: match (via_options, b3 & 0x10 != 0, b3 & 1 == 1) {
                (true, true, _) => PickMode::Sticky,
                (true, false, true) => PickMode::RoundRobin,
                _ => PickMode::Random,
            },
            version2: via_options && b3 & 0x08 != 0,
            fake_clock: false,
            start_ms: 0,
            expiry: Expiry::default(),
        }
    }

    /// The time setup of a version 2 tracker, 4 bytes: `t0` bit 0 the system's clock instead
    /// of the fake one (and no expiry), bits 1-2 where the fake clock starts (0, 1000,
    /// `u64::MAX - 1000` or 2^40 ms); then presence_ttl_ms, gone_grace_ms and
    /// disconnected_hold_ms, one byte each ([`duration`]).
    fn decode_time(&mut self, t0: u8, ttl: u8, grace: u8, hold: u8) {
        self.fake_clock = t0 & 1 == 0;
        self.start_ms = [0, 1000, u64::MAX - 1000, 1 << 40][usize::from(t0 >> 1) % 4];
        if self.fake_clock {
            self.expiry = Expiry {
                presence_ttl_ms: duration(ttl),
                gone_grace_ms: duration(grace),
                disconnected_hold_ms: duration(hold),
            };
        }
    }
}

/// An expiry option from one byte: `% 4 == 0` off; from 0xF0 on, huge (`u64::MAX`, half of
/// it, or 2^40: deadlines that saturate or never come); else `byte / 4 + 1` ms (1 to 60).
fn duration(byte: u8) -> Option<u64> {
    match byte {
        _ if byte.is_multiple_of(4) => None,
        0xF0.. => Some([0, u64::MAX, u64::MAX / 2, 1 << 40][usize::from(byte % 4)]),
        _ => Some(u64::from(byte / 4) + 1),
    }
}

/// A nick argument: one of the valid nicks or a kind of bad one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NickArg {
    Valid(usize),
    Null,
    Empty,
    /// NT_MAX_NICK_LEN + 1 bytes, terminated.
    TooLong,
    NotUtf8,
    /// Valid UTF-8 up to a truncated multi-byte sequence.
    Truncated,
    /// NT_MAX_NICK_LEN + 1 readable bytes and no terminator (the header allows this).
    Unterminated,
}

impl NickArg {
    /// `% 16`: 0..=10 a valid nick (`% 7`), then NULL, empty, too long, not UTF-8 (or
    /// truncated UTF-8 if bit 4 is set), unterminated.
    pub fn decode(byte: u8) -> NickArg {
        match byte % 16 {
            k @ 0..=10 => NickArg::Valid(usize::from(k) % 7),
            11 => NickArg::Null,
            12 => NickArg::Empty,
            13 => NickArg::TooLong,
            14 if byte & 0x10 == 0 => NickArg::NotUtf8,
            14 => NickArg::Truncated,
            _ => NickArg::Unterminated,
        }
    }
}

/// The bytes behind every [`NickArg`].
struct Nicks {
    valid: Vec<CString>,
    too_long: CString,
    not_utf8: CString,
    truncated: CString,
    /// Exactly NT_MAX_NICK_LEN + 1 bytes, so reading one more is an out-of-bounds read that
    /// AddressSanitizer (fuzzing) or Miri/valgrind would report.
    unterminated: Box<[u8]>,
}

impl Nicks {
    fn new() -> Self {
        let longest = "x".repeat(ffi::MAX_NICK_LEN);
        // Control characters are valid (they must come back byte for byte, and be escaped in
        // log messages).
        let valid = [
            "alice",
            "bob",
            "carol",
            "dave",
            "ñíck",
            &longest,
            "ctl\t\x1b[31m\nx",
        ]
        .iter()
        .map(|nick| CString::new(*nick).unwrap())
        .collect();
        Nicks {
            valid,
            too_long: CString::new("y".repeat(ffi::MAX_NICK_LEN + 1)).unwrap(),
            not_utf8: CString::new(b"\xff\xfeab".to_vec()).unwrap(),
            truncated: CString::new(b"ab\xc3".to_vec()).unwrap(),
            unterminated: vec![b'z'; ffi::MAX_NICK_LEN + 1].into_boxed_slice(),
        }
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.valid.iter().map(|nick| nick.to_str().unwrap())
    }

    fn ptr(&self, arg: NickArg) -> *const c_char {
        match arg {
            NickArg::Valid(i) => self.valid[i].as_ptr(),
            NickArg::Null => std::ptr::null(),
            NickArg::Empty => c"".as_ptr(),
            NickArg::TooLong => self.too_long.as_ptr(),
            NickArg::NotUtf8 => self.not_utf8.as_ptr(),
            NickArg::Truncated => self.truncated.as_ptr(),
            NickArg::Unterminated => self.unterminated.as_ptr().cast(),
        }
    }

    /// The bytes of the nick without terminator, for packed peerlists (NULL has none).
    fn bytes(&self, arg: NickArg) -> Option<&[u8]> {
        Some(match arg {
            NickArg::Valid(i) => self.valid[i].as_bytes(),
            NickArg::Null => return None,
            NickArg::Empty => b"",
            NickArg::TooLong => self.too_long.as_bytes(),
            NickArg::NotUtf8 => self.not_utf8.as_bytes(),
            NickArg::Truncated => self.truncated.as_bytes(),
            NickArg::Unterminated => &self.unterminated,
        })
    }

    /// The nick, or the status the header promises for it as a C string argument.
    fn expect(&self, arg: NickArg) -> Result<String, u32> {
        match arg {
            NickArg::Valid(i) => Ok(self.valid[i].to_str().unwrap().to_owned()),
            NickArg::Null => Err(ffi::NULL_ARGUMENT),
            NickArg::Empty => Err(ffi::NICK_EMPTY),
            NickArg::TooLong | NickArg::Unterminated => Err(ffi::NICK_TOO_LONG),
            NickArg::NotUtf8 | NickArg::Truncated => Err(ffi::NICK_NOT_UTF8),
        }
    }
}

/// The header's rules for one entry of a packed peerlist.
fn expect_packed_entry(bytes: &[u8]) -> Result<String, u32> {
    if bytes.is_empty() {
        Err(ffi::NICK_EMPTY)
    } else if bytes.len() > ffi::MAX_NICK_LEN {
        Err(ffi::NICK_TOO_LONG)
    } else {
        String::from_utf8(bytes.to_vec()).map_err(|_| ffi::NICK_NOT_UTF8)
    }
}

/// The header's rules for a packed peerlist of `len` bytes (`bytes`, or NULL). A length
/// larger than any array can be is refused without reading.
fn expect_packed(bytes: Option<&[u8]>, len: usize) -> Result<Vec<String>, u32> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let Some(bytes) = bytes else {
        return Err(ffi::NULL_ARGUMENT);
    };
    if len > isize::MAX as usize {
        return Err(ffi::INVALID_ARGUMENT);
    }
    let Some(body) = bytes[..len].strip_suffix(&[0]) else {
        return Err(ffi::INVALID_ARGUMENT);
    };
    body.split(|&b| b == 0).map(expect_packed_entry).collect()
}

/// The header's rules for a nick given as (pointer, length) (`bytes`, or NULL).
fn expect_bytes(bytes: Option<&[u8]>) -> Result<String, u32> {
    let Some(bytes) = bytes else {
        return Err(ffi::NULL_ARGUMENT);
    };
    if bytes.is_empty() {
        Err(ffi::NICK_EMPTY)
    } else if bytes.len() > ffi::MAX_NICK_LEN {
        Err(ffi::NICK_TOO_LONG)
    } else if bytes.contains(&0) {
        Err(ffi::NICK_CONTAINS_NUL)
    } else {
        String::from_utf8(bytes.to_vec()).map_err(|_| ffi::NICK_NOT_UTF8)
    }
}

/// A packed list of nicks as an argument: exactly `len` bytes (so an over-read is out of
/// bounds) at `pointer`, unless `pointer` is NULL or `len` is one the header says is refused
/// before anything is read; what the header says of it (`checked`).
struct PackedArg {
    buffer: Box<[u8]>,
    len: usize,
    pointer: *const c_char,
    checked: Result<Vec<String>, u32>,
}

impl PackedArg {
    /// `null`: NULL if empty (a NULL buffer with a length: `len` set and `null`).
    fn new(buffer: Vec<u8>, len: Option<usize>, null: bool) -> PackedArg {
        let buffer = buffer.into_boxed_slice();
        let len_given = len.is_some();
        let len = len.unwrap_or(buffer.len());
        let pointer: *const c_char = if null && (len_given || buffer.is_empty()) {
            std::ptr::null()
        } else {
            buffer.as_ptr().cast()
        };
        let checked = expect_packed((!pointer.is_null()).then_some(&buffer[..]), len);
        PackedArg {
            buffer,
            len,
            pointer,
            checked,
        }
    }

    /// Well-formed, from names.
    fn of(names: &[String]) -> PackedArg {
        let mut buffer = Vec::new();
        for name in names {
            buffer.extend_from_slice(name.as_bytes());
            buffer.push(0);
        }
        PackedArg::new(buffer, None, false)
    }

    fn describe(&self) -> String {
        format!(
            "{:?} len={} null={}",
            String::from_utf8_lossy(&self.buffer),
            self.len,
            self.pointer.is_null()
        )
    }
}

/// Which function reports a nick.
#[derive(Debug, Clone, Copy)]
enum Via {
    Update(bool),
    MarkPresent,
    MarkGone,
}

/// What a changing call must do.
enum Expect {
    /// Refused for a bad argument: this status, nothing changed, no event.
    Rejected(u32),
    /// Refused for a bad argument, with one of these statuses (the header does not say which
    /// of several applicable errors is reported): nothing changed, no event.
    RejectedAny(Vec<u32>),
    /// Whatever the model said (it has already applied the change).
    Model { outcome: Outcome },
    /// What the model's expiry said: its events, each leave naming one of the directories
    /// given with it.
    Expired { outcome: Expired },
}

/// One callback invocation a changing call is expected to make.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Delivered {
    /// The event callback, with this event and seq.
    Event(ModelEvent, u64),
    /// The event callback with an expiry's event: this kind, nick and seq, and one of these
    /// directories (a nick whose statuses lapse on several at once leaves with one of them).
    EventOnOneOf(ModelEvent, Vec<DirectoryId>, u64),
    /// The leave callback, with this nick.
    Leave(String),
}

/// The callback invocations still expected of the outermost call in progress, in order: its
/// own, then those of the calls its callbacks made, each queued when that call was made.
type Frame = VecDeque<Delivered>;

pub struct Harness<'a> {
    data: &'a [u8],
    position: Cell<usize>,
    options: RunOptions,
    setup: Cell<Setup>,
    tracker: Cell<*mut ffi::Tracker>,
    model: RefCell<ReferenceModel>,
    /// Whether an outermost call of the tracker is delivering (or visiting): calls made
    /// meanwhile come from its callbacks, deliver nothing themselves and queue on `queue`.
    delivering: Cell<bool>,
    queue: RefCell<Frame>,
    /// The error kept for the outermost call in progress (nt_report_callback_error).
    reported: Cell<Option<usize>>,
    /// What nt_take_callback_error must return after the next call that is not OK.
    expect_taken: Cell<usize>,
    /// Tokens handed to nt_report_callback_error, each new.
    tokens: Cell<usize>,
    /// The seq of the next event the tracker makes, and of the last one delivered.
    next_seq: Cell<u64>,
    last_seq_delivered: Cell<u64>,
    /// The departures nt_departed_nicks must give, packed.
    departed: RefCell<Vec<u8>>,
    /// nt_free calls refused inside callbacks, and ERROR log lines received.
    frees_refused: Cell<u64>,
    error_logs: Cell<u64>,
    /// Snapshots expected by re-entrant nt_for_each_active_nick visitors.
    visits: RefCell<Vec<VecDeque<String>>>,
    /// The first failure inside a callback, re-raised once the call returns.
    failure: RefCell<Option<String>>,
    depth: Cell<u32>,
    /// Whole-state checks made, to take the nicks they look at one by one in turn.
    checks: Cell<u64>,
    /// Calls that returned something other than OK, for the last-error-message check.
    failed_calls: Cell<u64>,
    /// Nested operations run so far, for the "refused calls change nothing" check.
    nested: Cell<u64>,
    nicks: Nicks,
    /// The last peerlist each directory accepted, for resending it edited (opcode 14).
    sent: RefCell<BTreeMap<DirectoryId, Vec<String>>>,
    /// The nicks each directory's open peerlist has listed so far (opcodes 22-25, 31).
    chunks: RefCell<BTreeMap<DirectoryId, Vec<String>>>,
    /// Nicks expected by re-entrant nt_for_each_directory_nick visitors (in any order).
    directory_visits: RefCell<Vec<Vec<String>>>,
    /// The fake clock (nt_options version 2): its time, how often the tracker read it, and
    /// how many of those readings were made by calls from inside callbacks.
    clock_ms: Cell<u64>,
    clock_reads: Cell<u64>,
    nested_reads: Cell<u64>,
    counters: Cell<Counters>,
    trace: RefCell<Vec<String>>,
}

/// Panics with a message (inside callbacks the panic is caught and re-raised later).
macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            panic!($($message)+);
        }
    };
}

impl Drop for Harness<'_> {
    fn drop(&mut self) {
        let tracker = self.tracker.replace(std::ptr::null_mut());
        // SAFETY: the tracker came from nt_new*, and nothing else uses it any more.
        unsafe { ffi::nt_free(tracker) };
    }
}

impl<'a> Harness<'a> {
    fn new(data: &'a [u8], options: RunOptions) -> Self {
        Harness {
            data,
            position: Cell::new(0),
            options,
            setup: Cell::new(Setup::decode(0, 0, 0, 0)),
            tracker: Cell::new(std::ptr::null_mut()),
            model: RefCell::new(ReferenceModel::new(Limits::default(), PickMode::Random)),
            delivering: Cell::new(false),
            queue: RefCell::new(Frame::new()),
            reported: Cell::new(None),
            expect_taken: Cell::new(0),
            tokens: Cell::new(0),
            next_seq: Cell::new(1),
            last_seq_delivered: Cell::new(0),
            departed: RefCell::new(Vec::new()),
            frees_refused: Cell::new(0),
            error_logs: Cell::new(0),
            visits: RefCell::new(Vec::new()),
            failure: RefCell::new(None),
            depth: Cell::new(0),
            checks: Cell::new(0),
            failed_calls: Cell::new(0),
            nested: Cell::new(0),
            nicks: Nicks::new(),
            sent: RefCell::new(BTreeMap::new()),
            chunks: RefCell::new(BTreeMap::new()),
            directory_visits: RefCell::new(Vec::new()),
            clock_ms: Cell::new(0),
            clock_reads: Cell::new(0),
            nested_reads: Cell::new(0),
            counters: Cell::new(Counters::default()),
            trace: RefCell::new(Vec::new()),
        }
    }

    // ----- input -----

    fn input_done(&self) -> bool {
        self.position.get() >= self.data.len()
    }

    fn byte(&self) -> u8 {
        let position = self.position.get();
        self.position.set(position + 1);
        self.data.get(position).copied().unwrap_or(0)
    }

    fn flag(&self) -> bool {
        self.byte() & 1 == 1
    }

    fn nick_arg(&self) -> NickArg {
        NickArg::decode(self.byte())
    }

    fn directory(&self) -> DirectoryId {
        DIRECTORIES[usize::from(self.byte()) % DIRECTORIES.len()]
    }

    // ----- bookkeeping -----

    fn count(&self, update: impl FnOnce(&mut Counters)) {
        let mut counters = self.counters.get();
        update(&mut counters);
        self.counters.set(counters);
    }

    fn note(&self, line: impl FnOnce() -> String) {
        if self.options.trace {
            let indent = "  ".repeat(self.depth.get() as usize);
            self.trace.borrow_mut().push(format!("{indent}{}", line()));
        }
    }

    fn ptr(&self) -> *mut ffi::Tracker {
        self.tracker.get()
    }

    fn user_data(&self) -> *mut c_void {
        (self as *const Self).cast_mut().cast()
    }

    /// Re-raises a failure recorded inside a callback of the call that just returned.
    fn propagate(&self) {
        let failure = self.failure.borrow_mut().take();
        if let Some(message) = failure {
            panic!("{message}");
        }
    }

    /// Common checks on every status; counts failures. After a call that is not OK, the
    /// callback error is taken: the one an outermost call kept (`expect_taken`), else none.
    fn returned(&self, what: &str, status: u32) {
        self.propagate();
        ensure!(
            status != ffi::PANIC && status != ffi::POISONED,
            "{what}: the library panicked (status {status}): {}",
            last_error()
        );
        let expected = self.expect_taken.replace(0);
        if status != ffi::OK {
            self.failed_calls.set(self.failed_calls.get() + 1);
            ensure!(
                last_error_set(),
                "{what}: status {status} without a last-error message"
            );
            let taken = ffi_take_callback_error();
            ensure!(
                taken == expected,
                "{what}: nt_take_callback_error() gave {taken:#x}, expected {expected:#x}"
            );
            let again = ffi_take_callback_error();
            ensure!(again == 0, "{what}: the callback error was given twice");
        } else {
            ensure!(
                expected == 0,
                "{what}: a callback reported {expected:#x}, yet the call returned OK"
            );
        }
    }

    // ----- tracker lifecycle -----

    /// Decodes a setup and creates the tracker (freeing the previous one) and a fresh model.
    fn create(&self) {
        let mut setup = Setup::decode(self.byte(), self.byte(), self.byte(), self.byte());
        if setup.version2 {
            setup.decode_time(self.byte(), self.byte(), self.byte(), self.byte());
        }
        self.note(|| format!("create {setup:?}"));
        let old = self.tracker.replace(std::ptr::null_mut());
        // SAFETY: `old` is NULL or our tracker, not in use (creation happens at depth 0).
        unsafe { ffi::nt_free(old) };
        self.clock_ms.set(setup.start_ms);
        let mut tracker = std::ptr::null_mut();
        // The fields both layouts have.
        macro_rules! fill {
            ($options:expr) => {{
                let options = &mut $options;
                if setup.on_event {
                    options.on_event = Some(on_event);
                }
                if setup.on_leave {
                    options.on_leave = Some(on_leave);
                }
                options.event_user_data = self.user_data();
                if setup.log {
                    options.on_log = Some(on_log);
                    options.log_user_data = self.user_data();
                }
                options.log_level = setup.log_level;
                options.max_nicks = setup.limits.max_nicks.unwrap_or(0);
                options.max_directories = setup.limits.max_directories.unwrap_or(0);
                options.pick_mode = match setup.pick {
                    PickMode::Random => 0,
                    PickMode::RoundRobin => ffi::PICK_ROUND_ROBIN,
                    PickMode::Sticky => ffi::PICK_STICKY,
                };
            }};
        }
        let status = if setup.version2 {
            let mut options = default_options_v2();
            fill!(options);
            if setup.fake_clock {
                options.clock = Some(fake_clock);
                options.clock_user_data = self.user_data();
            }
            options.presence_ttl_ms = setup.expiry.presence_ttl_ms.unwrap_or(0);
            options.gone_grace_ms = setup.expiry.gone_grace_ms.unwrap_or(0);
            options.disconnected_hold_ms = setup.expiry.disconnected_hold_ms.unwrap_or(0);
            let reads = self.clock_reads.get();
            // SAFETY: valid options and out pointer; the callbacks, the clock and their user
            // data (self) outlive the tracker, which Drop frees.
            let status = unsafe {
                ffi::nt_new_with_options(std::ptr::from_ref(&options).cast(), &mut tracker)
            };
            let read = self.clock_reads.get() - reads;
            ensure!(read <= 1, "create: the clock was read {read} times");
            status
        } else if setup.via_options {
            let mut options = default_options();
            fill!(options);
            // SAFETY: valid options and out pointer; the callbacks and user data (self)
            // outlive the tracker, which Drop frees.
            unsafe { ffi::nt_new_with_options(&options, &mut tracker) }
        } else {
            let on_leave: ffi::NickCallback = match setup.on_leave {
                true => Some(on_leave),
                false => None,
            };
            // SAFETY: as above.
            unsafe { ffi::nt_new(on_leave, self.user_data(), &mut tracker) }
        };
        self.returned("create", status);
        ensure!(
            status == ffi::OK && !tracker.is_null(),
            "create: status {status}"
        );
        self.tracker.set(tracker);
        self.setup.set(setup);
        let mut model = ReferenceModel::with_config(Config {
            limits: setup.limits,
            pick: setup.pick,
            expiry: setup.expiry,
        });
        if setup.fake_clock {
            model.set_time(setup.start_ms);
        }
        *self.model.borrow_mut() = model;
        if setup.fake_clock {
            self.count(|c| c.fake_clock_trackers += 1);
        }
        self.sent.borrow_mut().clear();
        self.chunks.borrow_mut().clear();
        self.next_seq.set(1);
        self.last_seq_delivered.set(0);
        self.frees_refused.set(0);
        self.error_logs.set(0);
        self.count(|c| c.trackers_created += 1);
    }

    // ----- operations -----

    /// Decodes and runs one operation. Opcode `% 33` (opcodes below 16 read as in the
    /// format's first version, below 22 as before the 0.3 calls):
    ///
    /// | opcode  | call                                                          |
    /// |---------|---------------------------------------------------------------|
    /// | 0, 1    | nt_update(nick, directory, flag)                              |
    /// | 2       | nt_mark_present(nick, directory)                              |
    /// | 3       | nt_mark_gone(nick, directory)                                 |
    /// | 4       | nt_sync_peerlist: directory, shape byte, nicks                |
    /// | 5       | nt_sync_peerlist_packed: directory, shape byte, content       |
    /// | 6       | nt_remove_directory(directory, flag: count output or NULL)    |
    /// | 7, 15   | nt_set_directory_connected(directory, flag)                   |
    /// | 8       | nt_pick_directory(nick, flag: NULL output)                    |
    /// | 9       | a query with unusual arguments (selector byte)                |
    /// | 10      | nt_for_each_active_nick with a re-entrant visitor             |
    /// | 11      | a call with a NULL tracker (selector byte)                    |
    /// | 12      | a new tracker (setup, 4 bytes); nested: a full check instead  |
    /// | 13      | nt_options_init / nt_new* with bad arguments, or a second     |
    /// |         | tracker (selector byte, value byte)                           |
    /// | 14      | the directory's last peerlist again, edited: directory, edit  |
    /// |         | byte, nick, flag (packed or array)                            |
    /// | 16, 17  | nt_update_n(nick, form, directory, flag) (see `nick_bytes`)   |
    /// | 18      | a query by length: selector, nick, form                       |
    /// | 19      | nt_active_nicks_packed (selector: buffer shape)               |
    /// | 20      | nt_departed_nicks (selector: buffer shape)                    |
    /// | 21      | nt_report_callback_error / nt_take_callback_error (selector)  |
    /// | 22      | nt_peerlist_begin(directory)                                  |
    /// | 23      | nt_peerlist_add: directory, a packed chunk (`packed_arg`)     |
    /// | 24      | nt_peerlist_commit(directory, flag: count output or NULL)     |
    /// | 25      | nt_peerlist_abort(directory)                                  |
    /// | 26      | nt_update_batch: directory, shape byte, entries (`update_batch`) |
    /// | 27      | the fake clock moves (a byte; sometimes backwards)            |
    /// | 28      | nt_expire(flag: count output or NULL)                         |
    /// | 29      | nt_last_seen / nt_last_seen_anywhere: selector, nick, directory |
    /// | 30      | the per-directory view: selector, directory (`directory_view`) |
    /// | 31      | a long peerlist (33 to ~120 nicks, `long_peerlist`)           |
    /// | 32      | the 0.3 calls with a NULL tracker and other odd arguments     |
    fn step(&self) {
        self.count(|c| c.operations += 1);
        match self.byte() % 33 {
            0 | 1 => {
                let (nick, directory, present) = (self.nick_arg(), self.directory(), self.flag());
                self.report(nick, directory, Via::Update(present));
            }
            2 => self.report(self.nick_arg(), self.directory(), Via::MarkPresent),
            14 => self.resync(),
            3 => self.report(self.nick_arg(), self.directory(), Via::MarkGone),
            4 => self.sync_array(),
            5 => self.sync_packed(),
            6 => self.remove_directory(),
            7 | 15 => self.set_connected(),
            8 => self.quietly("pick", || self.pick()),
            9 => self.quietly("odd query", || self.odd_query()),
            10 => self.for_each_reentrant(),
            11 => self.null_tracker(),
            12 if self.depth.get() == 0 => self.create(),
            12 => self.check_all(),
            13 => self.bad_creation(),
            16 | 17 => self.report_n(),
            18 => self.quietly("query by length", || self.query_n()),
            19 => self.quietly("packed active nicks", || self.active_nicks_packed()),
            20 => self.quietly("departures", || self.departed_query()),
            21 => self.callback_error_calls(),
            22 => self.begin_peerlist(),
            23 => self.add_chunk(),
            24 => self.commit_peerlist(),
            25 => self.abort_peerlist(),
            26 => self.update_batch(),
            27 => self.move_clock(),
            28 => self.expire(),
            29 => self.quietly("last seen", || self.last_seen_query()),
            30 => self.directory_view(),
            31 => self.long_peerlist(),
            _ => self.quietly("odd presence call", || self.odd_presence_call()),
        }
    }

    /// nt_update, nt_mark_present or nt_mark_gone.
    fn report(&self, nick: NickArg, directory: DirectoryId, via: Via) {
        let ptr = self.nicks.ptr(nick);
        let present = matches!(via, Via::MarkPresent | Via::Update(true));
        let expect = match self.nicks.expect(nick) {
            Err(status) => Expect::Rejected(status),
            Ok(name) => Expect::Model {
                outcome: self.model.borrow_mut().update(&name, directory, present),
            },
        };
        let what = format!("{via:?} {nick:?} on {directory}");
        self.change(&what, expect, false, |tracker| match via {
            // SAFETY: our live tracker; `ptr` is NULL or valid per NickArg.
            Via::Update(present) => unsafe { ffi::nt_update(tracker, ptr, directory, present) },
            // SAFETY: as above.
            Via::MarkPresent => unsafe { ffi::nt_mark_present(tracker, ptr, directory) },
            // SAFETY: as above.
            Via::MarkGone => unsafe { ffi::nt_mark_gone(tracker, ptr, directory) },
        });
    }

    /// nt_sync_peerlist. Shape byte: bits 0-2 the count (`% 5`), bit 3 a NULL array, bit 4 a
    /// count larger than any array can be instead (bit 5: `usize::MAX`), which must be
    /// refused without reading the array.
    fn sync_array(&self) {
        let directory = self.directory();
        let shape = self.byte();
        let huge = shape & 0x10 != 0;
        let count = match (huge, shape & 0x20 != 0) {
            (false, _) => usize::from(shape & 7) % 5,
            (true, false) => isize::MAX as usize / size_of::<*const c_char>() + 1,
            (true, true) => usize::MAX,
        };
        let null_array = shape & 8 != 0;
        let args: Vec<NickArg> = match huge {
            false => (0..count).map(|_| self.nick_arg()).collect(),
            true => Vec::new(),
        };
        let pointers: Vec<*const c_char> = args.iter().map(|&a| self.nicks.ptr(a)).collect();
        let array = if null_array {
            std::ptr::null()
        } else {
            pointers.as_ptr()
        };
        let checked: Result<Vec<String>, u32> = if count == 0 {
            Ok(Vec::new())
        } else if null_array {
            Err(ffi::NULL_ARGUMENT)
        } else if huge {
            Err(ffi::INVALID_ARGUMENT)
        } else {
            args.iter().map(|&a| self.nicks.expect(a)).collect()
        };
        let what = format!("sync {directory} {args:?} count={count} null_array={null_array}");
        self.sync(&what, directory, checked, |tracker| {
            // SAFETY: our tracker; `array` is NULL, or `count` pointers (each NULL or valid),
            // or `count` is a length the header says is refused before anything is read.
            unsafe { ffi::nt_sync_peerlist(tracker, directory, array, count) }
        });
    }

    /// nt_sync_peerlist_packed: a directory, then a packed list ([`Harness::packed_arg`]).
    fn sync_packed(&self) {
        self.count(|c| c.packed_syncs += 1);
        let directory = self.directory();
        let packed = self.packed_arg();
        let (pointer, len) = (packed.pointer, packed.len);
        let what = format!("sync_packed {directory} {}", packed.describe());
        self.sync(&what, directory, packed.checked.clone(), |tracker| {
            // SAFETY: our tracker; `pointer` is NULL, or `len` readable bytes, or `len` is a
            // length the header says is refused before anything is read.
            unsafe { ffi::nt_sync_peerlist_packed(tracker, directory, pointer, len) }
        });
    }

    /// A packed list of nicks as an argument (the form of nt_sync_peerlist_packed,
    /// nt_peerlist_add and nt_update_batch), from a shape byte `% 4`: 0 well-formed from up
    /// to `(shape >> 2) % 5` nick arguments (NULL becomes an empty entry), 1 the same without
    /// the final NUL, 2 a NULL buffer with a length `(shape >> 2) % 8`, or with bit 5 a length
    /// larger than any array can be (bit 4: `usize::MAX`) and a NULL or (bit 6) a 1-byte
    /// buffer, 3 raw bytes from the input (length byte `% 24`, then the bytes). Bit 7: an
    /// empty buffer is NULL.
    fn packed_arg(&self) -> PackedArg {
        let shape = self.byte();
        let mut buffer: Vec<u8> = Vec::new();
        let mut null = false;
        let mut len_override = None;
        match shape % 4 {
            0 | 1 => {
                for _ in 0..(shape >> 2) % 5 {
                    let arg = self.nick_arg();
                    buffer.extend_from_slice(self.nicks.bytes(arg).unwrap_or(b""));
                    buffer.push(0);
                }
                if shape % 4 == 1 {
                    buffer.pop();
                }
            }
            2 if shape & 0x20 != 0 => {
                buffer.push(0);
                null = shape & 0x40 == 0;
                len_override = Some(match shape & 0x10 != 0 {
                    true => usize::MAX,
                    false => isize::MAX as usize + 1,
                });
            }
            2 => {
                null = true;
                len_override = Some(usize::from(shape >> 2) % 8);
            }
            _ => {
                let len = usize::from(self.byte()) % 24;
                buffer = (0..len).map(|_| self.byte()).collect();
            }
        }
        PackedArg::new(
            buffer,
            len_override,
            null || shape & 0x80 != 0 && shape % 4 != 2,
        )
    }

    fn sync(
        &self,
        what: &str,
        directory: DirectoryId,
        checked: Result<Vec<String>, u32>,
        call: impl FnOnce(*mut ffi::Tracker) -> u32,
    ) {
        let expect = match &checked {
            Err(status) => Expect::Rejected(*status),
            Ok(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let outcome = self.model.borrow_mut().sync_peerlist(directory, &names);
                Expect::Model { outcome }
            }
        };
        let status = self.change(what, expect, true, call);
        if let Ok(names) = checked
            && (status == ffi::OK || status == ffi::CALLBACK_FAILED)
        {
            self.sent.borrow_mut().insert(directory, names);
        }
    }

    /// Resends the directory's last accepted peerlist with a typical edit (`edit_peerlist`),
    /// as an array of C strings or packed, the way directories resend their lists.
    fn resync(&self) {
        let directory = self.directory();
        let edit = self.byte();
        let nick = match self.nick_arg() {
            NickArg::Valid(i) => i,
            _ => 0,
        };
        let packed = self.flag();
        let nick = self.nicks.valid[nick].to_str().unwrap().to_owned();
        let last = self
            .sent
            .borrow()
            .get(&directory)
            .cloned()
            .unwrap_or_default();
        let names = edit_peerlist(&last, edit, nick);
        self.send_list("resync", directory, names, packed);
    }

    /// A whole peerlist of valid nicks, as an array of C strings or packed.
    fn send_list(&self, what: &str, directory: DirectoryId, names: Vec<String>, packed: bool) {
        let what = format!("{what} {directory} {names:?} packed={packed}");
        if packed {
            let arg = PackedArg::of(&names);
            let (pointer, len) = (arg.pointer, arg.len);
            self.sync(&what, directory, Ok(names), |tracker| {
                // SAFETY: our tracker; `len` readable bytes.
                unsafe { ffi::nt_sync_peerlist_packed(tracker, directory, pointer, len) }
            });
        } else {
            let strings: Vec<CString> = names
                .iter()
                .map(|n| CString::new(n.as_str()).expect("accepted nicks have no NUL"))
                .collect();
            let pointers: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
            self.sync(&what, directory, Ok(names), |tracker| {
                // SAFETY: our tracker; `pointers.len()` valid C strings.
                unsafe {
                    ffi::nt_sync_peerlist(tracker, directory, pointers.as_ptr(), pointers.len())
                }
            });
        }
    }

    fn remove_directory(&self) {
        let directory = self.directory();
        let with_count = self.flag();
        let events = self.model.borrow_mut().remove_directory(directory);
        let leaves = events.len();
        let mut gone = UNTOUCHED as usize;
        let out: *mut usize = if with_count {
            &mut gone
        } else {
            std::ptr::null_mut()
        };
        let expect = Expect::Model {
            outcome: Ok(events),
        };
        let what = format!("remove_directory {directory}");
        self.change(&what, expect, true, |tracker| {
            // SAFETY: our tracker; `out` is NULL or a writable usize.
            unsafe { ffi::nt_remove_directory(tracker, directory, out) }
        });
        if with_count {
            ensure!(
                gone == leaves,
                "{what}: gone count {gone}, expected {leaves}"
            );
        }
    }

    fn set_connected(&self) {
        let directory = self.directory();
        let connected = self.flag();
        let outcome = self
            .model
            .borrow_mut()
            .set_directory_connected(directory, connected);
        if let Ok(events) = &outcome
            && !events.is_empty()
        {
            self.count(|c| match connected {
                true => c.reconnects_with_joins += 1,
                false => c.disconnects_with_leaves += 1,
            });
        }
        let expect = Expect::Model { outcome };
        let what = format!("set_connected {directory} {connected}");
        self.change(&what, expect, true, |tracker| {
            // SAFETY: our tracker.
            unsafe { ffi::nt_set_directory_connected(tracker, directory, connected) }
        });
    }

    /// Runs one changing call and checks its status, its events and, if refused, that
    /// nothing changed. Called at the outermost level, the call delivers its events through
    /// the callbacks while it runs, then those of the calls its callbacks make. Called from
    /// inside a callback, it delivers nothing itself: its events are queued behind the ones
    /// still due. `departures`: the call is one whose leaves nt_departed_nicks reports.
    fn change(
        &self,
        what: &str,
        expect: Expect,
        departures: bool,
        call: impl FnOnce(*mut ffi::Tracker) -> u32,
    ) -> u32 {
        // The events the model expects, each with the directories it may name (none:
        // exactly its own).
        let planned: Option<Vec<(ModelEvent, Vec<DirectoryId>)>> = match &expect {
            Expect::Model {
                outcome: Ok(events),
            } => Some(events.iter().map(|e| (e.clone(), Vec::new())).collect()),
            Expect::Expired {
                outcome: Ok(events),
            } => Some(events.clone()),
            _ => None,
        };
        let mut frame = Frame::new();
        let mut expected_events = Vec::new();
        if let Some(planned) = &planned {
            expected_events = planned.iter().map(|(event, _)| event.clone()).collect();
            let first_seq = self.next_seq.get();
            self.next_seq.set(first_seq + planned.len() as u64);
            frame = delivered(self.setup.get(), planned, first_seq);
        }
        let accepted = planned.is_some();
        let stats_before = self.stats();
        let message_before = last_error();
        let (failed_before, nested_before) = (self.failed_calls.get(), self.nested.get());
        let logs_before = self.counters.get().logs;
        let (reads_before, nested_reads_before) = (self.clock_reads.get(), self.nested_reads.get());
        let outermost = !self.delivering.get();
        self.note(|| format!("{what}: expecting {}", describe(&expect)));

        let mut callback_failed = false;
        let status = if outermost {
            *self.queue.borrow_mut() = frame;
            self.begin_outermost();
            let status = call(self.ptr());
            callback_failed = self.end_outermost(what, status);
            status
        } else {
            // A call from inside a callback: its events wait for the outer call.
            self.count(|c| c.nested_events_delivered += frame.len() as u64);
            self.queue.borrow_mut().extend(frame);
            let callbacks_before = self.counters.get().callbacks;
            let status = call(self.ptr());
            ensure!(
                self.counters.get().callbacks == callbacks_before,
                "{what}: made from inside a callback, it ran a callback itself"
            );
            status
        };
        self.returned(what, status);
        self.note(|| format!("{what}: status {status}"));
        // nt_clock_callback: the tracker reads its clock at most once per call (the calls
        // its callbacks made read it on their own account).
        let reads = (self.clock_reads.get() - reads_before)
            - (self.nested_reads.get() - nested_reads_before);
        ensure!(reads <= 1, "{what}: the clock was read {reads} times");
        if outermost {
            self.check_after_outermost(what);
        }

        let nested_ran = self.nested.get() != nested_before;
        match expect {
            Expect::Rejected(expected) => {
                ensure!(
                    status == expected,
                    "{what}: status {status}, expected {expected}"
                );
                ensure!(
                    self.counters.get().logs == logs_before,
                    "{what}: a call that changed nothing logged"
                );
                self.count(|c| c.invalid_argument_rejections += 1);
            }
            Expect::RejectedAny(expected) => {
                ensure!(
                    expected.contains(&status),
                    "{what}: status {status}, expected one of {expected:?}"
                );
                ensure!(
                    self.counters.get().logs == logs_before,
                    "{what}: a call that changed nothing logged"
                );
                self.count(|c| c.invalid_argument_rejections += 1);
            }
            Expect::Model { outcome: Ok(_) } | Expect::Expired { outcome: Ok(_) } => {
                let expected = match callback_failed {
                    true => ffi::CALLBACK_FAILED,
                    false => ffi::OK,
                };
                ensure!(
                    status == expected,
                    "{what}: status {status} ({}), the model accepts it with events {:?}",
                    last_error(),
                    expected_events
                );
                if self.failed_calls.get() == failed_before {
                    ensure!(
                        last_error() == message_before,
                        "{what}: a successful call changed the last-error message"
                    );
                }
                let joins = expected_events.iter().filter(|e| e.kind == EventKind::Join);
                let joins = joins.count() as u64;
                let leaves = expected_events.len() as u64 - joins;
                self.count(|c| {
                    c.joins += joins;
                    c.leaves += leaves;
                });
                if departures {
                    let mut packed = Vec::new();
                    for event in expected_events
                        .iter()
                        .filter(|e| e.kind == EventKind::Leave)
                    {
                        packed.extend_from_slice(event.nick.as_bytes());
                        packed.push(0);
                    }
                    *self.departed.borrow_mut() = packed;
                }
            }
            Expect::Model {
                outcome: Err(refusal),
            }
            | Expect::Expired {
                outcome: Err(refusal),
            } => self.refused(what, status, &refusal),
        }
        if !accepted && !nested_ran {
            ensure!(
                self.stats() == stats_before,
                "{what}: refused with {status} but the counters changed"
            );
        }
        if departures {
            self.check_departed(what);
        }
        status
    }

    /// A call the model refuses: the status and the last-error message must be one of the
    /// refusals that apply.
    fn refused(&self, what: &str, status: u32, refusal: &Refusal) {
        let reported = refusal.0.iter().find(|e| refusal_status(e) == Some(status));
        let Some(reported) = reported else {
            panic!("{what}: status {status}, the model refuses with one of {refusal:?}");
        };
        let message = last_error();
        match reported {
            // The C API names the function to call first; the directory must be right.
            ChangeError::NoSnapshot { directory } => ensure!(
                message.starts_with(&format!("directory {directory} has no peerlist open")),
                "{what}: message {message:?} for {reported:?}"
            ),
            _ => ensure!(
                message == reported.to_string(),
                "{what}: message {message:?}, expected {:?}",
                reported.to_string()
            ),
        }
        self.count(|c| match reported {
            ChangeError::Limit(LimitError::Nicks { .. }) => c.nick_limit_refusals += 1,
            ChangeError::Limit(LimitError::Directories { .. }) => c.directory_limit_refusals += 1,
            ChangeError::NoSnapshot { .. } => c.no_snapshot_refusals += 1,
            ChangeError::ClockWentBackwards { .. } => c.clock_refusals += 1,
            _ => c.invalid_argument_rejections += 1,
        });
    }

    /// An outermost call starts: its callbacks' errors and calls belong to it.
    fn begin_outermost(&self) {
        self.delivering.set(true);
        self.reported.set(None);
    }

    /// An outermost call (or iteration) has returned with `status`: everything it owed was
    /// delivered, and the error a callback reported is for the caller to take, right away
    /// (any other call of the library forgets it): `returned` does. Makes no library call.
    /// Returns whether a callback reported an error during the call.
    fn end_outermost(&self, what: &str, status: u32) -> bool {
        self.delivering.set(false);
        let rest = std::mem::take(&mut *self.queue.borrow_mut());
        ensure!(rest.is_empty(), "{what}: events not delivered: {rest:?}");
        let Some(token) = self.reported.take() else {
            return false;
        };
        self.count(|c| c.calls_failed_by_callbacks += 1);
        self.expect_taken.set(token);
        ensure!(
            status != ffi::OK,
            "{what}: a callback reported an error, yet the call returned OK"
        );
        true
    }

    /// After an outermost call (once `returned` took its error): every event the tracker
    /// made has been delivered, the latest seq counts them, and each refused nt_free logged
    /// its ERROR line.
    fn check_after_outermost(&self, what: &str) {
        let made = self.next_seq.get() - 1;
        let stats = self.stats();
        ensure!(
            stats.joins + stats.leaves == made,
            "{what}: {} joins + {} leaves, but {made} events made",
            stats.joins,
            stats.leaves
        );
        if self.setup.get().on_event {
            ensure!(
                self.last_seq_delivered.get() == made,
                "{what}: the last event delivered is #{}, the last made #{made}",
                self.last_seq_delivered.get()
            );
        }
        let expected_logs = match self.setup.get().log {
            true => self.frees_refused.get(),
            false => 0,
        };
        ensure!(
            self.error_logs.get() == expected_logs,
            "{what}: {} ERROR log lines for {} refused nt_free calls",
            self.error_logs.get(),
            self.frees_refused.get()
        );
    }

    /// A nick as the (pointer, length) of the `*_n` calls, in a buffer of exactly that
    /// length, so that reading past it is an out-of-bounds read. Form byte `% 4`: 0 its bytes,
    /// 1 its bytes and its terminator, 2 a NUL in the middle, 3 a NULL pointer with its length.
    fn nick_bytes(&self, arg: NickArg, form: u8) -> (Option<Box<[u8]>>, usize) {
        let Some(bytes) = self.nicks.bytes(arg) else {
            return (None, 3);
        };
        let bytes: Vec<u8> = match form % 4 {
            0 | 3 => bytes.to_vec(),
            1 => [bytes, b"\0"].concat(),
            _ => {
                let middle = bytes.len() / 2;
                [&bytes[..middle], b"\0", &bytes[middle..]].concat()
            }
        };
        let len = bytes.len();
        match form % 4 {
            3 => (None, len),
            _ => (Some(bytes.into_boxed_slice()), len),
        }
    }

    /// nt_update_n.
    fn report_n(&self) {
        self.count(|c| c.length_calls += 1);
        let (arg, form) = (self.nick_arg(), self.byte());
        let (directory, present) = (self.directory(), self.flag());
        let (buffer, len) = self.nick_bytes(arg, form);
        let ptr: *const c_char = buffer
            .as_ref()
            .map_or(std::ptr::null(), |b| b.as_ptr().cast());
        let expect = match expect_bytes(buffer.as_deref()) {
            Err(status) => Expect::Rejected(status),
            Ok(name) => Expect::Model {
                outcome: self.model.borrow_mut().update(&name, directory, present),
            },
        };
        let what = format!(
            "update_n {arg:?} form {} len {len} on {directory} {present}",
            form % 4
        );
        self.change(&what, expect, false, |tracker| {
            // SAFETY: our tracker; `ptr` is NULL or `len` readable bytes.
            unsafe { ffi::nt_update_n(tracker, ptr, len, directory, present) }
        });
    }

    /// nt_is_active_n, nt_active_directories_n or nt_pick_directory_n (selector `% 3`; bits
    /// 2-3: the capacity for directories).
    fn query_n(&self) {
        self.count(|c| c.length_calls += 1);
        let selector = self.byte();
        let (arg, form) = (self.nick_arg(), self.byte());
        let (buffer, len) = self.nick_bytes(arg, form);
        let ptr: *const c_char = buffer
            .as_ref()
            .map_or(std::ptr::null(), |b| b.as_ptr().cast());
        let checked = expect_bytes(buffer.as_deref());
        let tracker = self.ptr();
        let what = format!(
            "query_n {} {arg:?} form {} len {len}",
            selector % 3,
            form % 4
        );
        self.note(|| what.clone());
        match selector % 3 {
            0 => {
                let sentinel = selector & 0x80 != 0;
                let mut active = sentinel;
                // SAFETY: our tracker; `ptr` NULL or `len` readable bytes; writable output.
                let status = unsafe { ffi::nt_is_active_n(tracker, ptr, len, &mut active) };
                self.returned(&what, status);
                match checked {
                    Err(expected) => {
                        ensure!(
                            status == expected,
                            "{what}: status {status}, expected {expected}"
                        );
                        ensure!(active == sentinel, "{what}: output written");
                    }
                    Ok(name) => {
                        let expected = self.model.borrow().is_active(&name);
                        ensure!(
                            status == ffi::OK && active == expected,
                            "{what}: {active} ({status})"
                        );
                    }
                }
            }
            1 => {
                let capacity = usize::from(selector >> 2) % 4;
                let mut directories = [UNTOUCHED; 4];
                let mut out_len = UNTOUCHED as usize;
                // SAFETY: as above; `capacity` <= 4 writable slots.
                let status = unsafe {
                    ffi::nt_active_directories_n(
                        tracker,
                        ptr,
                        len,
                        directories.as_mut_ptr(),
                        capacity,
                        &mut out_len,
                    )
                };
                self.returned(&what, status);
                match checked {
                    Err(expected) => {
                        ensure!(
                            status == expected,
                            "{what}: status {status}, expected {expected}"
                        );
                        ensure!(out_len == UNTOUCHED as usize, "{what}: length written");
                    }
                    Ok(name) => {
                        let expected = self.model.borrow().active_directories(&name);
                        ensure!(
                            out_len == expected.len(),
                            "{what}: length {out_len}, expected {expected:?}"
                        );
                        if expected.len() > capacity {
                            ensure!(status == ffi::BUFFER_TOO_SMALL, "{what}: status {status}");
                            ensure!(directories == [UNTOUCHED; 4], "{what}: buffer written");
                        } else {
                            ensure!(
                                status == ffi::OK && directories[..out_len] == expected[..],
                                "{what}: {directories:?} ({status}), expected {expected:?}"
                            );
                        }
                    }
                }
            }
            _ => {
                self.count(|c| c.picks += 1);
                let mut picked = UNTOUCHED;
                // SAFETY: as above; writable output.
                let status = unsafe { ffi::nt_pick_directory_n(tracker, ptr, len, &mut picked) };
                self.returned(&what, status);
                let expected = checked.map(|name| self.model.borrow_mut().pick_directory(&name));
                match expected {
                    Err(expected) => {
                        ensure!(
                            status == expected,
                            "{what}: status {status}, expected {expected}"
                        );
                        ensure!(picked == UNTOUCHED, "{what}: output written");
                    }
                    Ok(Pick::NotActive) => {
                        ensure!(status == ffi::NICK_NOT_ACTIVE, "{what}: status {status}");
                        ensure!(picked == UNTOUCHED, "{what}: output written");
                    }
                    Ok(pick) => {
                        ensure!(
                            status == ffi::OK && pick.allows(Some(picked)),
                            "{what}: picked {picked} ({status}), expected {pick:?}"
                        );
                        self.picked(arg, &pick, picked);
                    }
                }
            }
        }
    }

    /// nt_active_nicks_packed with a buffer shaped by the selector, against the model.
    fn active_nicks_packed(&self) {
        self.count(|c| c.packed_active_nicks += 1);
        let selector = self.byte();
        let mut expected = Vec::new();
        for nick in self.model.borrow().active_nicks() {
            expected.extend_from_slice(nick.as_bytes());
            expected.push(0);
        }
        let tracker = self.ptr();
        self.packed_output(
            "nt_active_nicks_packed",
            selector,
            &expected,
            false,
            |out, capacity, len| {
                // SAFETY: our tracker; `out` NULL or `capacity` writable bytes; `len` NULL or
                // writable.
                unsafe { ffi::nt_active_nicks_packed(tracker, out, capacity, len) }
            },
        );
    }

    /// nt_departed_nicks with a buffer shaped by the selector, against the model.
    fn departed_query(&self) {
        self.count(|c| c.departures_checked += 1);
        let selector = self.byte();
        let expected = self.departed.borrow().clone();
        self.packed_output(
            "nt_departed_nicks",
            selector,
            &expected,
            false,
            |out, capacity, len| {
                // SAFETY: `out` NULL or `capacity` writable bytes; `len` NULL or writable.
                unsafe { ffi::nt_departed_nicks(out, capacity, len) }
            },
        );
    }

    /// A call that writes packed nicks (`expected`) with the two-call pattern. Selector `% 5`:
    /// 0 NULL with capacity 0, then exactly the length; 1 one byte too small; 2 eight bytes
    /// to spare; 3 a NULL buffer with a capacity; 4 a NULL length.
    fn packed_output(
        &self,
        what: &str,
        selector: u8,
        expected: &[u8],
        any_order: bool,
        call: impl Fn(*mut c_char, usize, *mut usize) -> u32,
    ) {
        let same = |actual: &[u8]| match any_order {
            true => sorted_packed(actual) == sorted_packed(expected),
            false => actual == expected,
        };
        let needed = expected.len();
        let what = format!("{what} shape {}", selector % 5);
        self.note(|| format!("{what}: expecting {:?}", String::from_utf8_lossy(expected)));
        let mut len = UNTOUCHED as usize;
        match selector % 5 {
            0 => {
                let status = call(std::ptr::null_mut(), 0, &mut len);
                self.returned(&what, status);
                let expected_status = if needed == 0 {
                    ffi::OK
                } else {
                    ffi::BUFFER_TOO_SMALL
                };
                ensure!(
                    status == expected_status && len == needed,
                    "{what}: {status}, {len}"
                );
                let mut buffer = vec![0xAAu8; needed].into_boxed_slice();
                let status = call(buffer.as_mut_ptr().cast(), needed, &mut len);
                self.returned(&what, status);
                ensure!(
                    status == ffi::OK && len == needed && same(&buffer),
                    "{what}: {:?} ({status}), expected {:?}",
                    String::from_utf8_lossy(&buffer),
                    String::from_utf8_lossy(expected)
                );
            }
            1 | 2 => {
                let capacity = match selector % 5 {
                    1 => needed.saturating_sub(1),
                    _ => needed + 8,
                };
                let mut buffer = vec![0xAAu8; capacity].into_boxed_slice();
                let status = call(buffer.as_mut_ptr().cast(), capacity, &mut len);
                self.returned(&what, status);
                ensure!(len == needed, "{what}: length {len}, expected {needed}");
                if needed > capacity {
                    ensure!(status == ffi::BUFFER_TOO_SMALL, "{what}: status {status}");
                    ensure!(buffer.iter().all(|&b| b == 0xAA), "{what}: buffer written");
                } else {
                    ensure!(
                        status == ffi::OK
                            && same(&buffer[..needed])
                            && buffer[needed..].iter().all(|&b| b == 0xAA),
                        "{what}: {buffer:?} ({status}), expected {expected:?}"
                    );
                }
            }
            3 => {
                let status = call(
                    std::ptr::null_mut(),
                    1 + usize::from(selector >> 3),
                    &mut len,
                );
                self.returned(&what, status);
                ensure!(status == ffi::NULL_ARGUMENT, "{what}: status {status}");
                ensure!(len == UNTOUCHED as usize, "{what}: length written");
            }
            _ => {
                let mut buffer = vec![0xAAu8; needed + 1].into_boxed_slice();
                let status = call(buffer.as_mut_ptr().cast(), needed + 1, std::ptr::null_mut());
                self.returned(&what, status);
                ensure!(status == ffi::NULL_ARGUMENT, "{what}: status {status}");
                ensure!(buffer.iter().all(|&b| b == 0xAA), "{what}: buffer written");
            }
        }
    }

    // ----- the 0.3 presence calls -----

    /// nt_peerlist_begin(directory).
    fn begin_peerlist(&self) {
        let directory = self.directory();
        self.begin_at(directory);
    }

    fn begin_at(&self, directory: DirectoryId) {
        let outcome = self.model.borrow_mut().begin_peerlist(directory);
        let what = format!("peerlist_begin {directory}");
        let status = self.change(&what, Expect::Model { outcome }, false, |tracker| {
            // SAFETY: our tracker.
            unsafe { ffi::nt_peerlist_begin(tracker, directory) }
        });
        if status == ffi::OK {
            self.count(|c| c.snapshots_begun += 1);
            self.chunks.borrow_mut().insert(directory, Vec::new());
        }
    }

    /// nt_peerlist_add: a directory, then a chunk ([`Harness::packed_arg`]).
    fn add_chunk(&self) {
        let directory = self.directory();
        let packed = self.packed_arg();
        self.add_packed(directory, packed);
    }

    fn add_packed(&self, directory: DirectoryId, packed: PackedArg) {
        let open = self
            .model
            .borrow()
            .directory_stats(directory)
            .is_some_and(|stats| stats.snapshot_open);
        let expect = match &packed.checked {
            // "NT_STATUS_NO_SNAPSHOT if no peerlist is open on `directory`, and otherwise the
            // errors of nt_sync_peerlist_packed()": which comes first is not said.
            Err(status) if !open => Expect::RejectedAny(vec![*status, ffi::NO_SNAPSHOT]),
            Err(status) => Expect::Rejected(*status),
            Ok(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let outcome = self
                    .model
                    .borrow_mut()
                    .add_peerlist_chunk(directory, &names);
                Expect::Model { outcome }
            }
        };
        let what = format!("peerlist_add {directory} {}", packed.describe());
        let (pointer, len) = (packed.pointer, packed.len);
        let status = self.change(&what, expect, false, |tracker| {
            // SAFETY: our tracker; `pointer` is NULL, or `len` readable bytes, or `len` is a
            // length the header says is refused before anything is read.
            unsafe { ffi::nt_peerlist_add(tracker, directory, pointer, len) }
        });
        if let Ok(names) = packed.checked
            && (status == ffi::OK || status == ffi::CALLBACK_FAILED)
        {
            self.count(|c| c.chunks_added += 1);
            let mut chunks = self.chunks.borrow_mut();
            chunks.entry(directory).or_default().extend(names);
        }
    }

    /// nt_peerlist_commit(directory, flag: a count output or NULL).
    fn commit_peerlist(&self) {
        let directory = self.directory();
        let with_count = self.flag();
        self.commit_at(directory, with_count);
    }

    fn commit_at(&self, directory: DirectoryId, with_count: bool) {
        let outcome = self.model.borrow_mut().commit_peerlist(directory);
        let leaves = outcome.as_ref().map_or(0, |events| events.len());
        let mut gone = UNTOUCHED as usize;
        let out: *mut usize = match with_count {
            true => &mut gone,
            false => std::ptr::null_mut(),
        };
        let what = format!("peerlist_commit {directory}");
        let status = self.change(&what, Expect::Model { outcome }, true, |tracker| {
            // SAFETY: our tracker; `out` is NULL or a writable usize.
            unsafe { ffi::nt_peerlist_commit(tracker, directory, out) }
        });
        self.check_gone_count(&what, status, with_count, gone, leaves);
        if status == ffi::OK || status == ffi::CALLBACK_FAILED {
            if leaves > 0 {
                self.count(|c| c.commits_with_leaves += 1);
            }
            let listed = self.chunks.borrow_mut().remove(&directory);
            self.sent
                .borrow_mut()
                .insert(directory, listed.unwrap_or_default());
        }
    }

    /// The count output of a call that reports how many left: written (with the number of
    /// leaves) if the call succeeded, untouched if it was refused.
    fn check_gone_count(
        &self,
        what: &str,
        status: u32,
        with_count: bool,
        gone: usize,
        leaves: usize,
    ) {
        if !with_count {
            return;
        }
        if status == ffi::OK || status == ffi::CALLBACK_FAILED {
            ensure!(
                gone == leaves,
                "{what}: gone count {gone}, expected {leaves}"
            );
        } else {
            ensure!(
                gone == UNTOUCHED as usize,
                "{what}: gone count written on failure"
            );
        }
    }

    /// nt_peerlist_abort(directory).
    fn abort_peerlist(&self) {
        let directory = self.directory();
        let outcome = self.model.borrow_mut().abort_peerlist(directory);
        let what = format!("peerlist_abort {directory}");
        let status = self.change(&what, Expect::Model { outcome }, false, |tracker| {
            // SAFETY: our tracker.
            unsafe { ffi::nt_peerlist_abort(tracker, directory) }
        });
        if status == ffi::OK {
            self.count(|c| c.aborts += 1);
            self.chunks.borrow_mut().remove(&directory);
        }
    }

    /// nt_update_batch: a directory, a shape byte, then per entry a nick argument (NULL
    /// becomes an empty entry) and a byte passed as its `present` flag (0 gone, any other
    /// value present). Shape: `% 6` entries; `(shape >> 3) % 8` the damage: 0-3 none, 4 a
    /// count one more than the nicks (with as many flags), 5 one fewer (or 2 for none), 6 a
    /// NULL `nicks` (bit 6) or `present`, 7 no final NUL; bit 7: empty buffers are NULL.
    fn update_batch(&self) {
        let directory = self.directory();
        let shape = self.byte();
        let entries = usize::from(shape % 6);
        let damage = (shape >> 3) % 8;
        let mut bytes = Vec::new();
        let mut flags = Vec::new();
        let mut args = Vec::new();
        for _ in 0..entries {
            let arg = self.nick_arg();
            bytes.extend_from_slice(self.nicks.bytes(arg).unwrap_or(b""));
            bytes.push(0);
            flags.push(self.byte());
            args.push(arg);
        }
        match damage {
            4 => flags.push(1),
            5 if flags.is_empty() => flags.extend([1, 1]),
            5 => drop(flags.pop()),
            7 => drop(bytes.pop()),
            _ => {}
        }
        if damage >= 4 {
            self.count(|c| c.damaged_batches += 1);
        }
        let count = flags.len();
        let empty_null = shape & 0x80 != 0;
        let null_nicks = damage == 6 && shape & 0x40 != 0;
        let null_present = damage == 6 && shape & 0x40 == 0;
        let packed = PackedArg::new(bytes, None, empty_null);
        let (nicks, len) = match null_nicks {
            true => (std::ptr::null(), packed.len.max(1)),
            false => (packed.pointer, packed.len),
        };
        // Exactly `count` flags, so an over-read is out of bounds.
        let flags = flags.into_boxed_slice();
        let present: *const u8 = if null_present || (flags.is_empty() && empty_null) {
            std::ptr::null()
        } else {
            flags.as_ptr()
        };
        // Every error that applies; the header does not say which one is reported.
        let mut errors = Vec::new();
        let checked = match null_nicks {
            true => Err(ffi::NULL_ARGUMENT),
            false => packed.checked.clone(),
        };
        match &checked {
            Err(status) => errors.push(*status),
            Ok(names) if names.len() != count => errors.push(ffi::INVALID_ARGUMENT),
            Ok(_) => {}
        }
        if count > 0 && present.is_null() {
            errors.push(ffi::NULL_ARGUMENT);
        }
        let what = format!(
            "update_batch {directory} {args:?} {} flags={flags:?} count={count} present_null={}",
            packed.describe(),
            present.is_null()
        );
        let expect = match checked {
            Ok(names) if errors.is_empty() => {
                let reports: Vec<(&str, bool)> = names
                    .iter()
                    .zip(flags.iter())
                    .map(|(name, &flag)| (name.as_str(), flag != 0))
                    .collect();
                let outcome = self.model.borrow_mut().apply_reports(directory, &reports);
                if outcome.as_ref().is_ok_and(|events| !events.is_empty()) {
                    self.count(|c| c.batches_with_events += 1);
                }
                Expect::Model { outcome }
            }
            _ => Expect::RejectedAny(errors),
        };
        self.change(&what, expect, true, |tracker| {
            // SAFETY: our tracker; `nicks` is NULL or `len` readable bytes, `present` NULL or
            // `count` readable bytes.
            unsafe { ffi::nt_update_batch(tracker, directory, nicks, len, present, count) }
        });
    }

    /// Moves the fake clock (a no-op with the system's), by a byte: `% 8 == 7` back by
    /// `byte / 8 + 1` ms (calls that read the clock are then refused until it has caught up),
    /// 6 forward by `byte / 8` seconds, otherwise forward by `byte / 8` ms.
    fn move_clock(&self) {
        let step = self.byte();
        if !self.setup.get().fake_clock {
            return;
        }
        let now = self.clock_ms.get();
        let next = match step % 8 {
            7 => now.saturating_sub(u64::from(step / 8) + 1),
            6 => now.saturating_add(u64::from(step / 8) * 1000),
            _ => now.saturating_add(u64::from(step / 8)),
        };
        if next < now {
            self.count(|c| c.clock_moves_back += 1);
        }
        self.note(|| format!("clock {now} -> {next} ms"));
        self.clock_ms.set(next);
        self.model.borrow_mut().set_time(next);
    }

    /// nt_expire(flag: a count output or NULL).
    fn expire(&self) {
        let with_count = self.flag();
        let outcome = self.model.borrow_mut().expire();
        let leaves = outcome.as_ref().map_or(0, |events| events.len());
        let mut gone = UNTOUCHED as usize;
        let out: *mut usize = match with_count {
            true => &mut gone,
            false => std::ptr::null_mut(),
        };
        let what = format!("expire at {} ms", self.clock_ms.get());
        let status = self.change(&what, Expect::Expired { outcome }, true, |tracker| {
            // SAFETY: our tracker; `out` is NULL or a writable usize.
            unsafe { ffi::nt_expire(tracker, out) }
        });
        self.check_gone_count(&what, status, with_count, gone, leaves);
        if leaves > 0 && (status == ffi::OK || status == ffi::CALLBACK_FAILED) {
            self.count(|c| c.expiries_with_leaves += 1);
        }
    }

    /// nt_last_seen / nt_last_seen_anywhere: selector `% 4` (0 one pair, 1 one pair with a
    /// NULL output, 2 anywhere, 3 anywhere with a NULL output), a nick, a directory.
    fn last_seen_query(&self) {
        let selector = self.byte() % 4;
        let (nick, directory) = (self.nick_arg(), self.directory());
        let anywhere = selector >= 2;
        let null_out = selector % 2 == 1;
        let expected = self.nicks.expect(nick).and_then(|name| match null_out {
            true => Err(ffi::NULL_ARGUMENT),
            false => Ok(name),
        });
        let ptr = self.nicks.ptr(nick);
        let mut seen = UNTOUCHED;
        let out: *mut u64 = match null_out {
            true => std::ptr::null_mut(),
            false => &mut seen,
        };
        let what = format!("last_seen {nick:?} on {directory} anywhere={anywhere} null={null_out}");
        let status = match anywhere {
            // SAFETY: our tracker; `ptr` per NickArg; `out` NULL or writable.
            true => unsafe { ffi::nt_last_seen_anywhere(self.ptr(), ptr, out) },
            // SAFETY: as above.
            false => unsafe { ffi::nt_last_seen(self.ptr(), ptr, directory, out) },
        };
        self.returned(&what, status);
        self.note(|| format!("{what}: status {status}, {seen}"));
        match expected {
            Err(expected) => ensure!(
                status == expected && seen == UNTOUCHED,
                "{what}: status {status}, {seen}; expected {expected}"
            ),
            Ok(name) => {
                let model = self.model.borrow();
                let expected = match anywhere {
                    true => model.last_seen_anywhere(&name),
                    false => model.last_seen(&name, directory),
                };
                drop(model);
                self.check_last_seen(|| what.clone(), status, seen, expected);
            }
        }
    }

    /// A last-seen answer: NOT_FOUND (output untouched) or the model's time (with the
    /// system's clock, any time).
    fn check_last_seen(
        &self,
        what: impl Fn() -> String,
        status: u32,
        seen: u64,
        expected: Option<u64>,
    ) {
        self.count(|c| c.last_seen_checked += 1);
        match expected {
            None => ensure!(
                status == ffi::NOT_FOUND && seen == UNTOUCHED,
                "{}: status {status}, {seen}; expected NOT_FOUND",
                what()
            ),
            Some(expected) => ensure!(
                status == ffi::OK && (seen == expected || !self.setup.get().fake_clock),
                "{}: status {status}, {seen} ms; expected {expected} ms",
                what()
            ),
        }
    }

    /// The per-directory view: selector `% 4` and a directory. 0 nt_directories with the
    /// buffer shaped by `(selector >> 2) % 5` (as for [`Harness::packed_output`]), 1
    /// nt_get_directory_stats (bit 2: a NULL output), 2 nt_for_each_directory_nick with a
    /// re-entrant visitor (bit 2: a NULL visitor), 3 nt_directory_nicks_packed, shaped by
    /// `(selector >> 2) % 5`.
    fn directory_view(&self) {
        self.count(|c| c.directory_views += 1);
        let selector = self.byte();
        let directory = self.directory();
        match selector % 4 {
            0 => self.quietly("nt_directories", || self.directories_query(selector >> 2)),
            1 => self.quietly("nt_get_directory_stats", || {
                self.directory_stats_query(directory, selector & 4 != 0)
            }),
            2 => self.for_each_directory_nick(directory, selector & 4 != 0),
            _ => self.quietly("nt_directory_nicks_packed", || {
                self.directory_nicks_query(directory, selector >> 2)
            }),
        }
    }

    /// nt_directory_nicks_packed(directory) with a buffer shaped by `shape % 5` (see
    /// `packed_output`), against the model (in any order).
    fn directory_nicks_query(&self, directory: DirectoryId, shape: u8) {
        let tracker = self.ptr();
        let what = format!("nt_directory_nicks_packed {directory}");
        let expected = self.model.borrow().directory_nicks(directory);
        let Some(expected) = expected else {
            let mut len = UNTOUCHED as usize;
            let mut buffer = [0xAAu8; 4];
            // SAFETY: our tracker; 4 writable bytes; a writable length.
            let status = unsafe {
                ffi::nt_directory_nicks_packed(
                    tracker,
                    directory,
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                    &mut len,
                )
            };
            self.returned(&what, status);
            ensure!(
                status == ffi::NOT_FOUND && len == UNTOUCHED as usize && buffer == [0xAA; 4],
                "{what}: status {status}, length {len}, for an unknown directory"
            );
            return;
        };
        self.packed_output(
            &what,
            shape,
            &pack(&expected),
            true,
            |out, capacity, len| {
                // SAFETY: our tracker; `out` NULL or `capacity` writable bytes; `len` NULL or
                // writable.
                unsafe { ffi::nt_directory_nicks_packed(tracker, directory, out, capacity, len) }
            },
        );
    }

    /// nt_directories with a buffer shaped by `shape % 5` (see `packed_output`).
    fn directories_query(&self, shape: u8) {
        let expected = self.model.borrow().known_directories();
        let needed = expected.len();
        let what = format!("nt_directories shape {}", shape % 5);
        let tracker = self.ptr();
        let call = |out: *mut u64, capacity: usize, len: *mut usize| {
            // SAFETY: our tracker; `out` NULL or `capacity` writable slots; `len` NULL or
            // writable.
            let status = unsafe { ffi::nt_directories(tracker, out, capacity, len) };
            self.returned(&what, status);
            status
        };
        let sorted = |mut directories: Vec<u64>| {
            directories.sort_unstable();
            directories
        };
        let mut len = UNTOUCHED as usize;
        match shape % 5 {
            0 => {
                let status = call(std::ptr::null_mut(), 0, &mut len);
                let expected_status = match needed {
                    0 => ffi::OK,
                    _ => ffi::BUFFER_TOO_SMALL,
                };
                ensure!(
                    status == expected_status && len == needed,
                    "{what}: {status}, {len}, expected {expected:?}"
                );
                let mut buffer = vec![UNTOUCHED; needed];
                let status = call(buffer.as_mut_ptr(), needed, &mut len);
                ensure!(
                    status == ffi::OK && len == needed && sorted(buffer.clone()) == expected,
                    "{what}: {buffer:?} ({status}), expected {expected:?}"
                );
            }
            1 | 2 => {
                let capacity = match shape % 5 {
                    1 => needed.saturating_sub(1),
                    _ => needed + 2,
                };
                let mut buffer = vec![UNTOUCHED; capacity];
                let status = call(buffer.as_mut_ptr(), capacity, &mut len);
                ensure!(len == needed, "{what}: length {len}, expected {needed}");
                if needed > capacity {
                    ensure!(status == ffi::BUFFER_TOO_SMALL, "{what}: status {status}");
                    ensure!(
                        buffer.iter().all(|&d| d == UNTOUCHED),
                        "{what}: buffer written"
                    );
                } else {
                    ensure!(
                        status == ffi::OK
                            && sorted(buffer[..needed].to_vec()) == expected
                            && buffer[needed..].iter().all(|&d| d == UNTOUCHED),
                        "{what}: {buffer:?} ({status}), expected {expected:?}"
                    );
                }
            }
            3 => {
                let status = call(std::ptr::null_mut(), 1 + usize::from(shape >> 3), &mut len);
                ensure!(
                    status == ffi::NULL_ARGUMENT && len == UNTOUCHED as usize,
                    "{what}: status {status}, length {len}"
                );
            }
            _ => {
                let mut buffer = vec![UNTOUCHED; needed + 1];
                let status = call(buffer.as_mut_ptr(), needed + 1, std::ptr::null_mut());
                ensure!(
                    status == ffi::NULL_ARGUMENT && buffer.iter().all(|&d| d == UNTOUCHED),
                    "{what}: status {status}, {buffer:?}"
                );
            }
        }
    }

    /// nt_get_directory_stats(directory), against the model.
    fn directory_stats_query(&self, directory: DirectoryId, null_out: bool) {
        let mut stats = ffi::DirectoryStats {
            nicks: UNTOUCHED as usize,
            ..ffi::DirectoryStats::default()
        };
        let untouched = stats;
        let out: *mut ffi::DirectoryStats = match null_out {
            true => std::ptr::null_mut(),
            false => &mut stats,
        };
        // SAFETY: our tracker; `out` NULL or writable.
        let status = unsafe { ffi::nt_get_directory_stats(self.ptr(), directory, out) };
        let what = || format!("nt_get_directory_stats {directory} null={null_out}");
        self.returned("nt_get_directory_stats", status);
        let expected = self.model.borrow().directory_stats(directory);
        match (null_out, expected) {
            (true, _) => ensure!(status == ffi::NULL_ARGUMENT, "{}: status {status}", what()),
            (false, None) => ensure!(
                status == ffi::NOT_FOUND && stats == untouched,
                "{}: status {status}, {stats:?} for an unknown directory",
                what()
            ),
            (false, Some(expected)) => {
                let fake_clock = self.setup.get().fake_clock;
                let time = |ms: Option<u64>, actual: u64| match fake_clock {
                    true => ms.unwrap_or(0),
                    false => actual, // the system's clock: any time
                };
                let expected = ffi::DirectoryStats {
                    nicks: expected.nicks,
                    connected: expected.connected,
                    snapshot_open: expected.snapshot_open,
                    last_peerlist_ms: time(expected.last_peerlist_at, stats.last_peerlist_ms),
                    last_report_ms: time(expected.last_report_at, stats.last_report_ms),
                    peerlists: expected.peerlists,
                    reports: expected.reports,
                };
                ensure!(
                    status == ffi::OK && stats == expected,
                    "{}: {stats:?} ({status}), model {expected:?}",
                    what()
                );
            }
        }
    }

    /// nt_for_each_directory_nick with a visitor that checks each nick against the model's
    /// list for the directory at the call (in any order) and may re-enter the tracker, as
    /// the visitor of nt_for_each_active_nick does (same rules: see `for_each_reentrant`).
    fn for_each_directory_nick(&self, directory: DirectoryId, null_visitor: bool) {
        let expected = self.model.borrow().directory_nicks(directory);
        let what = format!("for_each_directory_nick {directory} null={null_visitor}");
        self.note(|| format!("{what}: expecting {expected:?}"));
        if null_visitor || expected.is_none() {
            let visitor: ffi::NickCallback = match null_visitor {
                true => None,
                false => Some(visit_directory),
            };
            let calls = self.counters.get().callbacks;
            // SAFETY: our tracker; a visitor (or NULL) valid with the user data (self).
            let status = unsafe {
                ffi::nt_for_each_directory_nick(self.ptr(), directory, visitor, self.user_data())
            };
            self.returned(&what, status);
            let allowed: &[u32] = match (null_visitor, expected.is_some()) {
                (true, true) => &[ffi::NULL_ARGUMENT],
                (true, false) => &[ffi::NULL_ARGUMENT, ffi::NOT_FOUND],
                _ => &[ffi::NOT_FOUND],
            };
            ensure!(
                allowed.contains(&status),
                "{what}: status {status}, expected one of {allowed:?}"
            );
            ensure!(
                self.counters.get().callbacks == calls,
                "{what}: a refused call visited"
            );
            return;
        }
        self.count(|c| c.directory_visits += 1);
        self.directory_visits
            .borrow_mut()
            .push(expected.unwrap_or_default());
        let outermost = !self.delivering.get();
        if outermost {
            self.begin_outermost();
        }
        // SAFETY: our tracker; the visitor and user data (self) are valid for the call.
        let status = unsafe {
            ffi::nt_for_each_directory_nick(
                self.ptr(),
                directory,
                Some(visit_directory),
                self.user_data(),
            )
        };
        let callback_failed = outermost && self.end_outermost(&what, status);
        let rest = self.directory_visits.borrow_mut().pop().expect("ours");
        self.returned(&what, status);
        if outermost {
            self.check_after_outermost(&what);
        }
        let expected = match callback_failed {
            true => ffi::CALLBACK_FAILED,
            false => ffi::OK,
        };
        ensure!(
            status == expected,
            "{what}: status {status}, expected {expected}"
        );
        ensure!(rest.is_empty(), "{what}: nicks not visited: {rest:?}");
    }

    /// A long peerlist (33 to ~120 nicks), as directories send them: a directory, a shape
    /// byte, then what the kind needs. Kind `shape % 6`: 0 a fresh run of generated nicks
    /// (base byte, length byte: 33 + `% 88` nicks), 1 the directory's last list unchanged,
    /// 2 it grown by a run (base, length: 1 + `% 48`), 3 it reversed, 4 another directory's
    /// last list (directory byte), 5 a run (base, length: 1 + `% 48`) inserted into it at a
    /// position (byte). Sent (`shape / 6 % 3`) as an array (nt_sync_peerlist), packed
    /// (nt_sync_peerlist_packed), or in chunks of 1 + `% 32` nicks (a byte) between
    /// nt_peerlist_begin and nt_peerlist_commit, each call checked on its own.
    ///
    /// A run's base byte: `% 16` names it (runs of the same base share their nicks), bit 7
    /// puts the seven usual nicks first.
    fn long_peerlist(&self) {
        self.count(|c| c.long_peerlists += 1);
        let directory = self.directory();
        let shape = self.byte();
        let last = |directory| {
            let sent = self.sent.borrow();
            sent.get(&directory).cloned().unwrap_or_default()
        };
        let run = |base: u8, len: usize| -> Vec<String> {
            let mut names: Vec<String> = match base & 0x80 != 0 {
                true => self.nicks.names().map(str::to_owned).collect(),
                false => Vec::new(),
            };
            names.extend((0..len).map(|i| format!("J5run{:x}n{i}", base % 16)));
            names
        };
        let names = match shape % 6 {
            0 => {
                let base = self.byte();
                run(base, 33 + usize::from(self.byte()) % 88)
            }
            1 => last(directory),
            2 => {
                let mut names = last(directory);
                let base = self.byte();
                names.extend(run(base, 1 + usize::from(self.byte()) % 48));
                names
            }
            3 => {
                let mut names = last(directory);
                names.reverse();
                names
            }
            4 => last(self.directory()),
            _ => {
                let mut names = last(directory);
                let base = self.byte();
                let inserted = run(base, 1 + usize::from(self.byte()) % 48);
                let at = usize::from(self.byte()) % (names.len() + 1);
                names.splice(at..at, inserted);
                names
            }
        };
        match (shape / 6) % 3 {
            0 => self.send_list("long sync", directory, names, false),
            1 => self.send_list("long sync", directory, names, true),
            _ => {
                let size = 1 + usize::from(self.byte()) % 32;
                self.begin_at(directory);
                for chunk in names.chunks(size) {
                    self.add_packed(directory, PackedArg::of(chunk));
                }
                self.commit_at(directory, true);
            }
        }
    }

    /// The 0.3 calls with a NULL tracker (selector `% 16`: 0-11, each function once), and
    /// other odd arguments: 12 a second tracker with version 2 options and the system's clock,
    /// 13 version 2 options with an unknown pick mode (refused), 14 nt_update_batch with a
    /// count larger than any array can be, 15 nt_peerlist_add with such a length.
    fn odd_presence_call(&self) {
        let selector = self.byte() % 16;
        let null = std::ptr::null_mut::<ffi::Tracker>();
        let nick = self.nicks.ptr(NickArg::Valid(0));
        let mut out_u64 = UNTOUCHED;
        let mut out_usize = UNTOUCHED as usize;
        let mut stats = ffi::DirectoryStats::default();
        let mut buffer = [0xAAu8; 8];
        let flags = [1u8];
        let what = format!("odd presence call {selector}");
        let (status, expected) = match selector {
            // SAFETY: every call gets a NULL tracker, which the header says is reported; the
            // other arguments are valid.
            0..=11 => unsafe {
                let status = match selector {
                    0 => ffi::nt_peerlist_begin(null, 1),
                    1 => ffi::nt_peerlist_add(null, 1, c"a".as_ptr(), 2),
                    2 => ffi::nt_peerlist_commit(null, 1, &mut out_usize),
                    3 => ffi::nt_peerlist_abort(null, 1),
                    4 => ffi::nt_update_batch(null, 1, c"a".as_ptr(), 2, flags.as_ptr(), 1),
                    5 => ffi::nt_expire(null, &mut out_usize),
                    6 => ffi::nt_last_seen(null, nick, 1, &mut out_u64),
                    7 => ffi::nt_last_seen_anywhere(null, nick, &mut out_u64),
                    8 => ffi::nt_get_directory_stats(null, 1, &mut stats),
                    9 => ffi::nt_for_each_directory_nick(
                        null,
                        1,
                        Some(visit_directory),
                        self.user_data(),
                    ),
                    10 => ffi::nt_directory_nicks_packed(
                        null,
                        1,
                        buffer.as_mut_ptr().cast(),
                        buffer.len(),
                        &mut out_usize,
                    ),
                    _ => ffi::nt_directories(null, &mut out_u64, 1, &mut out_usize),
                };
                (status, ffi::NULL_ARGUMENT)
            },
            12 => return self.second_tracker_v2(),
            13 => {
                let mut options = default_options_v2();
                options.pick_mode = ffi::PICK_MODES + u32::from(self.byte() % 4);
                let sentinel = std::ptr::dangling_mut::<ffi::Tracker>();
                let mut out = sentinel;
                // SAFETY: a readable version 2 nt_options and a writable out pointer.
                let status = unsafe {
                    ffi::nt_new_with_options(std::ptr::from_ref(&options).cast(), &mut out)
                };
                ensure!(out == sentinel, "{what}: output written on failure");
                (status, ffi::INVALID_ARGUMENT)
            }
            14 => (
                // SAFETY: our tracker; a count the header says is refused before anything is
                // read (larger than any array can be).
                unsafe {
                    ffi::nt_update_batch(
                        self.ptr(),
                        1,
                        c"a".as_ptr(),
                        2,
                        flags.as_ptr(),
                        isize::MAX as usize + 1,
                    )
                },
                ffi::INVALID_ARGUMENT,
            ),
            _ => {
                // The length is refused before anything is read; without an open peerlist,
                // which of the two errors comes first is not said.
                let open = self
                    .model
                    .borrow()
                    .directory_stats(1)
                    .is_some_and(|stats| stats.snapshot_open);
                // SAFETY: our tracker; a length the header says is refused before anything
                // is read.
                let status =
                    unsafe { ffi::nt_peerlist_add(self.ptr(), 1, c"a".as_ptr(), usize::MAX) };
                self.returned(&what, status);
                let allowed: &[u32] = match open {
                    true => &[ffi::INVALID_ARGUMENT],
                    false => &[ffi::INVALID_ARGUMENT, ffi::NO_SNAPSHOT],
                };
                ensure!(allowed.contains(&status), "{what}: status {status}");
                return;
            }
        };
        self.returned(&what, status);
        self.note(|| format!("{what}: status {status}"));
        ensure!(
            status == expected,
            "{what}: status {status}, expected {expected}"
        );
        ensure!(
            out_u64 == UNTOUCHED
                && out_usize == UNTOUCHED as usize
                && stats == ffi::DirectoryStats::default()
                && buffer == [0xAA; 8],
            "{what}: output written on failure"
        );
    }

    /// A second tracker from version 2 options with the system's clock (NULL) and expiry
    /// options: a report, its time (any), an expiry that finds nothing due, nt_free.
    fn second_tracker_v2(&self) {
        let what = "second tracker (version 2, the system's clock)";
        let mut options = default_options_v2();
        options.presence_ttl_ms = u64::MAX;
        options.gone_grace_ms = 1 << 40;
        options.disconnected_hold_ms = u64::MAX / 2;
        let mut tracker = std::ptr::null_mut();
        // SAFETY: valid options (no callbacks) and a writable out pointer.
        let status =
            unsafe { ffi::nt_new_with_options(std::ptr::from_ref(&options).cast(), &mut tracker) };
        self.returned(what, status);
        ensure!(status == ffi::OK && !tracker.is_null(), "{what}: {status}");
        let mut seen = UNTOUCHED;
        let mut gone = UNTOUCHED as usize;
        // SAFETY: the tracker just created, C strings, writable outputs.
        let statuses = unsafe {
            [
                ffi::nt_mark_present(tracker, c"alice".as_ptr(), 7),
                ffi::nt_mark_gone(tracker, c"alice".as_ptr(), 7),
                ffi::nt_last_seen(tracker, c"alice".as_ptr(), 7, &mut seen),
                ffi::nt_expire(tracker, &mut gone),
            ]
        };
        // SAFETY: created above, used by nothing else.
        unsafe { ffi::nt_free(tracker) };
        // nt_expire reports departures: the thread's list is now its (empty) one.
        if statuses[3] == ffi::OK {
            self.departed.borrow_mut().clear();
        }
        // The gone report is held back for its grace period: alice is still there.
        ensure!(
            statuses == [ffi::OK; 4] && seen != UNTOUCHED && gone == 0,
            "{what}: {statuses:?}, seen {seen}, gone {gone}"
        );
    }

    /// nt_report_callback_error and nt_take_callback_error as an operation (selector `% 4`):
    /// 0 report an error (refused outside a callback; inside one, as a callback would),
    /// 1 report 0, 2 report with a NULL tracker, 3 take (there is nothing to take).
    fn callback_error_calls(&self) {
        let selector = self.byte() % 4;
        let what = format!("callback error call {selector}");
        let (status, expected) = match selector {
            0 if self.delivering.get() => return self.report_error(),
            0 => (
                // SAFETY: our tracker.
                unsafe { ffi::nt_report_callback_error(self.ptr(), 0x5EED) },
                ffi::INVALID_ARGUMENT,
            ),
            1 => (
                // SAFETY: our tracker.
                unsafe { ffi::nt_report_callback_error(self.ptr(), 0) },
                ffi::INVALID_ARGUMENT,
            ),
            2 => (
                // SAFETY: a NULL tracker, which the header says is reported.
                unsafe { ffi::nt_report_callback_error(std::ptr::null(), 0x5EED) },
                ffi::NULL_ARGUMENT,
            ),
            _ => {
                let taken = ffi_take_callback_error();
                ensure!(taken == 0, "{what}: took {taken:#x}");
                return;
            }
        };
        self.returned(&what, status);
        self.note(|| format!("{what}: status {status}"));
        ensure!(
            status == expected,
            "{what}: status {status}, expected {expected}"
        );
    }

    fn pick(&self) {
        self.count(|c| c.picks += 1);
        let nick = self.nick_arg();
        let null_out = self.byte().is_multiple_of(8);
        let mut picked = UNTOUCHED;
        let out: *mut u64 = if null_out {
            std::ptr::null_mut()
        } else {
            &mut picked
        };
        let expected = match self.nicks.expect(nick) {
            Err(status) => Err(status),
            Ok(_) if null_out => Err(ffi::NULL_ARGUMENT),
            Ok(name) => Ok(self.model.borrow_mut().pick_directory(&name)),
        };
        // SAFETY: our tracker; `ptr` per NickArg; `out` NULL or writable.
        let status = unsafe { ffi::nt_pick_directory(self.ptr(), self.nicks.ptr(nick), out) };
        let what = format!("pick {nick:?} null_out={null_out}");
        self.returned(&what, status);
        self.note(|| format!("{what}: status {status}, {picked}, expected {expected:?}"));
        match expected {
            Err(expected) => {
                ensure!(
                    status == expected,
                    "{what}: status {status}, expected {expected}"
                );
                ensure!(picked == UNTOUCHED, "{what}: output written on failure");
            }
            Ok(Pick::NotActive) => {
                ensure!(
                    status == ffi::NICK_NOT_ACTIVE,
                    "{what}: status {status}, expected 9"
                );
                ensure!(picked == UNTOUCHED, "{what}: output written on failure");
            }
            Ok(pick) => {
                ensure!(
                    status == ffi::OK,
                    "{what}: status {status}, expected {pick:?}"
                );
                ensure!(
                    pick.allows(Some(picked)),
                    "{what}: picked {picked}, expected {pick:?}"
                );
                self.picked(nick, &pick, picked);
            }
        }
    }

    /// Tells the model which directory a pick among several chose (sticky picks keep it).
    fn picked(&self, nick: NickArg, pick: &Pick, picked: DirectoryId) {
        let NickArg::Valid(i) = nick else { return };
        if self.setup.get().pick == PickMode::Sticky {
            self.count(|c| c.sticky_picks += 1);
        }
        if let Pick::AnyOf(_) = pick {
            let name = self.nicks.valid[i].to_str().expect("valid nicks are UTF-8");
            self.model.borrow_mut().picked(name, picked);
        }
    }

    /// Query functions with unusual arguments: NULL outputs, small buffers, bad nicks.
    fn odd_query(&self) {
        let selector = self.byte();
        let nick = self.nick_arg();
        let tracker = self.ptr();
        let ptr = self.nicks.ptr(nick);
        let checked = self.nicks.expect(nick);
        let nick_status = checked.as_ref().err().copied();
        let what = format!("odd query {} {nick:?}", selector % 8);
        match selector % 8 {
            0 => {
                // SAFETY: our tracker; nick per NickArg; NULL output.
                let status = unsafe { ffi::nt_is_active(tracker, ptr, std::ptr::null_mut()) };
                self.returned(&what, status);
                let expected = nick_status.unwrap_or(ffi::NULL_ARGUMENT);
                ensure!(
                    status == expected,
                    "{what}: status {status}, expected {expected}"
                );
            }
            1 => {
                let mut buffer = [UNTOUCHED; 4];
                // SAFETY: as above; NULL out_len.
                let status = unsafe {
                    ffi::nt_active_directories(
                        tracker,
                        ptr,
                        buffer.as_mut_ptr(),
                        4,
                        std::ptr::null_mut(),
                    )
                };
                self.returned(&what, status);
                let expected = nick_status.unwrap_or(ffi::NULL_ARGUMENT);
                ensure!(
                    status == expected,
                    "{what}: status {status}, expected {expected}"
                );
                ensure!(
                    buffer == [UNTOUCHED; 4],
                    "{what}: buffer written on failure"
                );
            }
            2 => {
                let mut len = UNTOUCHED as usize;
                let capacity = 1 + usize::from(selector >> 3) % 4;
                // SAFETY: as above; NULL buffer with a non-zero capacity.
                let status = unsafe {
                    ffi::nt_active_directories(
                        tracker,
                        ptr,
                        std::ptr::null_mut(),
                        capacity,
                        &mut len,
                    )
                };
                self.returned(&what, status);
                let expected = nick_status.unwrap_or(ffi::NULL_ARGUMENT);
                ensure!(
                    status == expected,
                    "{what}: status {status}, expected {expected}"
                );
                ensure!(
                    len == UNTOUCHED as usize,
                    "{what}: length written on failure"
                );
            }
            3 => {
                let capacity = usize::from(selector >> 3) % 4;
                let mut buffer = [UNTOUCHED; 4];
                let mut len = UNTOUCHED as usize;
                // SAFETY: as above; `capacity` <= 4 writable slots.
                let status = unsafe {
                    ffi::nt_active_directories(
                        tracker,
                        ptr,
                        buffer.as_mut_ptr(),
                        capacity,
                        &mut len,
                    )
                };
                self.returned(&what, status);
                match checked {
                    Err(expected) => {
                        ensure!(
                            status == expected,
                            "{what}: status {status}, expected {expected}"
                        );
                        ensure!(
                            len == UNTOUCHED as usize,
                            "{what}: length written on failure"
                        );
                    }
                    Ok(name) => {
                        let directories = self.model.borrow().active_directories(&name);
                        ensure!(
                            len == directories.len(),
                            "{what}: length {len}, expected {directories:?}"
                        );
                        if directories.len() > capacity {
                            ensure!(
                                status == ffi::BUFFER_TOO_SMALL,
                                "{what}: status {status}, expected 6"
                            );
                            ensure!(
                                buffer == [UNTOUCHED; 4],
                                "{what}: buffer written although too small"
                            );
                        } else {
                            ensure!(status == ffi::OK, "{what}: status {status}");
                            ensure!(
                                buffer[..len] == directories[..],
                                "{what}: {buffer:?}, expected {directories:?}"
                            );
                            ensure!(
                                buffer[len..].iter().all(|&d| d == UNTOUCHED),
                                "{what}: wrote past the length"
                            );
                        }
                    }
                }
            }
            4 => {
                // SAFETY: our tracker; NULL output.
                let status = unsafe { ffi::nt_active_nick_count(tracker, std::ptr::null_mut()) };
                self.returned(&what, status);
                ensure!(status == ffi::NULL_ARGUMENT, "{what}: status {status}");
            }
            5 => {
                // SAFETY: our tracker; NULL output.
                let status = unsafe { ffi::nt_get_stats(tracker, std::ptr::null_mut()) };
                self.returned(&what, status);
                ensure!(status == ffi::NULL_ARGUMENT, "{what}: status {status}");
            }
            6 => {
                // SAFETY: our tracker; NULL visitor.
                let status =
                    unsafe { ffi::nt_for_each_active_nick(tracker, None, std::ptr::null_mut()) };
                self.returned(&what, status);
                ensure!(status == ffi::NULL_ARGUMENT, "{what}: status {status}");
            }
            _ => {
                let mut active = false;
                let sentinel = selector & 0x80 != 0;
                active |= sentinel;
                // SAFETY: our tracker; nick per NickArg; writable output.
                let status = unsafe { ffi::nt_is_active(tracker, ptr, &mut active) };
                self.returned(&what, status);
                match checked {
                    Err(expected) => {
                        ensure!(
                            status == expected,
                            "{what}: status {status}, expected {expected}"
                        );
                        ensure!(active == sentinel, "{what}: output written on failure");
                    }
                    Ok(name) => {
                        ensure!(status == ffi::OK, "{what}: status {status}");
                        let expected = self.model.borrow().is_active(&name);
                        ensure!(active == expected, "{what}: {active}, expected {expected}");
                    }
                }
                // Static strings: never NULL, always UTF-8.
                // SAFETY: nt_status_str and nt_version return static C strings.
                let text = unsafe { CStr::from_ptr(ffi::nt_status_str(u32::from(selector))) };
                ensure!(
                    text.to_str().is_ok_and(|t| !t.is_empty()),
                    "nt_status_str({selector})"
                );
                // SAFETY: as above.
                let version = unsafe { CStr::from_ptr(ffi::nt_version()) }
                    .to_str()
                    .unwrap();
                ensure!(version.split('.').count() == 3, "nt_version {version:?}");
            }
        }
    }

    /// nt_for_each_active_nick with a visitor that checks each nick against the snapshot the
    /// model had at the call and may re-enter (and change) the tracker meanwhile.
    ///
    /// The visitor counts as a callback: at the outermost level, the events of the changes it
    /// makes are delivered after the last visit, and the errors it reports fail the call;
    /// from inside a callback, they go to the outer call.
    fn for_each_reentrant(&self) {
        let snapshot: VecDeque<String> = self.model.borrow().active_nicks().into();
        self.note(|| format!("for_each: expecting {snapshot:?}"));
        self.visits.borrow_mut().push(snapshot);
        let outermost = !self.delivering.get();
        if outermost {
            self.begin_outermost();
        }
        // SAFETY: our tracker; the visitor and user data (self) are valid for the call.
        let status =
            unsafe { ffi::nt_for_each_active_nick(self.ptr(), Some(visit), self.user_data()) };
        let callback_failed = outermost && self.end_outermost("for_each", status);
        let rest = self.visits.borrow_mut().pop().expect("our snapshot");
        self.returned("for_each", status);
        if outermost {
            self.check_after_outermost("for_each");
        }
        let expected = match callback_failed {
            true => ffi::CALLBACK_FAILED,
            false => ffi::OK,
        };
        ensure!(
            status == expected,
            "for_each: status {status}, expected {expected}"
        );
        ensure!(rest.is_empty(), "for_each: nicks not visited: {rest:?}");
    }

    /// Every tracker function with a NULL tracker and otherwise valid arguments.
    fn null_tracker(&self) {
        let selector = self.byte() % 14;
        let null = std::ptr::null_mut::<ffi::Tracker>();
        let nick = self.nicks.ptr(NickArg::Valid(0));
        let mut out_u64 = UNTOUCHED;
        let mut out_usize = UNTOUCHED as usize;
        let mut out_bool = false;
        let mut stats = ffi::Stats::default();
        // SAFETY: every call gets a NULL tracker, which the header says is reported; the
        // other arguments are valid.
        let status = unsafe {
            match selector {
                0 => ffi::nt_update(null, nick, 1, true),
                1 => ffi::nt_mark_present(null, nick, 1),
                2 => ffi::nt_mark_gone(null, nick, 1),
                3 => ffi::nt_remove_directory(null, 1, &mut out_usize),
                4 => ffi::nt_set_directory_connected(null, 1, false),
                5 => ffi::nt_sync_peerlist(null, 1, &nick, 1),
                6 => ffi::nt_sync_peerlist_packed(null, 1, c"a".as_ptr(), 2),
                7 => ffi::nt_is_active(null, nick, &mut out_bool),
                8 => ffi::nt_active_directories(null, nick, &mut out_u64, 1, &mut out_usize),
                9 => ffi::nt_pick_directory(null, nick, &mut out_u64),
                10 => ffi::nt_active_nick_count(null, &mut out_usize),
                11 => ffi::nt_get_stats(null, &mut stats),
                12 => ffi::nt_for_each_active_nick(null, Some(visit), self.user_data()),
                _ => {
                    ffi::nt_free(null);
                    ffi::NULL_ARGUMENT
                }
            }
        };
        let what = format!("NULL tracker {selector}");
        self.returned(&what, status);
        ensure!(status == ffi::NULL_ARGUMENT, "{what}: status {status}");
        ensure!(
            out_u64 == UNTOUCHED && out_usize == UNTOUCHED as usize && !out_bool,
            "{what}: output written on failure"
        );
        ensure!(
            stats == ffi::Stats::default(),
            "{what}: stats written on failure"
        );
    }

    /// nt_options_init / nt_new / nt_new_with_options with bad arguments, which must fail
    /// without writing the output, and one good creation with random options.
    fn bad_creation(&self) {
        let selector = self.byte();
        let value = self.byte();
        let sentinel = std::ptr::dangling_mut::<ffi::Tracker>();
        let mut out = sentinel;
        let mut options = default_options();
        let what = format!("creation {} {value}", selector % 9);
        // Valid options and out pointers throughout, except the one deliberately NULL.
        let (status, expected) = match selector % 9 {
            0 => (
                // SAFETY: a NULL options pointer, which the header says is reported.
                unsafe { ffi::nt_options_init(std::ptr::null_mut(), ffi::OPTIONS_VERSION) },
                ffi::NULL_ARGUMENT,
            ),
            8 => {
                // An unknown layout version: refused, and the struct is not touched.
                let version = match u32::from(value) {
                    known if ffi::KNOWN_OPTIONS_VERSIONS.contains(&known) => u32::MAX,
                    other => other,
                };
                options.max_nicks = 12345;
                // SAFETY: a writable nt_options.
                let status = unsafe { ffi::nt_options_init(&mut options, version) };
                ensure!(
                    options.max_nicks == 12345,
                    "{what}: options written on failure"
                );
                (status, ffi::INVALID_ARGUMENT)
            }
            1 => (
                // SAFETY: NULL options (reported) and a writable out pointer.
                unsafe { ffi::nt_new_with_options(std::ptr::null(), &mut out) },
                ffi::NULL_ARGUMENT,
            ),
            2 => (
                // SAFETY: valid options and a NULL out pointer (reported).
                unsafe { ffi::nt_new_with_options(&options, std::ptr::null_mut()) },
                ffi::NULL_ARGUMENT,
            ),
            3 => {
                options.version = match u32::from(value) {
                    known if ffi::KNOWN_OPTIONS_VERSIONS.contains(&known) => u32::MAX,
                    other => other,
                };
                (
                    // SAFETY: readable options and a writable out pointer.
                    unsafe { ffi::nt_new_with_options(&options, &mut out) },
                    ffi::INVALID_ARGUMENT,
                )
            }
            4 => {
                options.log_level = [0, 5, 6, u32::MAX][usize::from(value) % 4];
                (
                    // SAFETY: readable options and a writable out pointer.
                    unsafe { ffi::nt_new_with_options(&options, &mut out) },
                    ffi::INVALID_ARGUMENT,
                )
            }
            5 => {
                options.pick_mode = ffi::PICK_MODES + u32::from(value);
                (
                    // SAFETY: readable options and a writable out pointer.
                    unsafe { ffi::nt_new_with_options(&options, &mut out) },
                    ffi::INVALID_ARGUMENT,
                )
            }
            6 => (
                // SAFETY: a callback valid for the harness's lifetime and a NULL out pointer.
                unsafe { ffi::nt_new(Some(on_leave), self.user_data(), std::ptr::null_mut()) },
                ffi::NULL_ARGUMENT,
            ),
            _ => {
                // A second tracker with random options and counting callbacks: one join,
                // then nt_free, which calls nothing (no leave for the nick still active).
                let calls = Cell::new(0u32);
                options.max_nicks = usize::from(value % 4);
                options.max_directories = usize::from(value >> 4);
                options.pick_mode = u32::from(value >> 7);
                options.on_event = Some(count_event);
                options.on_leave = Some(count_leave);
                options.event_user_data = (&calls as *const Cell<u32>).cast_mut().cast();
                // SAFETY: valid options whose user data (`calls`) outlives the tracker, which
                // is freed below; a writable out pointer.
                let status = unsafe { ffi::nt_new_with_options(&options, &mut out) };
                self.returned(&what, status);
                ensure!(
                    status == ffi::OK && out != sentinel && !out.is_null(),
                    "{what}: {status}"
                );
                // SAFETY: the tracker just created and a C string.
                let status = unsafe { ffi::nt_mark_present(out, c"alice".as_ptr(), 7) };
                self.returned(&what, status);
                ensure!(
                    status == ffi::OK && calls.get() == 1,
                    "{what}: join {status}"
                );
                // SAFETY: created above, used by nothing else; `calls` outlives it.
                unsafe { ffi::nt_free(out) };
                ensure!(calls.get() == 1, "{what}: nt_free called a callback");
                return;
            }
        };
        self.returned(&what, status);
        ensure!(
            status == expected,
            "{what}: status {status}, expected {expected}"
        );
        ensure!(out == sentinel, "{what}: output written on failure");
    }

    /// nt_report_callback_error from inside a callback: kept if it is the first error of
    /// the outermost call, refused (CALLBACK_FAILED) otherwise.
    fn report_error(&self) {
        let token = 0x5EED_0000 + self.tokens.get() + 1;
        self.tokens.set(self.tokens.get() + 1);
        // SAFETY: our tracker.
        let status = unsafe { ffi::nt_report_callback_error(self.ptr(), token) };
        let what = format!("nt_report_callback_error({token:#x})");
        let expected = match self.reported.get() {
            None => ffi::OK,
            Some(_) => ffi::CALLBACK_FAILED,
        };
        self.returned(&what, status);
        self.note(|| format!("{what}: status {status}"));
        ensure!(
            status == expected,
            "{what}: status {status}, expected {expected}"
        );
        if status == ffi::OK {
            self.reported.set(Some(token));
        }
        self.count(|c| c.callback_errors_reported += 1);
    }

    /// nt_free from inside one of the tracker's callbacks: refused, the tracker stays, an
    /// ERROR log line follows the events still due.
    fn free_in_callback(&self) {
        let logs_before = self.error_logs.get();
        // SAFETY: our tracker, which the library must refuse to free here (if it did, the
        // next call would touch freed memory, which ASan, Miri or valgrind reports).
        unsafe { ffi::nt_free(self.ptr()) };
        self.failed_calls.set(self.failed_calls.get() + 1);
        self.frees_refused.set(self.frees_refused.get() + 1);
        self.count(|c| c.frees_refused_in_callbacks += 1);
        self.note(|| "nt_free in a callback (refused)".to_owned());
        ensure!(
            last_error().contains("nt_free() called from inside"),
            "nt_free in a callback: last error {:?}",
            last_error()
        );
        ensure!(
            self.error_logs.get() == logs_before,
            "nt_free in a callback: the ERROR line came at once, not after the events due"
        );
        self.check_all();
    }

    /// This thread's departures list (nt_departed_nicks), fetched with the two-call pattern.
    fn departed_nicks(&self) -> Vec<u8> {
        let mut len = UNTOUCHED as usize;
        // SAFETY: capacity 0 with a NULL buffer is allowed; a writable length.
        let status = unsafe { ffi::nt_departed_nicks(std::ptr::null_mut(), 0, &mut len) };
        self.returned("nt_departed_nicks", status);
        ensure!(
            status
                == if len == 0 {
                    ffi::OK
                } else {
                    ffi::BUFFER_TOO_SMALL
                },
            "nt_departed_nicks(capacity 0): status {status}, length {len}"
        );
        let mut buffer = vec![0u8; len];
        let mut again = UNTOUCHED as usize;
        // SAFETY: `len` writable bytes and a writable length.
        let status = unsafe { ffi::nt_departed_nicks(buffer.as_mut_ptr().cast(), len, &mut again) };
        self.returned("nt_departed_nicks", status);
        ensure!(
            status == ffi::OK && again == len,
            "nt_departed_nicks: status {status}, length {again} for {len}"
        );
        buffer
    }

    /// Compares nt_departed_nicks with the departures of the latest call that reports them.
    fn check_departed(&self, what: &str) {
        self.count(|c| c.departures_checked += 1);
        let actual = self.departed_nicks();
        let expected = self.departed.borrow().clone();
        ensure!(
            actual == expected,
            "{what}: nt_departed_nicks {:?}, expected {:?}",
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected)
        );
    }

    // ----- callbacks -----

    /// Runs a callback body: nothing after a failure, and a failure (panic) is recorded to
    /// be re-raised once the call that runs the callback returns.
    fn in_callback(&self, body: impl FnOnce()) {
        if self.failure.borrow().is_some() {
            return;
        }
        self.count(|c| c.callbacks += 1);
        // Clock readings of calls made from inside the callback are theirs, not the outer
        // call's (see `change`).
        let (reads, nested_reads) = (self.clock_reads.get(), self.nested_reads.get());
        let result = catch_unwind(AssertUnwindSafe(body));
        self.nested_reads
            .set(nested_reads + (self.clock_reads.get() - reads));
        if let Err(payload) = result {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "non-string panic".to_owned());
            *self.failure.borrow_mut() = Some(message);
        }
    }

    /// Checks one callback invocation against the next one expected of the running call.
    fn received(&self, delivery: Delivered) {
        self.note(|| format!("callback {delivery:?}"));
        ensure!(
            self.delivering.get(),
            "callback {delivery:?} outside any call that delivers"
        );
        let expected = self.queue.borrow_mut().pop_front();
        let matches = match (&expected, &delivery) {
            (
                Some(Delivered::EventOnOneOf(event, directories, seq)),
                Delivered::Event(actual, actual_seq),
            ) => {
                (event.kind, &event.nick, seq) == (actual.kind, &actual.nick, actual_seq)
                    && directories.contains(&actual.directory)
            }
            _ => expected.as_ref() == Some(&delivery),
        };
        ensure!(matches, "callback {delivery:?}, expected {expected:?}");
        if let Delivered::Event(_, seq) = delivery {
            let last = self.last_seq_delivered.replace(seq);
            ensure!(seq == last + 1, "event #{seq} delivered after #{last}");
        }
    }

    /// What a callback does besides checking what it received, decided by the next byte
    /// (`% 16`): 0-2 and 13-15 nothing, 3-4 compare everything, 5 a pick, 6-7 a nested
    /// operation (if the setup allows), 8-9 report an error, 10 try nt_free (refused), 11
    /// compare the departures list, 12 nt_take_callback_error (nothing to take here).
    fn maybe_reenter(&self) {
        let reentrancy = self.setup.get().reentrancy;
        if reentrancy == 0 {
            return;
        }
        let choice = self.byte() % 16;
        self.note(|| format!("  callback does {choice}"));
        match choice {
            0..=2 | 13..=15 => {}
            3 | 4 => {
                self.count(|c| c.nested_checks += 1);
                self.check_all();
            }
            5 => self.pick(),
            8 | 9 => self.report_error(),
            10 => self.free_in_callback(),
            11 => self.check_departed("departures in a callback"),
            12 => {
                let taken = ffi_take_callback_error();
                ensure!(
                    taken == 0,
                    "nt_take_callback_error() in a callback gave {taken:#x}"
                );
            }
            _ if reentrancy >= 2 && self.depth.get() < MAX_DEPTH => {
                self.count(|c| c.nested_operations += 1);
                self.nested.set(self.nested.get() + 1);
                self.depth.set(self.depth.get() + 1);
                self.step();
                self.check_all();
                self.depth.set(self.depth.get() - 1);
            }
            _ => self.check_all(),
        }
    }

    // ----- whole-state comparison -----

    fn stats(&self) -> ffi::Stats {
        let mut stats = ffi::Stats::default();
        // SAFETY: our tracker; writable output.
        let status = unsafe { ffi::nt_get_stats(self.ptr(), &mut stats) };
        self.returned("nt_get_stats", status);
        ensure!(status == ffi::OK, "nt_get_stats: status {status}");
        stats
    }

    fn active_nicks(&self) -> Vec<String> {
        let mut nicks: Vec<String> = Vec::new();
        // SAFETY: our tracker; `collect` only pushes onto `nicks`, alive for the call.
        let status = unsafe {
            ffi::nt_for_each_active_nick(
                self.ptr(),
                Some(collect),
                (&mut nicks as *mut Vec<String>).cast(),
            )
        };
        self.returned("nt_for_each_active_nick", status);
        ensure!(
            status == ffi::OK,
            "nt_for_each_active_nick: status {status}"
        );
        nicks
    }

    /// Compares everything observable with the model (without changing anything).
    fn check_all(&self) {
        self.quietly("whole-state check", || self.compare_all(false));
    }

    /// Runs calls that change nothing (queries), which must not log.
    fn quietly(&self, what: &str, calls: impl FnOnce()) {
        let logs_before = self.counters.get().logs;
        calls();
        ensure!(
            self.counters.get().logs == logs_before,
            "{what}: a query logged"
        );
    }

    /// Compares everything observable with the model (without changing anything): the
    /// counters, the active nicks, every directory's view and, nick by nick, activity, active
    /// directories and last-seen times. Nick by nick, a check that is not `full` covers the
    /// seven usual nicks and at most [`NICKS_PER_CHECK`] of the others the tracker holds (the
    /// names of long peerlists), taken in turn, so that long lists do not make every step
    /// cost hundreds of calls; the lists above are always whole, and a run ends with a full
    /// check.
    fn compare_all(&self, full: bool) {
        let (expected_stats, expected_active, names) = {
            let model = self.model.borrow();
            let mut names: Vec<String> = self.nicks.names().map(str::to_owned).collect();
            let usual = names.len();
            for nick in model.held_nicks() {
                if !names[..usual].contains(&nick) {
                    names.push(nick);
                }
            }
            let others = names.len() - usual;
            if !full && others > NICKS_PER_CHECK {
                let checks = self.checks.get();
                self.checks.set(checks + 1);
                let start = (checks as usize * NICKS_PER_CHECK) % others;
                let others = names.split_off(usual);
                let window = others.iter().cycle().skip(start).take(NICKS_PER_CHECK);
                names.extend(window.cloned());
            }
            let names: Vec<(String, bool, Vec<DirectoryId>)> = names
                .into_iter()
                .map(|n| {
                    let (active, dirs) = (model.is_active(&n), model.active_directories(&n));
                    (n, active, dirs)
                })
                .collect();
            (model.stats(), model.active_nicks(), names)
        };
        let stats = self.stats();
        ensure!(
            to_stats(stats) == expected_stats,
            "stats {stats:?}, model {expected_stats:?}"
        );
        let mut count = UNTOUCHED as usize;
        // SAFETY: our tracker; writable output.
        let status = unsafe { ffi::nt_active_nick_count(self.ptr(), &mut count) };
        self.returned("nt_active_nick_count", status);
        ensure!(
            status == ffi::OK && count == expected_active.len(),
            "active count {count} ({status}), model {}",
            expected_active.len()
        );
        let active = self.active_nicks();
        ensure!(
            active == expected_active,
            "active nicks {active:?}, model {expected_active:?}"
        );
        let all_names: Vec<String> = names.iter().map(|(name, _, _)| name.clone()).collect();
        for (name, expected_is_active, expected_directories) in names {
            let nick = CString::new(name.clone()).expect("nicks have no NUL");
            let mut is_active = !expected_is_active;
            // SAFETY: our tracker; a valid C string; writable output.
            let status = unsafe { ffi::nt_is_active(self.ptr(), nick.as_ptr(), &mut is_active) };
            self.returned("nt_is_active", status);
            ensure!(
                status == ffi::OK && is_active == expected_is_active,
                "is_active({name}) = {is_active} ({status}), model {expected_is_active}"
            );
            // The two-call pattern: ask for the length, then fetch.
            let mut len = UNTOUCHED as usize;
            // SAFETY: capacity 0 with a NULL buffer is allowed.
            let status = unsafe {
                ffi::nt_active_directories(
                    self.ptr(),
                    nick.as_ptr(),
                    std::ptr::null_mut(),
                    0,
                    &mut len,
                )
            };
            self.returned("nt_active_directories", status);
            let expected_status = if expected_directories.is_empty() {
                ffi::OK
            } else {
                ffi::BUFFER_TOO_SMALL
            };
            ensure!(
                status == expected_status && len == expected_directories.len(),
                "active_directories({name}) length {len} ({status}), model {expected_directories:?}"
            );
            let mut directories = vec![UNTOUCHED; len];
            // SAFETY: `len` writable slots.
            let status = unsafe {
                ffi::nt_active_directories(
                    self.ptr(),
                    nick.as_ptr(),
                    directories.as_mut_ptr(),
                    directories.len(),
                    &mut len,
                )
            };
            self.returned("nt_active_directories", status);
            ensure!(
                status == ffi::OK && directories == expected_directories,
                "active_directories({name}) = {directories:?} ({status}), model {expected_directories:?}"
            );
        }
        self.compare_presence(&all_names);
    }

    /// The 0.3 view: the known directories, each directory's stats and nicks, and when each
    /// of `names` was last seen on each directory and anywhere.
    fn compare_presence(&self, names: &[String]) {
        // One call each, with room to spare (the two-call pattern is the operations' job);
        // of the unknown directories, one (they all answer alike).
        self.directories_query(2);
        let known = self.model.borrow().known_directories();
        let unknown = DIRECTORIES.into_iter().find(|d| !known.contains(d));
        for directory in known.into_iter().chain(unknown) {
            self.directory_stats_query(directory, false);
            self.directory_nicks_query(directory, 2);
        }
        // Of the nicks the tracker does not hold, only the first is asked about (they all
        // answer alike).
        let mut unheld_asked = false;
        for name in names {
            if !self.model.borrow().is_held(name) && std::mem::replace(&mut unheld_asked, true) {
                continue;
            }
            let nick = CString::new(name.as_str()).expect("nicks have no NUL");
            let mut seen = UNTOUCHED;
            // SAFETY: our tracker; a valid C string; a writable output.
            let status =
                unsafe { ffi::nt_last_seen_anywhere(self.ptr(), nick.as_ptr(), &mut seen) };
            self.returned("nt_last_seen_anywhere", status);
            let expected = self.model.borrow().last_seen_anywhere(name);
            let what = || format!("last_seen_anywhere({name})");
            self.check_last_seen(what, status, seen, expected);
            // The directories the model has a time for, and one it has none for (all such
            // answer alike).
            let directories: Vec<DirectoryId> = {
                let model = self.model.borrow();
                let (seen, unseen): (Vec<DirectoryId>, Vec<DirectoryId>) = DIRECTORIES
                    .into_iter()
                    .partition(|&d| model.last_seen(name, d).is_some());
                seen.into_iter().chain(unseen.into_iter().next()).collect()
            };
            for directory in directories {
                let mut seen = UNTOUCHED;
                // SAFETY: as above.
                let status =
                    unsafe { ffi::nt_last_seen(self.ptr(), nick.as_ptr(), directory, &mut seen) };
                self.returned("nt_last_seen", status);
                let expected = self.model.borrow().last_seen(name, directory);
                let what = || format!("last_seen({name}, {directory})");
                self.check_last_seen(what, status, seen, expected);
            }
        }
    }
}

fn default_options() -> ffi::Options {
    let mut options = ffi::Options {
        version: 0,
        on_event: None,
        on_leave: None,
        event_user_data: std::ptr::null_mut(),
        on_log: None,
        log_user_data: std::ptr::null_mut(),
        log_level: 0,
        max_nicks: 7,
        max_directories: 7,
        pick_mode: 7,
    };
    // SAFETY: a writable nt_options.
    let status = unsafe { ffi::nt_options_init(&mut options, ffi::OPTIONS_VERSION) };
    assert_eq!(status, ffi::OK, "nt_options_init");
    assert!(
        options.version == ffi::OPTIONS_VERSION
            && options.on_event.is_none()
            && options.on_leave.is_none()
            && options.on_log.is_none()
            && options.log_level == 3
            && options.max_nicks == 0
            && options.max_directories == 0
            && options.pick_mode == 0,
        "nt_options_init defaults"
    );
    options
}

/// nt_options_init(version 2), checked: version 1's defaults, no clock, no expiry.
fn default_options_v2() -> ffi::OptionsV2 {
    let mut options = ffi::OptionsV2 {
        version: 0,
        on_event: None,
        on_leave: None,
        event_user_data: std::ptr::null_mut(),
        on_log: None,
        log_user_data: std::ptr::null_mut(),
        log_level: 0,
        max_nicks: 7,
        max_directories: 7,
        pick_mode: 7,
        clock: Some(fake_clock),
        clock_user_data: std::ptr::dangling_mut(),
        presence_ttl_ms: 7,
        gone_grace_ms: 7,
        disconnected_hold_ms: 7,
    };
    // SAFETY: a writable version 2 nt_options.
    let status = unsafe {
        ffi::nt_options_init(
            std::ptr::from_mut(&mut options).cast(),
            ffi::OPTIONS_VERSION_2,
        )
    };
    assert_eq!(status, ffi::OK, "nt_options_init(2)");
    assert!(
        options.version == ffi::OPTIONS_VERSION_2
            && options.on_event.is_none()
            && options.on_leave.is_none()
            && options.on_log.is_none()
            && options.log_level == 3
            && options.max_nicks == 0
            && options.max_directories == 0
            && options.pick_mode == 0
            && options.clock.is_none()
            && options.clock_user_data.is_null()
            && options.presence_ttl_ms == 0
            && options.gone_grace_ms == 0
            && options.disconnected_hold_ms == 0,
        "nt_options_init(2) defaults"
    );
    options
}

/// The status the C API reports a refusal of the model with (None: one it cannot make).
fn refusal_status(error: &ChangeError) -> Option<u32> {
    Some(match error {
        ChangeError::Limit(LimitError::Nicks { .. }) => ffi::NICK_LIMIT,
        ChangeError::Limit(LimitError::Directories { .. }) => ffi::DIRECTORY_LIMIT,
        ChangeError::NoSnapshot { .. } => ffi::NO_SNAPSHOT,
        ChangeError::ClockWentBackwards { .. } => ffi::CLOCK_WENT_BACKWARDS,
        ChangeError::ReportCountMismatch { .. } => ffi::INVALID_ARGUMENT,
        _ => return None,
    })
}

/// Names packed back to back, each followed by a NUL.
fn pack(names: &[String]) -> Vec<u8> {
    let mut packed = Vec::new();
    for name in names {
        packed.extend_from_slice(name.as_bytes());
        packed.push(0);
    }
    packed
}

/// The entries of a packed list, sorted (for lists in no particular order).
fn sorted_packed(packed: &[u8]) -> Vec<&[u8]> {
    let mut entries: Vec<&[u8]> = match packed.strip_suffix(&[0]) {
        Some(body) => body.split(|&b| b == 0).collect(),
        None if packed.is_empty() => Vec::new(),
        None => vec![packed], // unterminated: never equal to a well-formed list
    };
    entries.sort_unstable();
    entries
}

fn to_stats(stats: ffi::Stats) -> Stats {
    Stats {
        nicks: stats.nicks,
        active_nicks: stats.active_nicks,
        directories: stats.directories,
        connected_directories: stats.connected_directories,
        joins: stats.joins,
        leaves: stats.leaves,
    }
}

/// The callback invocations `events`, numbered from `first_seq`, make with this setup, in
/// order: per event, the event callback, then for a leave the leave callback. An event given
/// with directories may name any of them, else exactly its own.
fn delivered(setup: Setup, events: &[(ModelEvent, Vec<DirectoryId>)], first_seq: u64) -> Frame {
    let mut frame = Frame::new();
    for (seq, (event, directories)) in (first_seq..).zip(events) {
        if setup.on_event {
            frame.push_back(match directories.is_empty() {
                true => Delivered::Event(event.clone(), seq),
                false => Delivered::EventOnOneOf(event.clone(), directories.clone(), seq),
            });
        }
        if setup.on_leave && event.kind == EventKind::Leave {
            frame.push_back(Delivered::Leave(event.nick.clone()));
        }
    }
    frame
}

fn describe(expect: &Expect) -> String {
    match expect {
        Expect::Rejected(status) => format!("status {status}"),
        Expect::RejectedAny(statuses) => format!("one of the statuses {statuses:?}"),
        Expect::Model { outcome } => format!("{outcome:?}"),
        Expect::Expired { outcome } => format!("{outcome:?}"),
    }
}

/// nt_take_callback_error().
fn ffi_take_callback_error() -> usize {
    // SAFETY: no arguments; it only reads this thread's slot.
    unsafe { ffi::nt_take_callback_error() }
}

/// Whether this thread has a last-error message (without copying it: this runs after every
/// call that is not OK).
fn last_error_set() -> bool {
    // SAFETY: never NULL, valid until the next failing call on this thread; one byte read.
    unsafe { *ffi::nt_last_error_message() != 0 }
}

/// This thread's last-error message.
fn last_error() -> String {
    // SAFETY: never NULL, valid until the next failing call on this thread.
    let message = unsafe { CStr::from_ptr(ffi::nt_last_error_message()) };
    message.to_string_lossy().into_owned()
}

/// Reads a nick handed to a callback: non-NULL, 1..=NT_MAX_NICK_LEN bytes, UTF-8.
///
/// # Safety
/// `nick` must be NULL or a NUL-terminated string.
unsafe fn callback_nick(nick: *const c_char) -> String {
    ensure!(!nick.is_null(), "a callback received a NULL nick");
    // SAFETY: per this function's contract.
    let bytes = unsafe { CStr::from_ptr(nick) }.to_bytes();
    ensure!(
        (1..=ffi::MAX_NICK_LEN).contains(&bytes.len()),
        "a callback received a nick of {} bytes",
        bytes.len()
    );
    String::from_utf8(bytes.to_vec()).expect("a callback received a nick that is not UTF-8")
}

/// # Safety
/// `user_data` is the harness that created the tracker.
unsafe fn harness<'h>(user_data: *mut c_void) -> &'h Harness<'h> {
    // SAFETY: per this function's contract; the harness outlives its tracker.
    unsafe { &*user_data.cast::<Harness<'h>>() }
}

unsafe extern "C" fn on_event(user_data: *mut c_void, event: *const ffi::Event) {
    // SAFETY: registered with the harness as user data.
    let h = unsafe { harness(user_data) };
    h.in_callback(|| {
        ensure!(!event.is_null(), "NULL event");
        // SAFETY: valid for the duration of the callback.
        let event = unsafe { &*event };
        let kind = match event.kind {
            ffi::EVENT_JOIN => EventKind::Join,
            ffi::EVENT_LEAVE => EventKind::Leave,
            other => panic!("unknown event kind {other}"),
        };
        // SAFETY: the library passes a NUL-terminated nick.
        let nick = unsafe { callback_nick(event.nick) };
        let seq = event.seq;
        let event = ModelEvent {
            kind,
            nick,
            directory: event.directory,
        };
        h.received(Delivered::Event(event, seq));
        h.maybe_reenter();
    });
}

unsafe extern "C" fn on_leave(user_data: *mut c_void, nick: *const c_char) {
    // SAFETY: registered with the harness as user data.
    let h = unsafe { harness(user_data) };
    h.in_callback(|| {
        // SAFETY: the library passes a NUL-terminated nick.
        let nick = unsafe { callback_nick(nick) };
        h.received(Delivered::Leave(nick));
        h.maybe_reenter();
    });
}

unsafe extern "C" fn on_log(user_data: *mut c_void, level: u32, message: *const c_char) {
    // SAFETY: registered with the harness as user data.
    let h = unsafe { harness(user_data) };
    h.in_callback(|| {
        h.count(|c| c.logs += 1);
        if level == ffi::LOG_ERROR {
            h.error_logs.set(h.error_logs.get() + 1);
        }
        let enabled = h.setup.get().log_level;
        ensure!(
            (1..=enabled).contains(&level),
            "log level {level} with {enabled} enabled"
        );
        ensure!(!message.is_null(), "NULL log message");
        // SAFETY: a NUL-terminated message, valid for the callback.
        let message = unsafe { CStr::from_ptr(message) }.to_str();
        // No control character at all: nicks in messages are escaped, so a peer cannot
        // forge log lines.
        ensure!(
            message.is_ok_and(|m| !m.is_empty() && !m.chars().any(char::is_control)),
            "log message {message:?}"
        );
        h.note(|| format!("log {level}: {}", message.unwrap_or("?")));
        h.maybe_reenter();
    });
}

unsafe extern "C" fn visit(user_data: *mut c_void, nick: *const c_char) {
    // SAFETY: registered with the harness as user data.
    let h = unsafe { harness(user_data) };
    h.in_callback(|| {
        // SAFETY: the library passes a NUL-terminated nick.
        let nick = unsafe { callback_nick(nick) };
        let expected = h
            .visits
            .borrow_mut()
            .last_mut()
            .and_then(VecDeque::pop_front);
        h.note(|| format!("visit {nick}"));
        ensure!(
            expected.as_ref() == Some(&nick),
            "visited {nick}, expected {expected:?}"
        );
        h.maybe_reenter();
    });
}

/// The fake clock (nt_options version 2): the harness's time. It must only be read with the
/// tracker's lock held, so it calls nothing.
unsafe extern "C" fn fake_clock(user_data: *mut c_void) -> u64 {
    // SAFETY: registered with the harness as user data.
    let h = unsafe { harness(user_data) };
    h.clock_reads.set(h.clock_reads.get() + 1);
    h.clock_ms.get()
}

unsafe extern "C" fn visit_directory(user_data: *mut c_void, nick: *const c_char) {
    // SAFETY: registered with the harness as user data.
    let h = unsafe { harness(user_data) };
    h.in_callback(|| {
        // SAFETY: the library passes a NUL-terminated nick.
        let nick = unsafe { callback_nick(nick) };
        h.note(|| format!("visit {nick} on the directory"));
        let found = {
            let mut visits = h.directory_visits.borrow_mut();
            let expected = visits.last_mut();
            let found = expected.and_then(|expected| {
                let index = expected.iter().position(|n| *n == nick)?;
                Some(expected.swap_remove(index))
            });
            found.is_some()
        };
        ensure!(
            found,
            "visited {nick} on the directory, which the model does not list (or twice)"
        );
        h.maybe_reenter();
    });
}

/// Callbacks of the second tracker in `bad_creation`: count calls in a `Cell<u32>`.
unsafe extern "C" fn count_event(user_data: *mut c_void, _event: *const ffi::Event) {
    // SAFETY: the user data is that Cell, alive while the tracker is.
    let calls = unsafe { &*user_data.cast::<Cell<u32>>() };
    calls.set(calls.get() + 1);
}

unsafe extern "C" fn count_leave(user_data: *mut c_void, _nick: *const c_char) {
    // SAFETY: as above.
    let calls = unsafe { &*user_data.cast::<Cell<u32>>() };
    calls.set(calls.get() + 1);
}

/// The plain visitor of `Harness::active_nicks`: never re-enters, never panics.
unsafe extern "C" fn collect(user_data: *mut c_void, nick: *const c_char) {
    // SAFETY: user data is the Vec passed by active_nicks; the nick is a C string.
    let (nicks, nick) = unsafe { (&mut *user_data.cast::<Vec<String>>(), CStr::from_ptr(nick)) };
    nicks.push(nick.to_string_lossy().into_owned());
}
