//! `nt_options`: everything settable when a tracker is created with nt_new_with_options().
//!
//! The struct carries a version number (libgit2's pattern): a later library adds fields at
//! the end under a new version and keeps accepting the older layouts, reading no further
//! than the caller's struct goes. Version 1 (0.2) ends at `pick_mode`; version 2 (0.3) adds
//! the clock and the expiry options.

use std::ffi::c_void;

use super::boundary::{call, non_null};
use super::callbacks::{
    Listeners, nt_event_callback, nt_log_callback, nt_log_level, nt_nick_callback,
};
use super::status::{Error, nt_status};
use crate::presence::{Clock, Config, Expiry, Limits, PickMode};

/// The nt_options layout this header describes. nt_options_init() stores it in `version`.
/// Programs compiled against an older header pass an older version, which stays accepted.
pub const NT_OPTIONS_VERSION: u32 = 2;

/// How nt_pick_directory() chooses among a nick's active directories.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum nt_pick_mode {
    /// Uniformly at random (the default), as the JoinMarket daemon does, so that no single
    /// directory carries all of a client's private messages.
    Random = 0,
    /// In turn: each call for the same nick returns the next of its active directories, in
    /// the order nt_active_directories() lists them. Deterministic, for tests.
    RoundRobin = 1,
    /// The same directory for a nick while the nick stays active there (as a taker keeps the
    /// directory of a private-message session); when it does not, another of its active
    /// directories, chosen at random, from then on.
    Sticky = 2,
}

/// The clock set in nt_options: returns the current time in milliseconds, from any origin,
/// never less than it returned before (a call that finds it went backwards is refused with
/// NT_STATUS_CLOCK_WENT_BACKWARDS). The tracker reads it at most once per call, with its lock
/// held: it must not call any nt_* function on the tracker, and it may be called from every
/// thread that uses the tracker.
pub type nt_clock_callback = Option<unsafe extern "C" fn(user_data: *mut c_void) -> u64>;

/// Options for nt_new_with_options(). Always fill one with
/// nt_options_init(&options, NT_OPTIONS_VERSION) first, then change the fields you need: that
/// sets `version` and the defaults, including those of fields a later header may add.
#[repr(C)]
pub struct nt_options {
    /// NT_OPTIONS_VERSION, as set by nt_options_init().
    pub version: u32,
    /// Called for every JOIN and LEAVE event, with `event_user_data`. NULL for none (the
    /// default). Must stay callable until nt_free().
    pub on_event: nt_event_callback,
    /// Called with each leaving nick (after `on_event`, if both are set), with
    /// `event_user_data`: for callers that want leaves only, without a call per join. NULL
    /// for none (the default). Must stay callable until nt_free().
    pub on_leave: nt_nick_callback,
    /// Passed to `on_event` and `on_leave`, untouched. Default NULL.
    pub event_user_data: *mut c_void,
    /// Called with the library's log messages, with `log_user_data`. NULL for none (the
    /// default). Must stay callable until nt_free().
    pub on_log: nt_log_callback,
    /// Passed to `on_log`, untouched. Default NULL.
    pub log_user_data: *mut c_void,
    /// An nt_log_level: the least severe level passed to `on_log`. Default NT_LOG_LEVEL_INFO.
    pub log_level: u32,
    /// The most nicks held at once (active, or kept for a disconnected directory); a change
    /// that would exceed it fails with NT_STATUS_NICK_LIMIT. 0 (the default) is unlimited.
    pub max_nicks: usize,
    /// The most directories known at once; exceeding it fails with
    /// NT_STATUS_DIRECTORY_LIMIT. 0 (the default) is unlimited.
    pub max_directories: usize,
    /// An nt_pick_mode. Default NT_PICK_MODE_RANDOM.
    pub pick_mode: u32,
    /// The clock, with `clock_user_data` (version 2). NULL (the default): the operating
    /// system's monotonic clock (on Linux its coarse variant, which costs a few nanoseconds
    /// and ticks every few milliseconds). A fake clock makes time deterministic in tests.
    pub clock: nt_clock_callback,
    /// Passed to `clock`, untouched. Default NULL.
    pub clock_user_data: *mut c_void,
    /// A (nick, directory) pair not seen (by a present report or a listing) within this many
    /// milliseconds counts as gone on that directory, at the next nt_expire(): for
    /// directories that never send peerlists. 0 (the default) is off.
    pub presence_ttl_ms: u64,
    /// A single gone report takes effect only if no present report for the same pair arrives
    /// within this many milliseconds (at the next nt_expire() after it): a directory reports
    /// a connection that a peer is replacing as gone moments before the new one is up.
    /// Peerlists, commits and removals act at once. 0 (the default) is off.
    pub gone_grace_ms: u64,
    /// A directory disconnected for this many milliseconds is removed, as by
    /// nt_remove_directory(), at the next nt_expire(). 0 (the default) is off.
    pub disconnected_hold_ms: u64,
}

