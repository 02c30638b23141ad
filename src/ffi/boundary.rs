//! The edge of the C ABI: panic containment and the checks that turn raw C arguments into
//! Rust values. Every exported function runs its body through [`catch_panic`] or [`call`],
//! and reads its pointer arguments only through the helpers here.

use std::any::Any;
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;

use super::status::{Error, forget_callback_error, nt_status, record};
use crate::presence::{MAX_NICK_LEN, Nick, NickError};

/// Runs `body`, returning `fallback` if it panics, so no unwind ever crosses into C.
///
/// `AssertUnwindSafe` is sound here because the only state shared across calls is the tracker
/// behind its mutex, and a panic while that is locked poisons it: later calls report
/// NT_STATUS_POISONED instead of reading half-changed state.
pub fn catch_panic<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Runs a status-returning body: errors and panics become a status plus this thread's
/// last-error message.
pub fn call(body: impl FnOnce() -> Result<(), Error>) -> nt_status {
    forget_callback_error();
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        Err(Error::Panic {
            message: panic_message(payload.as_ref()),
        })
    });
    match outcome {
        Ok(()) => nt_status::Ok,
        Err(error) => record(&error),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Checks that a pointer argument is not NULL.
pub fn non_null<T>(ptr: *mut T, arg: &'static str) -> Result<NonNull<T>, Error> {
    NonNull::new(ptr).ok_or_else(|| Error::null(arg))
}

/// Borrows the object behind a non-NULL pointer argument.
///
/// # Safety
/// If not NULL, `ptr` must point to a live, properly aligned `T` that nothing mutates
/// (except through interior mutability) for `'a`.
pub unsafe fn borrow<'a, T>(ptr: *const T, arg: &'static str) -> Result<&'a T, Error> {
    // SAFETY: NULL is handled by as_ref; any other value is valid per this function's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::null(arg))
}

/// Reads a C string argument as a nick, scanning at most `MAX_NICK_LEN + 1` bytes for the
/// terminator so an unterminated or huge string is rejected without reading past the limit.
///
/// # Safety
/// If not NULL, `ptr` must point to a NUL-terminated string, or to at least
/// `MAX_NICK_LEN + 1` readable bytes, that stays unchanged for `'a`.
pub unsafe fn nick_arg<'a>(ptr: *const c_char) -> Result<Nick<'a>, Error> {
    if ptr.is_null() {
        return Err(Error::null("nick"));
    }
    // SAFETY: ptr is not NULL and, per the contract, readable up to its terminator or
    // MAX_NICK_LEN + 1 bytes, whichever is first; strnlen reads no further than that.
    let len = unsafe { strnlen(ptr, MAX_NICK_LEN + 1) };
    // SAFETY: strnlen just established that these `len` bytes are readable.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    Nick::from_bytes(bytes).map_err(|source| Error::InvalidNick {
        arg: "nick".into(),
        source,
    })
}

/// Reads a nick given as a pointer and a length in bytes (no terminator needed), as bindings
/// whose strings carry their length have them.
///
/// # Safety
/// If not NULL, `ptr` must point to `len` readable bytes that stay unchanged for `'a`.
pub unsafe fn nick_bytes_arg<'a>(ptr: *const c_char, len: usize) -> Result<Nick<'a>, Error> {
    if ptr.is_null() {
        return Err(Error::null("nick"));
    }
    let invalid = |source| Error::InvalidNick {
        arg: "nick".into(),
        source,
    };
    if len > MAX_NICK_LEN {
        return Err(invalid(NickError::TooLong));
    }
    // SAFETY: ptr is not NULL and, per the contract, `len` bytes are readable.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    Nick::from_bytes(bytes).map_err(invalid)
}

#[cfg(not(miri))]
use libc::strnlen;

