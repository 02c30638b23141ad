//! Status codes, the Rust errors behind them, and the per-thread last-error message.
//!
//! Every failure the C API can report is one [`Error`] (or [`NickError`]) variant, and each
//! variant has exactly one [`nt_status`]. The status is for programs; the message, kept per
//! thread like `errno`, is for people and says which argument was wrong and why.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::ffi::{CString, c_char};

use thiserror::Error;

use super::boundary::catch_panic;
use crate::presence::{ChangeError, LimitError, NickError, PeerlistError};

/// The result of every `nt_*` call that can fail.
///
/// Values are stable ABI: a status keeps its number forever and retired numbers are not reused.
/// It is 32 bits wide in every language mode (a `uint32_t` typedef in C before C23), so a
/// value from a newer library can still be held and passed to nt_status_str().
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum nt_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL. Nothing was changed.
    NullArgument = 1,
    /// A nick was the empty string. Nothing was changed.
    NickEmpty = 2,
    /// A nick was longer than NT_MAX_NICK_LEN bytes (only NT_MAX_NICK_LEN + 1 bytes are read
    /// while looking for its terminator). Nothing was changed.
    NickTooLong = 3,
    /// A nick was not valid UTF-8. Nothing was changed.
    NickNotUtf8 = 4,
    /// A nick contained a NUL byte. C strings cannot, but bindings whose strings carry a
    /// length report this before calling in. Nothing was changed.
    NickContainsNul = 5,
    /// An output buffer was too small. The needed length was written to the length output;
    /// the buffer itself was not touched.
    BufferTooSmall = 6,
    /// nick-tracker panicked (a bug). The call was abandoned; if it was changing a tracker,
    /// that tracker now answers NT_STATUS_POISONED.
    Panic = 7,
    /// An earlier call panicked while changing this tracker, so its state cannot be trusted.
    /// Only nt_free() is still useful on it.
    Poisoned = 8,
    /// The nick is not active, so there is no directory to pick (nt_pick_directory()).
    NickNotActive = 9,
    /// The change would make the tracker hold more nicks than its `max_nicks` option
    /// allows. Nothing was changed (batch calls included).
    NickLimit = 10,
    /// The change would make the tracker know more directories than its `max_directories`
    /// option allows. Nothing was changed.
    DirectoryLimit = 11,
    /// An argument had an invalid value: an unknown nt_options version or enum value, a
    /// packed peerlist that does not end with a NUL byte, or an array length larger than any
    /// array can be. Nothing was changed.
    InvalidArgument = 12,
    /// The call did everything it was asked (the change was made, its outputs written and
    /// all its events delivered), but a callback reported an error with
    /// nt_report_callback_error(); nt_take_callback_error() returns it.
    CallbackFailed = 13,
    /// The directory has no peerlist open (nt_peerlist_add(), nt_peerlist_commit(),
    /// nt_peerlist_abort() before nt_peerlist_begin(), or after a commit, an abort, a full
    /// sync, a disconnection or a removal closed it). Nothing was changed.
    NoSnapshot = 14,
    /// The tracker's clock read an earlier time than it did before: the call, which needed
    /// the time, was refused. Nothing was changed.
    ClockWentBackwards = 15,
    /// The nick, (nick, directory) pair or directory asked about is not known to the tracker
    /// (nt_last_seen(), nt_get_directory_stats() and the like). Nothing was written.
    NotFound = 16,
}

impl nt_status {
    const ALL: [nt_status; 17] = [
        nt_status::Ok,
        nt_status::NullArgument,
        nt_status::NickEmpty,
        nt_status::NickTooLong,
        nt_status::NickNotUtf8,
        nt_status::NickContainsNul,
        nt_status::BufferTooSmall,
        nt_status::Panic,
        nt_status::Poisoned,
        nt_status::NickNotActive,
        nt_status::NickLimit,
        nt_status::DirectoryLimit,
        nt_status::InvalidArgument,
        nt_status::CallbackFailed,
        nt_status::NoSnapshot,
        nt_status::ClockWentBackwards,
        nt_status::NotFound,
    ];

