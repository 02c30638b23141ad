//! The C ABI. This is the only module with `unsafe` code; the header
//! `include/nick_tracker.h` is generated from it by cbindgen (see build.rs), so the doc
//! comments here are the C API's manual.
#![allow(non_camel_case_types)]

// In the order the header presents them (cbindgen follows this order).
mod handle;

mod options;

mod changes;
mod peerlists;

mod queries;

mod callbacks;
mod delivery;

mod status;

mod boundary;

#[cfg(test)]
mod abi_tests;

use std::ffi::{CStr, c_char};

use boundary::catch_panic;

/// Major version of the header. A program can compare these with nt_version() to detect
/// running against a different library than it was compiled with.
pub const NT_VERSION_MAJOR: u32 = 0;
/// Minor version of the header.
pub const NT_VERSION_MINOR: u32 = 3;
/// Patch version of the header.
pub const NT_VERSION_PATCH: u32 = 0;

// The macros above are literals because cbindgen copies literals; these checks make a
// version bump in Cargo.toml that forgets them a compile error.
const _: () = assert!(NT_VERSION_MAJOR == decimal(env!("CARGO_PKG_VERSION_MAJOR")));
const _: () = assert!(NT_VERSION_MINOR == decimal(env!("CARGO_PKG_VERSION_MINOR")));
const _: () = assert!(NT_VERSION_PATCH == decimal(env!("CARGO_PKG_VERSION_PATCH")));

const fn decimal(digits: &str) -> u32 {
    let digits = digits.as_bytes();
    let mut value = 0;
    let mut i = 0;
    while i < digits.len() {
        value = value * 10 + (digits[i] - b'0') as u32;
        i += 1;
    }
    value
}

/// The longest nick accepted, in bytes, not counting the terminating NUL.
pub const NT_MAX_NICK_LEN: usize = 256;
const _: () = assert!(NT_MAX_NICK_LEN == crate::presence::MAX_NICK_LEN);

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the package version contains a NUL byte"),
    };

/// The library's version as "MAJOR.MINOR.PATCH", e.g. "0.3.0". Static; never NULL.
///
/// Returns a string rather than a status because it cannot fail.
#[unsafe(no_mangle)]
pub extern "C" fn nt_version() -> *const c_char {
    catch_panic(VERSION.as_ptr(), || VERSION.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_version_matches_the_header_macros() {
        let header = format!("{NT_VERSION_MAJOR}.{NT_VERSION_MINOR}.{NT_VERSION_PATCH}");
        // SAFETY: nt_version returns a static NUL-terminated string.
        let runtime = unsafe { CStr::from_ptr(nt_version()) };
        assert_eq!(runtime.to_str().unwrap(), header);
        assert_eq!(decimal("1203"), 1203);
    }
}
