//! What counts as a nick.
//!
//! Nicks cross the C ABI as NUL-terminated strings and come back out of it through callbacks,
//! so the rules here are the ones that keep that round trip lossless: non-empty (an empty
//! nick is always a caller bug), bounded (so a missing terminator is caught after a bounded
//! read instead of running off into memory), UTF-8 (so every binding can turn it into a native
//! string), and free of NUL bytes (so the C string handed to a callback is the whole nick).
//!
//! Nothing else is refused: other control characters, spaces and any Unicode are accepted,
//! because a nick is an opaque identifier that must come back byte for byte. Whoever prints
//! one should escape it, as the library's own log messages do.

use thiserror::Error;

/// The longest nick accepted, in bytes (not characters).
///
/// JoinMarket nicks are around 16 bytes; 256 leaves room for other networks while keeping a
/// bounded scan for the terminator of a C string.
pub const MAX_NICK_LEN: usize = 256;

/// Why a string is not a valid nick. Each variant has its own C status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NickError {
    #[error("nick is empty")]
    Empty,
    #[error("nick is longer than {MAX_NICK_LEN} bytes")]
    TooLong,
    #[error("nick is not valid UTF-8")]
    NotUtf8,
    #[error("nick contains a NUL byte")]
    ContainsNul,
}

/// A string that has passed the nick rules; the tracker's mutating methods only take these,
/// so they cannot fail and a batch can be validated completely before anything changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nick<'a>(&'a str);

impl<'a> Nick<'a> {
    /// Checks `nick` against the rules above.
    pub fn new(nick: &'a str) -> Result<Self, NickError> {
        Self::check_shape(nick.as_bytes())?;
        Ok(Nick(nick))
    }

    /// A piece of a [`Peerlist`](super::Peerlist), which validated it when it was built.
    pub(crate) fn from_validated(nick: &'a str) -> Self {
        debug_assert_eq!(Self::new(nick), Ok(Nick(nick)));
        Nick(nick)
    }

    /// Like [`Nick::new`] for raw bytes, as they arrive from C.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, NickError> {
        Self::check_shape(bytes)?;
        std::str::from_utf8(bytes)
            .map(Nick)
            .map_err(|_| NickError::NotUtf8)
    }

    // A plain loop, not `contains`: for nick-sized slices memchr's set-up costs more than the
    // scan (it showed as a sixth of a peerlist replay's profile).
    #[allow(clippy::manual_contains)]
    fn check_shape(bytes: &[u8]) -> Result<(), NickError> {
        if bytes.is_empty() {
            Err(NickError::Empty)
        } else if bytes.len() > MAX_NICK_LEN {
            Err(NickError::TooLong)
        } else if bytes.iter().any(|&byte| byte == 0) {
            Err(NickError::ContainsNul)
        } else {
            Ok(())
        }
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_boundary_nicks() {
        assert_eq!(Nick::new("J5alice").unwrap().as_str(), "J5alice");
        let longest = "x".repeat(MAX_NICK_LEN);
        assert_eq!(Nick::new(&longest).unwrap().as_str(), longest);
        assert_eq!(Nick::new("ñick").unwrap().as_str(), "ñick");
    }

    #[test]
    fn rejects_each_bad_shape_with_its_own_error() {
        assert_eq!(Nick::new(""), Err(NickError::Empty));
        assert_eq!(
            Nick::new(&"x".repeat(MAX_NICK_LEN + 1)),
            Err(NickError::TooLong)
        );
        assert_eq!(Nick::new("a\0b"), Err(NickError::ContainsNul));
        assert_eq!(Nick::from_bytes(b"\xff\xfe"), Err(NickError::NotUtf8));
        assert_eq!(Nick::from_bytes(b""), Err(NickError::Empty));
    }

    #[test]
    fn length_limit_counts_bytes_not_characters() {
        // 129 two-byte characters = 258 bytes.
        assert_eq!(Nick::new(&"é".repeat(129)), Err(NickError::TooLong));
        assert!(Nick::new(&"é".repeat(128)).is_ok());
    }
}