    fn from_code(code: u32) -> Option<nt_status> {
        Self::ALL.into_iter().find(|&status| status as u32 == code)
    }

    fn description(self) -> &'static std::ffi::CStr {
        match self {
            nt_status::Ok => c"success",
            nt_status::NullArgument => c"a required pointer argument was NULL",
            nt_status::NickEmpty => c"nick is empty",
            nt_status::NickTooLong => c"nick is longer than NT_MAX_NICK_LEN bytes",
            nt_status::NickNotUtf8 => c"nick is not valid UTF-8",
            nt_status::NickContainsNul => c"nick contains a NUL byte",
            nt_status::BufferTooSmall => c"output buffer is too small",
            nt_status::Panic => c"internal error: nick-tracker panicked",
            nt_status::Poisoned => c"tracker is unusable after an earlier internal panic",
            nt_status::NickNotActive => c"nick is not active",
            nt_status::NickLimit => c"the tracker's nick limit is reached",
            nt_status::DirectoryLimit => c"the tracker's directory limit is reached",
            nt_status::InvalidArgument => c"an argument has an invalid value",
            nt_status::CallbackFailed => c"a callback reported an error",
            nt_status::NoSnapshot => c"the directory has no peerlist open",
            nt_status::ClockWentBackwards => c"the clock went backwards",
            nt_status::NotFound => c"not known to the tracker",
        }
    }
}

/// Everything that can go wrong in a C API call.
#[derive(Debug, Error)]
pub enum Error {
    #[error("{arg} is NULL")]
    NullArgument { arg: Cow<'static, str> },
    #[error("{arg}: {source}")]
    InvalidNick {
        arg: Cow<'static, str>,
        source: NickError,
    },
    #[error("buffer too small: {needed} entries needed, capacity is {capacity}")]
    BufferTooSmall { needed: usize, capacity: usize },
    #[error("nick-tracker panicked: {message}")]
    Panic { message: String },
    #[error("tracker is unusable: an earlier call panicked while changing it")]
    Poisoned,
    #[error("{nick:?} is not active")]
    NickNotActive { nick: String },
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error("{arg}: {reason}")]
    InvalidArgument { arg: &'static str, reason: String },
    #[error("a callback reported an error (nt_take_callback_error() returns it)")]
    CallbackFailed,
    #[error("directory {directory} has no peerlist open (nt_peerlist_begin() first)")]
    NoSnapshot { directory: u64 },
    #[error("the clock went backwards: it read {now} ms after reading {last} ms")]
    ClockWentBackwards { last: u64, now: u64 },
    #[error("{what} is not known to the tracker")]
    NotFound { what: String },
}

/// A bad packed peerlist, as the `nicks` argument: the bad entry is named by its index.
impl From<PeerlistError> for Error {
    fn from(error: PeerlistError) -> Self {
        match error {
            PeerlistError::Unterminated => Error::InvalidArgument {
                arg: "nicks",
                reason: error.to_string(),
            },
            PeerlistError::BadNick { index, source } => Error::InvalidNick {
                arg: format!("nicks[{index}]").into(),
                source,
            },
        }
    }
}

/// For calls that cannot fail.
impl From<Infallible> for Error {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// Each refusal of the core has its own status.
impl From<ChangeError> for Error {
    fn from(error: ChangeError) -> Self {
        match error {
            ChangeError::Limit(error) => error.into(),
            ChangeError::Peerlist(error) => error.into(),
            ChangeError::NoSnapshot { directory } => Error::NoSnapshot { directory },
            ChangeError::ClockWentBackwards { last, now } => {
                Error::ClockWentBackwards { last, now }
            }
            ChangeError::ReportCountMismatch { .. } => Error::InvalidArgument {
                arg: "count",
                reason: error.to_string(),
            },
        }
    }
}

impl Error {
    pub fn null(arg: &'static str) -> Self {
        Error::NullArgument { arg: arg.into() }
    }

