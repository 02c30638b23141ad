//! `nt_options`: everything settable when a tracker is created with nt_new_with_options().
//!
//! The struct carries a version number (libgit2's pattern) so later library versions can add
//! fields at the end and still accept programs compiled against this header.

use std::ffi::c_void;

use super::boundary::{call, non_null};
use super::callbacks::{
    Listeners, nt_event_callback, nt_log_callback, nt_log_level, nt_nick_callback,
};
use super::status::{Error, nt_status};
use crate::presence::{Config, Limits, PickMode};

/// The nt_options layout this header describes. nt_options_init() stores it in `version`.
pub const NT_OPTIONS_VERSION: u32 = 1;

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
}

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
    pub event_user_data: *mut c_void,
    /// Called with the library's log messages, with `log_user_data`. NULL for none (the
    /// default). Must stay callable until nt_free().
    pub on_log: nt_log_callback,
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
        }
    }

    /// Checks every field and splits the options into the core's configuration and the
    /// callbacks.
    pub fn parse(&self) -> Result<(Config, Listeners), Error> {
        if self.version != NT_OPTIONS_VERSION {
            return Err(invalid(
                "options.version",
                format!(
                    "unsupported version {} (expected {NT_OPTIONS_VERSION}; \
                     fill options with nt_options_init(&options, NT_OPTIONS_VERSION))",
                    self.version
                ),
            ));
        }
        let log_level = nt_log_level::from_code(self.log_level).ok_or_else(|| {
            invalid(
                "options.log_level",
                format!("{} is not an nt_log_level", self.log_level),
            )
        })?;
        let pick = match self.pick_mode {
            mode if mode == nt_pick_mode::Random as u32 => PickMode::Random,
            mode if mode == nt_pick_mode::RoundRobin as u32 => PickMode::RoundRobin,
            other => {
                return Err(invalid(
                    "options.pick_mode",
                    format!("{other} is not an nt_pick_mode"),
                ));
            }
        };
        let limit = |value: usize| (value > 0).then_some(value);
        let config = Config {
            limits: Limits {
                max_nicks: limit(self.max_nicks),
                max_directories: limit(self.max_directories),
            },
            pick,
        };
        let listeners = Listeners {
            on_leave: self.on_leave,
            on_event: self.on_event,
            event_user_data: self.event_user_data,
            on_log: self.on_log,
            log_user_data: self.log_user_data,
            log_level,
        };
        Ok((config, listeners))
    }
}

fn invalid(arg: &'static str, reason: String) -> Error {
    Error::InvalidArgument { arg, reason }
}

/// Fills `*options` with the defaults: no callbacks, log level INFO, no limits, random picks.
///
/// Pass NT_OPTIONS_VERSION as `version`: it tells the library which nt_options layout the
/// caller was compiled with, so that a newer library never writes fields an older caller's
/// struct does not have.
///
/// Returns NT_STATUS_NULL_ARGUMENT if `options` is NULL, or NT_STATUS_INVALID_ARGUMENT for a
/// `version` this library does not know; `*options` is then untouched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nt_options_init(options: *mut nt_options, version: u32) -> nt_status {
    call(|| {
        let options = non_null(options, "options")?;
        if version != NT_OPTIONS_VERSION {
            return Err(invalid(
                "version",
                format!("unsupported nt_options version {version} (expected {NT_OPTIONS_VERSION})"),
            ));
        }
        // SAFETY: non-NULL and, per the contract, writable and aligned.
        unsafe { options.write(nt_options::defaults()) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_to_the_core_defaults() {
        let (config, listeners) = nt_options::defaults().parse().unwrap();
        assert_eq!(config, Config::default());
        assert!(listeners.on_event.is_none() && listeners.on_log.is_none());
        assert_eq!(listeners.log_level, nt_log_level::Info);
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = |change: fn(&mut nt_options)| {
            let mut options = nt_options::defaults();
            change(&mut options);
            options.parse().err().unwrap().to_string()
        };
        assert!(bad(|o| o.version = 2).starts_with("options.version: unsupported version 2"));
        assert_eq!(
            bad(|o| o.log_level = 0),
            "options.log_level: 0 is not an nt_log_level"
        );
        assert_eq!(
            bad(|o| o.pick_mode = 2),
            "options.pick_mode: 2 is not an nt_pick_mode"
        );
    }

    #[test]
    fn zero_limits_mean_unlimited() {
        let mut options = nt_options::defaults();
        options.max_nicks = 5;
        let (config, _) = options.parse().unwrap();
        assert_eq!(config.limits.max_nicks, Some(5));
        assert_eq!(config.limits.max_directories, None);
    }
}
