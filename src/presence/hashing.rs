//! Keyed hashing and randomness: the index from nick names to records, the hasher for
//! directory ids, and the generator behind random picks.
//!
//! Nick strings come from untrusted peers, so they are hashed with std's keyed SipHash
//! (`RandomState`): a peer cannot choose nicks that collide without knowing the keys. std
//! draws those keys from the operating system's random source once per thread and adds one to
//! the first key for every `RandomState` made after that, so each tracker's keys differ from
//! every other's and none can be predicted from outside the process.

use std::hash::{BuildHasher, Hasher, RandomState};

use hashbrown::HashTable;

use super::slab::Key;

/// Nick name -> record key. The table stores only keys (4 bytes each) and compares names in
/// the records, so each nick's bytes are stored once; every method takes the function that
/// reads a record's name.
pub(crate) struct NickIndex {
    table: HashTable<Key>,
    hasher: RandomState,
}

impl NickIndex {
    pub fn new() -> Self {
        NickIndex {
            table: HashTable::new(),
            hasher: RandomState::new(),
        }
    }

    /// SipHash of the nick's bytes alone (`hash_one` would hash a length prefix too, one more
    /// round for nothing: SipHash already mixes the length into its last block).
    #[inline]
    pub fn hash(&self, nick: &[u8]) -> u64 {
        let mut state = self.hasher.build_hasher();
        state.write(nick);
        state.finish()
    }

    #[inline]
    pub fn find<'n>(&self, hash: u64, nick: &[u8], name: impl Fn(Key) -> &'n [u8]) -> Option<Key> {
        self.table.find(hash, |&key| name(key) == nick).copied()
    }

    /// Adds `key`, whose nick hashes to `hash` and is not in the index yet.
    pub fn insert<'n>(&mut self, hash: u64, key: Key, name: impl Fn(Key) -> &'n [u8]) {
        let hasher = &self.hasher;
        let rehash = |&key: &Key| {
            let mut state = hasher.build_hasher();
            state.write(name(key));
            state.finish()
        };
        self.table.insert_unique(hash, key, rehash);
    }

    /// Removes `key`, whose nick hashes to `hash`.
    pub fn remove(&mut self, hash: u64, key: Key) {
        if let Ok(entry) = self.table.find_entry(hash, |&entry| entry == key) {
            entry.remove();
        }
    }
}

/// Hashes directory ids, which the caller chooses (unlike nicks, they never come from peers),
/// with a randomly keyed folded multiply: a few cycles instead of SipHash's dozens.
#[derive(Clone)]
pub(crate) struct DirectoryIdHasher {
    keys: [u64; 2],
}

impl Default for DirectoryIdHasher {
    fn default() -> Self {
        let random = RandomState::new();
        DirectoryIdHasher {
            keys: [random.hash_one(1u8), random.hash_one(2u8) | 1],
        }
    }
}

impl BuildHasher for DirectoryIdHasher {
    type Hasher = DirectoryIdHash;

    fn build_hasher(&self) -> DirectoryIdHash {
        DirectoryIdHash {
            keys: self.keys,
            hash: 0,
        }
    }
}

pub(crate) struct DirectoryIdHash {
    keys: [u64; 2],
    hash: u64,
}

impl Hasher for DirectoryIdHash {
    fn write_u64(&mut self, id: u64) {
        // Both halves of the 128-bit product, so high and low bits of the id both matter.
        let product = u128::from(id ^ self.keys[0]) * u128::from(self.keys[1]);
        self.hash = (product as u64) ^ ((product >> 64) as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(self.hash.rotate_left(8) ^ u64::from(byte));
        }
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A small, fast generator for random picks, seeded from std's random keys. Picks need to be
/// unpredictable enough to spread messages, not cryptographic.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub fn from_entropy() -> Self {
        SplitMix64(RandomState::new().hash_one(0u64))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (Lemire's multiply-shift; the bias for bound <= 2^32 is below
    /// 2^-32, far below anything observable here).
    pub fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next()) * bound as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_what_was_inserted_until_it_is_removed() {
        let names: Vec<&[u8]> = vec![b"alice", b"bob", b"carol"];
        let name = |key: Key| names[key as usize];
        let mut index = NickIndex::new();
        for (key, nick) in names.iter().enumerate() {
            index.insert(index.hash(nick), key as Key, name);
        }
        assert_eq!(index.find(index.hash(b"bob"), b"bob", name), Some(1));
        assert_eq!(index.find(index.hash(b"dave"), b"dave", name), None);
        index.remove(index.hash(b"bob"), 1);
        assert_eq!(index.find(index.hash(b"bob"), b"bob", name), None);
        assert_eq!(index.find(index.hash(b"carol"), b"carol", name), Some(2));
    }

    #[test]
    fn two_indexes_hash_differently() {
        let (a, b) = (NickIndex::new(), NickIndex::new());
        assert_ne!(a.hash(b"alice"), b.hash(b"alice"));
    }

    #[test]
    fn picks_stay_below_the_bound_and_cover_it() {
        let mut rng = SplitMix64::from_entropy();
        let mut seen = [false; 5];
        for _ in 0..1000 {
            seen[rng.below(5)] = true;
        }
        assert!(seen.iter().all(|&seen| seen));
    }
}