/// Miri cannot call C's strnlen; this does the same scan byte by byte, so the FFI tests run
/// under Miri and it checks every other byte the layer reads.
///
/// # Safety
/// As for C's strnlen.
#[cfg(miri)]
unsafe fn strnlen(ptr: *const c_char, max: usize) -> usize {
    // SAFETY: the caller guarantees readability up to the terminator or `max` bytes.
    (0..max)
        .find(|&i| unsafe { *ptr.add(i) } == 0)
        .unwrap_or(max)
}

/// Rejects a length no real array can have (more than `isize::MAX` bytes), which Rust may not
/// even form a slice of. Any smaller wrong length is the caller's contract violation.
fn check_array_len<T>(len: usize, arg: &'static str) -> Result<(), Error> {
    if len > isize::MAX as usize / size_of::<T>() {
        return Err(Error::InvalidArgument {
            arg,
            reason: format!("{len} is larger than any array can be"),
        });
    }
    Ok(())
}

/// Reads a C array of C strings as nicks, all or nothing. `count == 0` accepts NULL.
///
/// # Safety
/// If `count > 0`, `nicks` must point to `count` readable pointers, each meeting the contract
/// of [`nick_arg`], all unchanged for `'a`.
pub unsafe fn nick_array_arg<'a>(
    nicks: *const *const c_char,
    count: usize,
) -> Result<Vec<Nick<'a>>, Error> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let nicks = non_null(nicks.cast_mut(), "nicks")?;
    check_array_len::<*const c_char>(count, "count")?;
    // SAFETY: non-NULL, and the caller guarantees `count` readable pointers.
    let pointers = unsafe { std::slice::from_raw_parts(nicks.as_ptr().cast_const(), count) };
    pointers
        .iter()
        .enumerate()
        // SAFETY: each entry meets nick_arg's contract per this function's contract.
        .map(|(index, &ptr)| {
            // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
            unsafe { nick_arg(ptr) }.map_err(|e| e.for_arg(format!("nicks[{index}]")))
        })
        .collect()
}

/// Borrows a C array of `count` values. `count == 0` accepts NULL.
///
/// # Safety
/// If `count > 0`, `array` must point to `count` readable, initialised values that stay
/// unchanged for `'a`.
pub unsafe fn array_arg<'a, T>(
    array: *const T,
    count: usize,
    arg: &'static str,
) -> Result<&'a [T], Error> {
    if count == 0 {
        return Ok(&[]);
    }
    let array = non_null(array.cast_mut(), arg)?;
    check_array_len::<T>(count, "count")?;
    // SAFETY: non-NULL, and the caller guarantees `count` readable values.
    Ok(unsafe { std::slice::from_raw_parts(array.as_ptr().cast_const(), count) })
}