    pub fn status(&self) -> nt_status {
        match self {
            Error::NullArgument { .. } => nt_status::NullArgument,
            Error::InvalidNick { source, .. } => match source {
                NickError::Empty => nt_status::NickEmpty,
                NickError::TooLong => nt_status::NickTooLong,
                NickError::NotUtf8 => nt_status::NickNotUtf8,
                NickError::ContainsNul => nt_status::NickContainsNul,
            },
            Error::BufferTooSmall { .. } => nt_status::BufferTooSmall,
            Error::Panic { .. } => nt_status::Panic,
            Error::Poisoned => nt_status::Poisoned,
            Error::NickNotActive { .. } => nt_status::NickNotActive,
            Error::Limit(LimitError::Nicks { .. }) => nt_status::NickLimit,
            Error::Limit(LimitError::Directories { .. }) => nt_status::DirectoryLimit,
            Error::InvalidArgument { .. } => nt_status::InvalidArgument,
            Error::CallbackFailed => nt_status::CallbackFailed,
            Error::NoSnapshot { .. } => nt_status::NoSnapshot,
            Error::ClockWentBackwards { .. } => nt_status::ClockWentBackwards,
            Error::NotFound { .. } => nt_status::NotFound,
        }
    }

    /// Renames the argument the error is about, e.g. "nick" to "nicks[3]" for a batch entry.
    pub fn for_arg(self, name: String) -> Self {
        match self {
            Error::NullArgument { .. } => Error::NullArgument { arg: name.into() },
            Error::InvalidNick { source, .. } => Error::InvalidNick {
                arg: name.into(),
                source,
            },
            other => other,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    /// The error a callback reported during this thread's latest call, if that call
    /// delivered the callback (see nt_take_callback_error()).
    static CALLBACK_ERROR: Cell<usize> = const { Cell::new(0) };
}

/// Every call starts without a callback error: one left by an earlier call (and never
/// taken) must not be taken for this call's.
pub fn forget_callback_error() {
    let _ = CALLBACK_ERROR.try_with(|error| error.set(0));
}

/// Keeps the error a callback reported during the call now ending.
pub fn keep_callback_error(error: usize) {
    let _ = CALLBACK_ERROR.try_with(|slot| slot.set(error));
}

pub fn take_callback_error() -> usize {
    CALLBACK_ERROR
        .try_with(|error| error.replace(0))
        .unwrap_or(0)
}

/// Records `error` as this thread's last error and returns its status.
pub fn record(error: &Error) -> nt_status {
    // A panic payload could carry a NUL; keep the message printable rather than losing it.
    let message = CString::new(error.to_string().replace('\0', "\\0")).unwrap_or_default();
    // try_with: during thread teardown the slot may be gone; the status still gets through.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = message);
    error.status()
}

/// A static, human-readable description of a status code.
///
/// `status` is a `nt_status` value; numbers this library does not know give
/// "unknown nt_status value". The returned string is never NULL and must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn nt_status_str(status: u32) -> *const c_char {
    catch_panic(c"unknown nt_status value".as_ptr(), || {
        nt_status::from_code(status)
            .map_or(c"unknown nt_status value", nt_status::description)
            .as_ptr()
    })
}

/// A human-readable message about the latest failed call on the calling thread, naming the
/// argument at fault, e.g. "nicks[2]: nick is not valid UTF-8".
///
/// Like `errno`, it is only meaningful right after a call returned something other than
/// NT_STATUS_OK; successful calls leave it as it was. It is "" before any failure.
/// Never NULL. The string is owned by the library and stays valid until the next failed
/// call on the same thread; copy it to keep it.
#[unsafe(no_mangle)]
pub extern "C" fn nt_last_error_message() -> *const c_char {
    catch_panic(c"".as_ptr(), || {
        LAST_ERROR
            .try_with(|slot| slot.borrow().as_ptr())
            .unwrap_or(c"".as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::ffi::CStr;

    use super::*;

    fn last_error() -> String {
        // SAFETY: nt_last_error_message never returns NULL and the string lives until the
        // next failure on this thread, which cannot happen while we copy it.
        unsafe { CStr::from_ptr(nt_last_error_message()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn every_status_has_its_own_description_and_code() {
        let descriptions: HashSet<&CStr> = nt_status::ALL
            .iter()
            .map(|status| status.description())
            .collect();
        assert_eq!(descriptions.len(), nt_status::ALL.len());
        for (code, status) in nt_status::ALL.into_iter().enumerate() {
            assert_eq!(status as usize, code, "codes are dense and fixed");
            assert_eq!(nt_status::from_code(code as u32), Some(status));
        }
        assert_eq!(nt_status::from_code(nt_status::ALL.len() as u32), None);
    }

    #[test]
    fn status_str_handles_unknown_codes() {
        // SAFETY: nt_status_str returns a static NUL-terminated string.
        let text = |code| unsafe { CStr::from_ptr(nt_status_str(code)) };
        assert_eq!(text(0), c"success");
        assert_eq!(text(6), c"output buffer is too small");
        assert_eq!(text(999), c"unknown nt_status value");
        assert_eq!(text(u32::MAX), c"unknown nt_status value");
    }

    #[test]
    fn each_error_maps_to_one_status() {
        let errors = [
            (Error::null("tracker"), nt_status::NullArgument),
            (
                Error::InvalidNick {
                    arg: "nick".into(),
                    source: NickError::Empty,
                },
                nt_status::NickEmpty,
            ),
            (
                Error::InvalidNick {
                    arg: "nick".into(),
                    source: NickError::TooLong,
                },
                nt_status::NickTooLong,
            ),
            (
                Error::InvalidNick {
                    arg: "nick".into(),
                    source: NickError::NotUtf8,
                },
                nt_status::NickNotUtf8,
            ),
            (
                Error::InvalidNick {
                    arg: "nick".into(),
                    source: NickError::ContainsNul,
                },
                nt_status::NickContainsNul,
            ),
            (
                Error::BufferTooSmall {
                    needed: 2,
                    capacity: 1,
                },
                nt_status::BufferTooSmall,
            ),
            (
                Error::Panic {
                    message: "x".into(),
                },
                nt_status::Panic,
            ),
            (Error::Poisoned, nt_status::Poisoned),
            (
                Error::NickNotActive {
                    nick: "alice".into(),
                },
                nt_status::NickNotActive,
            ),
            (
                LimitError::Nicks { held: 1, limit: 1 }.into(),
                nt_status::NickLimit,
            ),
            (
                LimitError::Directories { limit: 1 }.into(),
                nt_status::DirectoryLimit,
            ),
            (
                Error::InvalidArgument {
                    arg: "options",
                    reason: "x".into(),
                },
                nt_status::InvalidArgument,
            ),
            (Error::CallbackFailed, nt_status::CallbackFailed),
            (Error::NoSnapshot { directory: 1 }, nt_status::NoSnapshot),
            (
                Error::ClockWentBackwards { last: 2, now: 1 },
                nt_status::ClockWentBackwards,
            ),
            (
                Error::NotFound {
                    what: "directory 1".into(),
                },
                nt_status::NotFound,
            ),
        ];
        let statuses: HashSet<u32> = errors.iter().map(|(e, _)| e.status() as u32).collect();
        assert_eq!(statuses.len(), nt_status::ALL.len() - 1, "all but OK");
        for (error, status) in errors {
            assert_eq!(error.status(), status);
        }
    }

    #[test]
    fn last_error_is_per_thread_and_names_the_argument() {
        let error = Error::InvalidNick {
            arg: "nick".into(),
            source: NickError::Empty,
        }
        .for_arg("nicks[2]".into());
        assert_eq!(record(&error), nt_status::NickEmpty);
        assert_eq!(last_error(), "nicks[2]: nick is empty");
        std::thread::spawn(|| assert_eq!(last_error(), ""))
            .join()
            .unwrap();
        assert_eq!(last_error(), "nicks[2]: nick is empty");
    }

    #[test]
    fn nul_in_a_message_is_kept_visible() {
        record(&Error::Panic {
            message: "a\0b".into(),
        });
        assert_eq!(last_error(), "nick-tracker panicked: a\\0b");
    }
}
