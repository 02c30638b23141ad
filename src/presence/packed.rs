//! A directory's peerlist in packed form: every nick's bytes followed by a NUL, back to back.
//!
//! This is the shape a peerlist has on the wire of the C ABI (`nt_sync_peerlist_packed`), and
//! the shape the tracker keeps a directory's last peerlist in (a [`Peerlist`]): a sync
//! compares the new list with the last one run by run, as raw bytes, so the nicks a directory
//! lists again cost a byte comparison instead of a lookup each. Validating and scanning are
//! written as passes over the whole buffer that the compiler vectorizes.

use thiserror::Error;

use super::nick::{MAX_NICK_LEN, Nick, NickError, zero_bytes};

/// A peerlist as packed bytes: every nick valid and followed by a NUL (`b"alice\0bob\0"`;
/// empty for an empty list). Borrowed, like [`Nick`]; [`PackedNicks::new`] validates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackedNicks<'a> {
    /// Only valid nicks, each followed by `'\0'` (a `str`, so slicing yields `&str`).
    text: &'a str,
    len: usize,
}

/// Why bytes are not a packed peerlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PeerlistError {
    #[error("a packed peerlist must end with a NUL byte")]
    Unterminated,
    #[error("nicks[{index}]: {source}")]
    BadNick { index: usize, source: NickError },
}

impl<'a> PackedNicks<'a> {
    /// Checks every nick of `bytes`, naming the first bad one by its position.
    pub fn new(bytes: &'a [u8]) -> Result<Self, PeerlistError> {
        if bytes.is_empty() {
            return Ok(PackedNicks::default());
        }
        if bytes.last() != Some(&0) {
            return Err(PeerlistError::Unterminated);
        }
        // UTF-8 is checked once for the whole buffer (NUL bytes split valid UTF-8 into valid
        // pieces); only if that fails is each nick checked, to name the bad one.
        let text = std::str::from_utf8(bytes).map_err(|_| first_bad_nick(bytes))?;
        let len = check_lengths(bytes)
            .map_err(|(index, source)| PeerlistError::BadNick { index, source })?;
        Ok(PackedNicks { text, len })
    }

    /// The number of nicks (counting repeats).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed bytes: every nick followed by a NUL.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub fn iter(&self) -> impl Iterator<Item = Nick<'a>> + use<'a> {
        // Not `split`: for nick-sized pieces its memchr set-up costs more than a plain scan.
        let (text, mut start) = (self.text, 0);
        (0..self.len).map(move |_| {
            let end = start + first_nul(&text.as_bytes()[start..]);
            let nick = Nick::from_validated(&text[start..end]);
            start = end + 1;
            nick
        })
    }

    /// The nick stored at `range` (from the start of a nick to its NUL, exclusive).
    pub(crate) fn nick_at(&self, range: std::ops::Range<usize>) -> Nick<'a> {
        Nick::from_validated(&self.text[range])
    }

    /// A view of `text`, assembled from valid nicks each followed by a NUL (see
    /// [`Peerlist::assembled`]), `len` of them.
    pub(crate) fn assembled(text: &'a str, len: usize) -> Self {
        debug_assert_eq!(
            PackedNicks::new(text.as_bytes()).map(|list| list.len()),
            Ok(len)
        );
        PackedNicks { text, len }
    }

    /// The packed text, for copying runs of whole nicks out of it.
    pub(crate) fn as_str(&self) -> &'a str {
        self.text
    }
}

/// An owned [`PackedNicks`]: how the tracker keeps a directory's last peerlist. Built in a
/// buffer the caller recycles, so steady syncs of long lists allocate nothing.
#[derive(Debug, Default)]
pub(crate) struct Peerlist {
    text: String,
    len: usize,
}

impl Peerlist {
    /// A list whose `text` was assembled from valid nicks, each followed by a NUL: runs of a
    /// valid list's text and nicks checked one by one. `len` is how many there are.
    pub(crate) fn assembled(text: String, len: usize) -> Self {
        PackedNicks::assembled(&text, len);
        Peerlist { text, len }
    }

