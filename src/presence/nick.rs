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

    /// A piece of a packed list that was validated when it was built.
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

    fn check_shape(bytes: &[u8]) -> Result<(), NickError> {
        if bytes.is_empty() {
            Err(NickError::Empty)
        } else if bytes.len() > MAX_NICK_LEN {
            Err(NickError::TooLong)
        } else if has_nul(bytes) {
            Err(NickError::ContainsNul)
        } else {
            Ok(())
        }
    }

    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// Whether `bytes` holds a NUL, tested 8 bytes at a time: nicks are short, so this beats
/// both a byte loop and memchr's set-up (which showed as a sixth of a peerlist replay).
#[allow(clippy::manual_contains)] // `contains` is memchr
fn has_nul(bytes: &[u8]) -> bool {
    let (words, rest) = bytes.as_chunks::<8>();
    words
        .iter()
        .any(|&word| zero_bytes(u64::from_le_bytes(word)) != 0)
        || rest.iter().any(|&byte| byte == 0)
}

/// The top bit of every byte of `word` that is zero, and no other bit: adding 0x7f to the
/// low seven bits of a byte carries into its top bit unless they are all zero, and or-ing
/// in the byte itself sets the top bit of any byte whose own top bit is set.
pub(crate) fn zero_bytes(word: u64) -> u64 {
    const LOW_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((word & LOW_BITS).wrapping_add(LOW_BITS)) | word | LOW_BITS)
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
        for at in 0..20 {
            let mut name = vec![b'n'; 20];
            name[at] = 0;
            assert_eq!(
                Nick::from_bytes(&name),
                Err(NickError::ContainsNul),
                "NUL at {at}"
            );
            name[at] = 0x80; // a byte with its top bit set is not a NUL
            assert_eq!(Nick::from_bytes(&name), Err(NickError::NotUtf8));
        }
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