/// Borrows `len` bytes meant as a packed peerlist (NUL-terminated nicks back to back), not
/// yet validated: the tracker validates them as it syncs, checking only what differs from
/// the directory's last peerlist. `len == 0` (an empty list) accepts NULL.
///
/// # Safety
/// If `len > 0`, `packed` must point to `len` readable bytes that stay unchanged for `'a`.
pub unsafe fn packed_bytes_arg<'a>(packed: *const c_char, len: usize) -> Result<&'a [u8], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    let packed = non_null(packed.cast_mut(), "nicks")?;
    check_array_len::<u8>(len, "len")?;
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(packed.as_ptr().cast::<u8>(), len) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::PackedNicks;

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let status = call(|| panic!("boom {}", 7));
        assert_eq!(status, nt_status::Panic);
        // SAFETY: the message is NUL-terminated and valid until the next failure here.
        let message =
            unsafe { std::ffi::CStr::from_ptr(super::super::status::nt_last_error_message()) };
        assert_eq!(message.to_str().unwrap(), "nick-tracker panicked: boom 7");
        assert_eq!(catch_panic(5, || panic!("static")), 5);
    }

    #[test]
    fn nick_arg_reads_at_most_one_byte_past_the_limit() {
        // Exactly MAX_NICK_LEN + 1 readable bytes with no terminator: rejected as too long
        // without reading further (Miri or valgrind would flag an over-read).
        let unterminated = vec![b'x'; MAX_NICK_LEN + 1];
        // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
        let error = unsafe { nick_arg(unterminated.as_ptr().cast()) }.unwrap_err();
        assert_eq!(error.status(), nt_status::NickTooLong);

        let longest = format!("{}\0", "y".repeat(MAX_NICK_LEN));
        // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
        let nick = unsafe { nick_arg(longest.as_ptr().cast()) }.unwrap();
        assert_eq!(nick.as_str().len(), MAX_NICK_LEN);
    }

    #[test]
    fn a_nick_with_a_length_needs_no_terminator_and_may_not_hold_one() {
        // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
        let read = |bytes: &[u8]| unsafe { nick_bytes_arg(bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(read(b"alice").unwrap().as_str(), "alice");
        let status = |bytes: &[u8]| read(bytes).unwrap_err().status();
        assert_eq!(status(b""), nt_status::NickEmpty);
        assert_eq!(status(b"al\0ce"), nt_status::NickContainsNul);
        assert_eq!(status(b"\xff"), nt_status::NickNotUtf8);
        assert_eq!(status(&[b'x'; MAX_NICK_LEN + 1]), nt_status::NickTooLong);
        // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
        let null = unsafe { nick_bytes_arg(std::ptr::null(), 0) };
        assert_eq!(null.unwrap_err().status(), nt_status::NullArgument);
    }

    #[test]
    fn packed_nicks_split_at_each_nul_and_name_the_bad_entry() {
        let read = |bytes: &[u8]| {
            // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
            let bytes = unsafe { packed_bytes_arg(bytes.as_ptr().cast(), bytes.len()) }?;
            PackedNicks::new(bytes).map_err(Error::from)
        };
        let nicks = read(b"alice\0bob\0").unwrap();
        assert_eq!(
            nicks.iter().map(|nick| nick.as_str()).collect::<Vec<_>>(),
            ["alice", "bob"]
        );
        assert_eq!(
            read(b"alice\0\0").unwrap_err().to_string(),
            "nicks[1]: nick is empty"
        );
        assert_eq!(
            read(b"a\0\xff\0").unwrap_err().status(),
            nt_status::NickNotUtf8
        );
        assert_eq!(
            read(b"alice").unwrap_err().status(),
            nt_status::InvalidArgument
        );
        let too_long = format!("{}\0", "x".repeat(MAX_NICK_LEN + 1));
        let error = read(too_long.as_bytes());
        assert_eq!(error.unwrap_err().status(), nt_status::NickTooLong);
        assert!(
            // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
            unsafe { packed_bytes_arg(std::ptr::null(), 0) }
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
            unsafe { packed_bytes_arg(std::ptr::null(), 1) }
                .unwrap_err()
                .status(),
            nt_status::NullArgument
        );
    }

    #[test]
    fn nick_array_names_the_bad_entry_and_accepts_empty() {
        let good = c"alice";
        let bad = c"";
        let nicks = [good.as_ptr(), bad.as_ptr()];
        // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
        let error = unsafe { nick_array_arg(nicks.as_ptr(), 2) }.unwrap_err();
        assert!(matches!(
            &error,
            Error::InvalidNick { arg, source: NickError::Empty } if arg == "nicks[1]"
        ));
        let nulls = [good.as_ptr(), std::ptr::null()];
        // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
        let error = unsafe { nick_array_arg(nulls.as_ptr(), 2) }.unwrap_err();
        assert_eq!(error.to_string(), "nicks[1] is NULL");
        assert!(
            // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
            unsafe { nick_array_arg(std::ptr::null(), 0) }
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            // SAFETY: the arguments point into local buffers of the lengths given (or are NULL, which the reader refuses).
            unsafe { nick_array_arg(std::ptr::null(), 1) }
                .unwrap_err()
                .to_string(),
            "nicks is NULL"
        );
    }
}