    #[cfg(test)]
    pub(crate) fn pack(nicks: &[Nick<'_>], buffer: String) -> Self {
        let size = nicks.iter().map(|nick| nick.as_str().len() + 1).sum();
        let mut buffer = Self::recycle(buffer, size);
        for nick in nicks {
            buffer.push_str(nick.as_str());
            buffer.push('\0');
        }
        Peerlist {
            text: buffer,
            len: nicks.len(),
        }
    }

    /// `buffer`, emptied, if it can hold `size` bytes; else a new one, with 1/64 to spare:
    /// buffers pass from directory to directory, and lists of about the same length should
    /// fit without a new allocation each time (that cost 7% of a trace replay), but the
    /// buffer is kept as a directory's last peerlist, so slack counts in memory per pair.
    /// Not grown in place: that would copy the stale contents along.
    pub(crate) fn recycle(mut buffer: String, size: usize) -> String {
        if buffer.capacity() < size {
            return String::with_capacity(size + size / 64);
        }
        buffer.clear();
        buffer
    }

    pub(crate) fn view(&self) -> PackedNicks<'_> {
        PackedNicks {
            text: &self.text,
            len: self.len,
        }
    }

    pub(crate) fn into_buffer(self) -> String {
        self.text
    }
}

fn check_length(len: usize) -> Result<(), NickError> {
    match len {
        0 => Err(NickError::Empty),
        len if len > MAX_NICK_LEN => Err(NickError::TooLong),
        _ => Ok(()),
    }
}

/// Checks that every nick in `bytes` (NUL-terminated, back to back) is 1 to MAX_NICK_LEN
/// bytes long; returns how many there are, or the index of the first bad one and why.
///
/// Written as whole-buffer passes without early exits, which the compiler vectorizes: a
/// count of the NULs, a test for two NULs in a row (an empty nick), and a test that every
/// aligned 128-byte block holds a NUL. A nick over 256 bytes would leave one block without,
/// so only then (or for an empty nick) are the nicks walked one by one, to find and name it.
fn check_lengths(bytes: &[u8]) -> Result<usize, (usize, NickError)> {
    let count = count_nuls(bytes);
    let empty = bytes[0] == 0
        || bytes[1..]
            .iter()
            .zip(bytes)
            .fold(false, |seen, (&byte, &before)| seen | (byte | before == 0));
    const BLOCK: usize = 128;
    const _: () = assert!(2 * BLOCK < MAX_NICK_LEN + 1);
    let long_gap = bytes
        .chunks_exact(BLOCK)
        .any(|block| !block.iter().fold(false, |seen, &byte| seen | (byte == 0)));
    if empty || long_gap {
        let body = &bytes[..bytes.len() - 1];
        for (index, nick) in body.split(|&byte| byte == 0).enumerate() {
            check_length(nick.len()).map_err(|source| (index, source))?;
        }
    }
    Ok(count)
}

/// The error for the first nick of a packed peerlist that is not valid UTF-8 (or, before it,
/// any nick that breaks another rule, so the index is that of the first bad nick).
fn first_bad_nick(bytes: &[u8]) -> PeerlistError {
    bytes[..bytes.len() - 1]
        .split(|&byte| byte == 0)
        .enumerate()
        .find_map(|(index, nick)| {
            let source = Nick::from_bytes(nick).err()?;
            Some(PeerlistError::BadNick { index, source })
        })
        .expect("some nick is not UTF-8")
}

/// How many NUL bytes `bytes` holds. Counted in `u8`s, 255 bytes at a time: the compiler
/// vectorizes that 16 bytes per instruction, ten times faster than counting in `usize`s.
fn count_nuls(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| usize::from(chunk.iter().fold(0u8, |n, &byte| n + u8::from(byte == 0))))
        .sum()
}

/// The whole nicks at the start of `bytes`: how many NULs it holds, and the length of the
/// prefix that ends with the last of them (0 if none).
pub(crate) fn whole_nicks(bytes: &[u8]) -> (usize, usize) {
    // The last NUL is near the end.
    let count = count_nuls(bytes);
    let end = bytes
        .iter()
        .rposition(|&byte| byte == 0)
        .map_or(0, |at| at + 1);
    (count, end)
}

/// The length of the longest common prefix of `a` and `b`, compared 32 bytes at a time
/// (fixed-size array comparisons compile to vector compares).
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 32;
    let shorter = a.len().min(b.len());
    let mut at = 0;
    while at + CHUNK <= shorter {
        let chunk =
            |bytes: &[u8]| <[u8; CHUNK]>::try_from(&bytes[at..at + CHUNK]).expect("a chunk");
        if chunk(a) != chunk(b) {
            break;
        }
        at += CHUNK;
    }
    at + a[at..shorter]
        .iter()
        .zip(&b[at..shorter])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The offset of the first NUL in `bytes` (which must hold one), found 8 bytes at a time:
/// nicks are short, so this beats both a byte loop and memchr's set-up.
pub(crate) fn first_nul(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let zeros = zero_bytes(word);
        if zeros != 0 {
            return at + zeros.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&byte| byte == 0)
        .expect("every packed nick ends with a NUL")
}

/// Whether two nicks are equal, inline: nicks differ within their first few bytes (or in
/// length), so this is quicker than a call to memcmp.
pub(crate) fn same_nick(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn packed(nicks: &[&str]) -> Vec<u8> {
        nicks.iter().flat_map(|n| n.bytes().chain([0])).collect()
    }

    #[test]
    fn packed_bytes_round_trip_through_the_nicks() {
        let bytes = packed(&["alice", "bob", "ñ"]);
        let list = PackedNicks::new(&bytes).unwrap();
        assert_eq!(list.len(), 3);
        let nicks: Vec<&str> = list.iter().map(|n| n.as_str()).collect();
        assert_eq!(nicks, ["alice", "bob", "ñ"]);
        let nicks: Vec<Nick<'_>> = list.iter().collect();
        let recycled = String::from("leftovers");
        assert_eq!(Peerlist::pack(&nicks, recycled).view(), list);
        assert_eq!(PackedNicks::new(&[]).unwrap().len(), 0);
        assert_eq!(PackedNicks::new(&[]).unwrap().iter().count(), 0);
    }

    #[test]
    fn the_first_bad_nick_is_named() {
        let error = |bytes: &[u8]| PackedNicks::new(bytes).unwrap_err();
        assert_eq!(error(b"alice"), PeerlistError::Unterminated);
        let bad = |index, source| PeerlistError::BadNick { index, source };
        assert_eq!(error(b"a\0\0b\0"), bad(1, NickError::Empty));
        assert_eq!(error(b"\0"), bad(0, NickError::Empty));
        let long = [vec![b'x'; MAX_NICK_LEN + 1], vec![0]].concat();
        assert_eq!(error(&long), bad(0, NickError::TooLong));
        assert_eq!(error(b"ok\0\xff\0\0"), bad(1, NickError::NotUtf8));
        assert_eq!(error(b"\0\xff\0"), bad(0, NickError::Empty));
        let longest = [vec![b'y'; MAX_NICK_LEN], vec![0]].concat();
        assert_eq!(PackedNicks::new(&longest).unwrap().len(), 1);
    }

    /// The index and error of the first bad nick, found the obvious way.
    fn first_bad_length(lengths: &[usize]) -> Option<(usize, NickError)> {
        lengths
            .iter()
            .enumerate()
            .find_map(|(index, &len)| Some((index, check_length(len).err()?)))
    }

    // Proptest cases are many and proptest reads the working directory, which Miri's
    // isolation refuses; these functions are plain safe Rust, so Miri skips them.
    proptest! {
        #[test]
        #[cfg_attr(miri, ignore)]
        fn lengths_are_checked_exactly(
            lengths in proptest::collection::vec(
                prop_oneof![0..3usize, 125..131usize, 254..259usize, 10..20usize], 1..12),
        ) {
            let bytes: Vec<u8> = lengths.iter().flat_map(|&len| vec![b'n'; len].into_iter().chain([0])).collect();
            let expected = match first_bad_length(&lengths) {
                Some((index, source)) => Err(PeerlistError::BadNick { index, source }),
                None => Ok(lengths.len()),
            };
            prop_assert_eq!(PackedNicks::new(&bytes).map(|list| list.len()), expected);
        }

        #[test]
        #[cfg_attr(miri, ignore)]
        fn fast_scans_agree_with_byte_by_byte_scans(
            a in proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0x80), any::<u8>()], 0..300),
            b in proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0x80), any::<u8>()], 0..300),
        ) {
            let nuls: Vec<usize> = (0..a.len()).filter(|&i| a[i] == 0).collect();
            let end = nuls.last().map_or(0, |&i| i + 1);
            prop_assert_eq!(whole_nicks(&a), (nuls.len(), end));
            let expected = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            prop_assert_eq!(common_prefix(&a, &b), expected);
            let mut same = a.clone();
            same.extend_from_slice(&b);
            prop_assert_eq!(common_prefix(&same, &same), same.len());
            if let Some(&first) = nuls.first() {
                prop_assert_eq!(first_nul(&a), first);
            }
            prop_assert_eq!(same_nick(&a, &b), a == b);
            prop_assert!(same_nick(&a, &a.clone()));
        }
    }
}
