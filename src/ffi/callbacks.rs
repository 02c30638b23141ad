//! The callbacks a tracker calls: events (join, leave), the older leave-only callback, and
//! log messages. Everything here runs after the tracker's lock is released.

use std::ffi::{CString, c_char, c_void};

use crate::presence::{Event, EventKind, Events};

/// A callback that receives one nick: the leave callback given to nt_new(), and the visitor
/// given to nt_for_each_active_nick().
///
/// `user_data` is the pointer registered with the callback, passed through untouched.
/// `nick` is a NUL-terminated UTF-8 string of 1..=NT_MAX_NICK_LEN bytes, owned by the library
/// and valid only until the callback returns; copy it to keep it.
///
/// Callbacks run on the thread that made the call, after the tracker's lock is released, so
/// they may call any nt_* function on the same tracker except nt_free(). They must return
/// normally: unwinding out of one (a C++ exception, longjmp) is undefined behaviour.
pub type nt_nick_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, nick: *const c_char)>;

/// What happened to a nick. New kinds may be added; ignore kinds you do not know.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum nt_event_kind {
    /// The nick became active: a connected directory reported it while no other did, or it
    /// returned after being gone, or its directory reconnected.
    Join = 1,
    /// The nick left: no connected directory reports it present any more. Exactly one
    /// LEAVE follows each JOIN (unless the tracker is freed first).
    Leave = 2,
}

/// One event, passed to an nt_event_callback. Valid only until the callback returns.
#[repr(C)]
pub struct nt_event {
    pub kind: nt_event_kind,
    /// NUL-terminated UTF-8, 1..=NT_MAX_NICK_LEN bytes, owned by the library.
    pub nick: *const c_char,
    /// The directory whose report, peerlist, removal or connection change caused the event.
    pub directory: u64,
}

/// The event callback set in nt_options. Same rules as nt_nick_callback: runs on the calling
/// thread after the lock is released, may re-enter the tracker (not nt_free()), must return
/// normally. Events of one call arrive in order: leaves in the order the nicks were first
/// seen, then joins in the order they happened.
pub type nt_event_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const nt_event)>;

/// Severity of a log message, from most to least severe.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum nt_log_level {
    /// Not used by this version; reserved for failures a caller cannot see in a status.
    Error = 1,
    /// A change refused because a limit was reached.
    Warn = 2,
    /// A nick left all directories; a directory was removed, disconnected or reconnected.
    Info = 3,
    /// A nick became active.
    Debug = 4,
}

impl nt_log_level {
    pub fn from_code(code: u32) -> Option<Self> {
        [Self::Error, Self::Warn, Self::Info, Self::Debug]
            .into_iter()
            .find(|&level| level as u32 == code)
    }
}

/// The log callback set in nt_options. Only calls that change a tracker log, after their
/// change (and event callbacks) are done. `message` is NUL-terminated UTF-8 without a trailing
/// newline, valid until the callback returns. Nicks in messages are quoted with control
/// characters escaped, so a peer cannot forge log lines. Same threading rules as
/// nt_event_callback.
pub type nt_log_callback = Option<
    unsafe extern "C" fn(user_data: *mut c_void, level: nt_log_level, message: *const c_char),
>;

/// The callbacks of one tracker, fixed at creation.
pub struct Listeners {
    pub on_leave: nt_nick_callback,
    pub on_event: nt_event_callback,
    pub event_user_data: *mut c_void,
    pub on_log: nt_log_callback,
    pub log_user_data: *mut c_void,
    pub log_level: nt_log_level,
}

impl Listeners {
    /// Hands `events` to the event or leave callback, then logs them. Must be called without
    /// the tracker's lock held.
    ///
    /// # Safety
    /// The callbacks and user data must be callable as their creator promised (nt_new and
    /// nt_new_with_options document this: valid until nt_free()).
    pub unsafe fn deliver(&self, events: &Events) {
        if events.is_empty() {
            return;
        }
        if self.on_event.is_some() || self.on_leave.is_some() {
            let nicks = NulTerminatedNicks::new(events.iter().map(|event| event.nick));
            for (event, nick) in events.iter().zip(nicks.iter()) {
                // SAFETY: per this function's contract.
                unsafe { self.notify(&event, nick) };
            }
        }
        for event in events.iter() {
            match event.kind {
                EventKind::Join => self.log(nt_log_level::Debug, || {
                    format!(
                        "nick {:?} is active (directory {})",
                        event.nick, event.directory
                    )
                }),
                EventKind::Leave => self.log(nt_log_level::Info, || {
                    format!(
                        "nick {:?} has left all directories (last: directory {})",
                        event.nick, event.directory
                    )
                }),
            }
        }
    }

    /// # Safety
    /// As for [`Listeners::deliver`]; `nick` is the event's nick as a C string.
    unsafe fn notify(&self, event: &Event, nick: &[u8]) {
        let nick = nick.as_ptr().cast::<c_char>();
        if let Some(on_event) = self.on_event {
            let kind = match event.kind {
                EventKind::Join => nt_event_kind::Join,
                EventKind::Leave => nt_event_kind::Leave,
            };
            let event = nt_event {
                kind,
                nick,
                directory: event.directory,
            };
            // SAFETY: the event and its nick outlive the call; the callback and user data
            // are valid per this function's contract.
            unsafe { on_event(self.event_user_data, &event) };
        }
        if let (Some(on_leave), EventKind::Leave) = (self.on_leave, event.kind) {
            // SAFETY: as above.
            unsafe { on_leave(self.event_user_data, nick) };
        }
    }

    /// Sends a message to the log callback if there is one and `level` is enabled; the
    /// message is only formatted then.
    pub fn log(&self, level: nt_log_level, message: impl FnOnce() -> String) {
        let Some(on_log) = self.on_log else { return };
        if level > self.log_level {
            return;
        }
        // Messages are built from nicks and numbers, which contain no NUL.
        let Ok(message) = CString::new(message()) else {
            return;
        };
        // SAFETY: the creator of the tracker promised on_log may be called with
        // log_user_data until nt_free(); the message outlives the call.
        unsafe { on_log(self.log_user_data, level, message.as_ptr()) };
    }
}

/// Nicks packed back to back as C strings: one allocation however many nicks there are.
pub struct NulTerminatedNicks(Vec<u8>);

impl NulTerminatedNicks {
    pub fn new<'n>(nicks: impl IntoIterator<Item = &'n str>) -> Self {
        let mut bytes = Vec::new();
        for nick in nicks {
            bytes.extend_from_slice(nick.as_bytes());
            bytes.push(0);
        }
        NulTerminatedNicks(bytes)
    }

    /// Each nick with its terminating NUL. Nicks never contain NUL, so each chunk is exactly
    /// one nick.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.0.split_inclusive(|&byte| byte == 0)
    }

    /// # Safety
    /// `callback` must be safe to call with `user_data` and a nick.
    pub unsafe fn deliver(
        &self,
        callback: unsafe extern "C" fn(*mut c_void, *const c_char),
        user_data: *mut c_void,
    ) {
        for nick in self.iter() {
            // SAFETY: `nick` is NUL-terminated and outlives the call; the callback itself is
            // safe to call per this function's contract.
            unsafe { callback(user_data, nick.as_ptr().cast()) };
        }
    }
}
