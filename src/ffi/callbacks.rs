//! The callbacks a tracker calls (events, the leave-only callback, log messages), their C
//! types, and how one call's events and log lines reach them. When and on which thread they
//! run is [`super::delivery`]'s business.

use std::cell::RefCell;
use std::ffi::{CString, c_char, c_void};

use crate::presence::{Event, EventKind, Events, MAX_NICK_LEN};

/// A callback that receives one nick: the leave callback given to nt_new(), and the visitor
/// given to nt_for_each_active_nick().
///
/// `user_data` is the pointer registered with the callback, passed through untouched.
/// `nick` is a NUL-terminated UTF-8 string of 1..=NT_MAX_NICK_LEN bytes, owned by the library
/// and valid only until the callback returns; copy it to keep it.
///
/// A leave callback is an event callback that sees leaves only: everything said of
/// nt_event_callback holds for it (order, threads, re-entry). Callbacks must return normally:
/// unwinding out of one (a C++ exception, longjmp) is undefined behaviour.
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
    /// LEAVE follows each JOIN of the same nick, in `seq` order (unless the tracker is freed
    /// first).
    Leave = 2,
}

/// One event, passed to an nt_event_callback. Valid only until the callback returns.
///
/// Events are numbered: `seq` is 1 for a tracker's first event and one more for each event
/// after it, in the order the tracker made the changes. On one thread, a tracker's callbacks
/// see its events in `seq` order. Callbacks on different threads may see them interleaved
/// out of order; a consumer that keeps, per nick, the `seq` of the last event it applied and
/// ignores older ones ends in agreement with the tracker once every call has returned. New
/// fields may be added at the end of this struct.
#[repr(C)]
pub struct nt_event {
    pub kind: nt_event_kind,
    /// NUL-terminated UTF-8, 1..=NT_MAX_NICK_LEN bytes, owned by the library.
    pub nick: *const c_char,
    /// The directory whose report, peerlist, removal or connection change caused the event.
    pub directory: u64,
    /// The event's number: strictly increasing in the order the tracker made its changes.
    pub seq: u64,
}

/// The event callback set in nt_options.
///
/// When: every call that changes the tracker delivers its events before it returns, after
/// releasing the tracker's lock, on the thread that made the call; the callback may call any
/// nt_* function on the tracker, except nt_free(). A call made from inside a callback of the
/// same tracker on the same thread delivers nothing itself: its events are queued behind
/// those still to be delivered, and the outermost call delivers them before it returns, so
/// one thread always sees the tracker's events in `seq` order.
///
/// Threads: calls on several threads deliver on their own threads, so a tracker's callbacks
/// may run concurrently; see nt_event for putting events from several threads in order. No
/// call waits for a callback running on another thread.
///
/// Order within a call: leaves in the order the nicks were first seen (in their current
/// presence period, as jmcore reports them), then joins in the order they happened (list
/// order for a peerlist). A single report makes at most one event.
///
/// The callback must return normally (no longjmp, no C++ exception). A binding whose
/// callbacks can fail reports it with nt_report_callback_error().
pub type nt_event_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const nt_event)>;

/// Severity of a log message, from most to least severe.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum nt_log_level {
    /// A misuse the library refused without a status to report it in (nt_free() from
    /// inside one of the tracker's own callbacks).
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
/// events; messages are delivered with the events, under the same rules as
/// nt_event_callback. `message` is NUL-terminated UTF-8 without a trailing newline, valid
/// until the callback returns. Nicks in messages are quoted with control characters escaped,
/// so a peer cannot forge log lines.
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

/// What one call leaves for the callbacks: its events, then its own log lines.
#[derive(Default)]
pub struct Batch {
    events: Events,
    logs: Vec<(nt_log_level, String)>,
}

thread_local! {
    /// Batches delivered on this thread, kept for the next calls: a call's events are copied
    /// into one without allocating once the thread has delivered a few.
    static SPARE: RefCell<Vec<Batch>> = const { RefCell::new(Vec::new()) };
}

impl Batch {
    /// A copy of a call's events (made under the tracker's lock, delivered after it).
    pub fn of(events: &Events) -> Self {
        if events.is_empty() {
            return Batch::default(); // most calls: nothing to copy, nothing allocated
        }
        let spare = SPARE.try_with(|spare| spare.borrow_mut().pop());
        let mut batch = spare.ok().flatten().unwrap_or_default();
        batch.events.extend_from(events);
        batch
    }

    /// Empties a delivered batch and keeps it for a later call on this thread.
    pub fn recycle(mut self) {
        self.events.clear();
        self.logs.clear();
        let _ = SPARE.try_with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.len() < 4 {
                spare.push(self);
            }
        });
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.logs.is_empty()
    }

    pub fn events(&self) -> &Events {
        &self.events
    }

    /// Adds a log line, if `listeners` would pass it on; the message is only made then.
    pub fn log(
        &mut self,
        listeners: &Listeners,
        level: nt_log_level,
        message: impl FnOnce() -> String,
    ) {
        if listeners.logs(level) {
            self.logs.push((level, message()));
        }
    }
}

impl Listeners {
    /// Whether a message at `level` reaches the log callback.
    pub fn logs(&self, level: nt_log_level) -> bool {
        self.on_log.is_some() && level <= self.log_level
    }

    /// Hands `batch`'s events to the event or leave callback, then its log lines (those of
    /// the events first) to the log callback.
    ///
    /// # Safety
    /// The callbacks and user data must be callable as their creator promised (nt_new and
    /// nt_new_with_options document this: valid until nt_free()).
    pub unsafe fn deliver(&self, batch: &Batch) {
        if self.on_event.is_some() || self.on_leave.is_some() {
            for event in batch.events.iter() {
                // SAFETY: per this function's contract.
                unsafe { self.notify(event) };
            }
        }
        for event in batch.events.iter() {
            let nick = event.nick;
            let directory = event.directory;
            match event.kind {
                EventKind::Join if self.logs(nt_log_level::Debug) => self.log(
                    nt_log_level::Debug,
                    &format!("nick {nick:?} is active (directory {directory})"),
                ),
                EventKind::Leave if self.logs(nt_log_level::Info) => self.log(
                    nt_log_level::Info,
                    &format!(
                        "nick {nick:?} has left all directories (last: directory {directory})"
                    ),
                ),
                _ => {}
            }
        }
        for (level, message) in &batch.logs {
            self.log(*level, message);
        }
    }

    /// # Safety
    /// As for [`Listeners::deliver`].
    unsafe fn notify(&self, event: Event<'_>) {
        // The nick as a C string, on the stack: no allocation per event.
        let mut nick = [0u8; MAX_NICK_LEN + 1];
        nick[..event.nick.len()].copy_from_slice(event.nick.as_bytes());
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
                seq: event.seq,
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

    /// Sends a message to the log callback, if there is one.
    pub fn log(&self, level: nt_log_level, message: &str) {
        let Some(on_log) = self.on_log else { return };
        // Messages are built from nicks and numbers, which contain no NUL.
        let Ok(message) = CString::new(message) else {
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