/// The version 1 layout (0.2): a prefix of nt_options, all a version 1 caller's struct has.
#[repr(C)]
struct NtOptionsV1 {
    version: u32,
    on_event: nt_event_callback,
    on_leave: nt_nick_callback,
    event_user_data: *mut c_void,
    on_log: nt_log_callback,
    log_user_data: *mut c_void,
    log_level: u32,
    max_nicks: usize,
    max_directories: usize,
    pick_mode: u32,
}

impl nt_options {
    fn defaults() -> Self {
        nt_options {
            version: NT_OPTIONS_VERSION,
            on_event: None,
            on_leave: None,
            event_user_data: std::ptr::null_mut(),
            on_log: None,
            log_user_data: std::ptr::null_mut(),
            log_level: nt_log_level::Info as u32,
            max_nicks: 0,
            max_directories: 0,
            pick_mode: nt_pick_mode::Random as u32,
            clock: None,
            clock_user_data: std::ptr::null_mut(),
            presence_ttl_ms: 0,
            gone_grace_ms: 0,
            disconnected_hold_ms: 0,
        }
    }

    /// The options of a version 1 caller, with the later fields at their defaults.
    fn from_v1(v1: &NtOptionsV1) -> Self {
        nt_options {
            version: 1,
            on_event: v1.on_event,
            on_leave: v1.on_leave,
            event_user_data: v1.event_user_data,
            on_log: v1.on_log,
            log_user_data: v1.log_user_data,
            log_level: v1.log_level,
            max_nicks: v1.max_nicks,
            max_directories: v1.max_directories,
            pick_mode: v1.pick_mode,
            ..nt_options::defaults()
        }
    }

    /// Reads the caller's options, no further than its `version` says its struct goes.
    ///
    /// # Safety
    /// `options` is non-NULL and points to a readable nt_options of the layout its `version`
    /// field names (or at least a readable `version` field, if that is unknown).
    pub unsafe fn read(options: *const nt_options) -> Result<nt_options, Error> {
        // SAFETY: every layout starts with the version; the caller guarantees it is readable.
        let version = unsafe { options.cast::<u32>().read() };
        match version {
            // SAFETY: a version 1 caller's struct is an NtOptionsV1, per the contract.
            1 => Ok(nt_options::from_v1(unsafe {
                &*options.cast::<NtOptionsV1>()
            })),
            // SAFETY: a current caller's struct is a whole nt_options, per the contract.
            NT_OPTIONS_VERSION => Ok(unsafe { options.read() }),
            other => Err(invalid(
                "options.version",
                format!(
                    "unsupported version {other} (this library reads 1 to {NT_OPTIONS_VERSION}; \
                     fill options with nt_options_init(&options, NT_OPTIONS_VERSION))"
                ),
            )),
        }
    }

    /// Checks every field and splits the options into the core's configuration, its clock
    /// (`None`: the default) and the callbacks.
    pub fn parse(&self) -> Result<(Config, Option<Clock>, Listeners), Error> {
        let log_level = nt_log_level::from_code(self.log_level).ok_or_else(|| {
            invalid(
                "options.log_level",
                format!("{} is not an nt_log_level", self.log_level),
            )
        })?;
        let pick = match self.pick_mode {
            mode if mode == nt_pick_mode::Random as u32 => PickMode::Random,
            mode if mode == nt_pick_mode::RoundRobin as u32 => PickMode::RoundRobin,
            mode if mode == nt_pick_mode::Sticky as u32 => PickMode::Sticky,
            other => {
                return Err(invalid(
                    "options.pick_mode",
                    format!("{other} is not an nt_pick_mode"),
                ));
            }
        };
        let limit = |value: usize| (value > 0).then_some(value);
        let duration = |value: u64| (value > 0).then_some(value);
        let config = Config {
            limits: Limits {
                max_nicks: limit(self.max_nicks),
                max_directories: limit(self.max_directories),
            },
            pick,
            expiry: Expiry {
                presence_ttl_ms: duration(self.presence_ttl_ms),
                gone_grace_ms: duration(self.gone_grace_ms),
                disconnected_hold_ms: duration(self.disconnected_hold_ms),
            },
        };
        let clock = self
            .clock
            .map(|read| callback_clock(read, self.clock_user_data));
        let listeners = Listeners {
            on_leave: self.on_leave,
            on_event: self.on_event,
            event_user_data: self.event_user_data,
            on_log: self.on_log,
            log_user_data: self.log_user_data,
            log_level,
        };
        Ok((config, clock, listeners))
    }
}

/// The caller's clock callback as the core's clock.
fn callback_clock(read: unsafe extern "C" fn(*mut c_void) -> u64, user_data: *mut c_void) -> Clock {
    struct UserData(*mut c_void);
    // SAFETY: nt_clock_callback's contract: the clock may be called (with its user data)
    // from every thread that uses the tracker.
    unsafe impl Send for UserData {}
    let user_data = UserData(user_data);
    Box::new(move || {
        let user_data = &user_data;
        // SAFETY: the creator of the tracker promised the clock and its user data stay
        // callable until nt_free(); the tracker calls it only while alive.
        unsafe { read(user_data.0) }
    })
}

fn invalid(arg: &'static str, reason: String) -> Error {
    Error::InvalidArgument { arg, reason }
}

/// Fills `*options` with the defaults: no callbacks, log level INFO, no limits, random picks,
/// the system's monotonic clock, no expiry.
///
/// Pass NT_OPTIONS_VERSION as `version`: it tells the library which nt_options layout the
/// caller was compiled with, so that a newer library never writes fields an older caller's
/// struct does not have (an older version fills only the fields it had).
///
/// Returns NT_STATUS_NULL_ARGUMENT if `options` is NULL, or NT_STATUS_INVALID_ARGUMENT for a
/// `version` this library does not know; `*options` is then untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_options_init(options: *mut nt_options, version: u32) -> nt_status {
    call(|| {
        let options = non_null(options, "options")?;
        let defaults = nt_options::defaults();
        match version {
            1 => {
                let v1 = NtOptionsV1 {
                    version: 1,
                    on_event: None,
                    on_leave: None,
                    event_user_data: std::ptr::null_mut(),
                    on_log: None,
                    log_user_data: std::ptr::null_mut(),
                    log_level: defaults.log_level,
                    max_nicks: 0,
                    max_directories: 0,
                    pick_mode: defaults.pick_mode,
                };
                // SAFETY: non-NULL and, per the contract, a writable version 1 struct.
                unsafe { options.cast::<NtOptionsV1>().write(v1) };
            }
            // SAFETY: non-NULL and, per the contract, writable and aligned.
            NT_OPTIONS_VERSION => unsafe { options.write(defaults) },
            _ => {
                return Err(invalid(
                    "version",
                    format!(
                        "unsupported nt_options version {version} \
                         (this library knows 1 to {NT_OPTIONS_VERSION})"
                    ),
                ));
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_to_the_core_defaults() {
        let (config, clock, listeners) = nt_options::defaults().parse().unwrap();
        assert_eq!(config, Config::default());
        assert!(clock.is_none());
        assert!(listeners.on_event.is_none() && listeners.on_log.is_none());
        assert_eq!(listeners.log_level, nt_log_level::Info);
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = |change: fn(&mut nt_options)| {
            let mut options = nt_options::defaults();
            change(&mut options);
            // SAFETY: a whole, readable nt_options.
            let read = unsafe { nt_options::read(&options) };
            read.and_then(|options| options.parse().map(drop))
                .err()
                .unwrap()
                .to_string()
        };
        assert!(bad(|o| o.version = 3).starts_with("options.version: unsupported version 3"));
        assert_eq!(
            bad(|o| o.log_level = 0),
            "options.log_level: 0 is not an nt_log_level"
        );
        assert_eq!(
            bad(|o| o.pick_mode = 3),
            "options.pick_mode: 3 is not an nt_pick_mode"
        );
    }

    #[test]
    fn zero_limits_and_durations_mean_none() {
        let mut options = nt_options::defaults();
        options.max_nicks = 5;
        options.gone_grace_ms = 250;
        let (config, _, _) = options.parse().unwrap();
        assert_eq!(config.limits.max_nicks, Some(5));
        assert_eq!(config.limits.max_directories, None);
        assert_eq!(config.expiry.gone_grace_ms, Some(250));
        assert_eq!(config.expiry.presence_ttl_ms, None);
    }

    #[test]
    fn a_version_1_struct_is_read_and_filled_no_further_than_it_goes() {
        let mut v1 = std::mem::MaybeUninit::<NtOptionsV1>::uninit();
        // SAFETY: a writable version 1 struct; version 1 writes no more than it.
        let status = unsafe { nt_options_init(v1.as_mut_ptr().cast(), 1) };
        assert_eq!(status, nt_status::Ok);
        // SAFETY: initialised by nt_options_init.
        let mut v1 = unsafe { v1.assume_init() };
        assert_eq!((v1.version, v1.pick_mode), (1, 0));
        v1.max_nicks = 9;
        v1.pick_mode = nt_pick_mode::RoundRobin as u32;
        // SAFETY: a readable version 1 struct, read as such.
        let options = unsafe { nt_options::read(std::ptr::from_ref(&v1).cast()) }.unwrap();
        let (config, clock, _) = options.parse().unwrap();
        assert_eq!(config.limits.max_nicks, Some(9));
        assert_eq!(config.pick, PickMode::RoundRobin);
        assert_eq!(config.expiry, Expiry::default());
        assert!(clock.is_none());
    }
}
