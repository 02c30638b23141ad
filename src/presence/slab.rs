//! A vector with stable `u32` keys and slot reuse.
//!
//! Nicks and directories refer to each other by these keys instead of by name or by pointer:
//! 4 bytes per reference, no hashing to follow one, and no `unsafe`. A slot's generation
//! counts its removals, so that a reference kept for later (an expiry deadline) can tell
//! whether its slot still holds the same entry.

use std::ops::{Index, IndexMut};

pub type Key = u32;

pub struct Slab<T> {
    entries: Vec<Option<T>>,
    generations: Vec<u32>,
    vacant: Vec<Key>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            generations: Vec::new(),
            vacant: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    pub fn len(&self) -> usize {
        self.entries.len() - self.vacant.len()
    }

    pub fn get(&self, key: Key) -> Option<&T> {
        self.entries.get(key as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        self.entries.get_mut(key as usize)?.as_mut()
    }

    pub fn insert(&mut self, value: T) -> Key {
        if let Some(key) = self.vacant.pop() {
            self.entries[key as usize] = Some(value);
            return key;
        }
        // Key::MAX is never handed out, so callers may use it as a placeholder.
        let key = Key::try_from(self.entries.len())
            .ok()
            .filter(|&key| key != Key::MAX)
            .expect("fewer than u32::MAX live entries");
        self.entries.push(Some(value));
        self.generations.push(0);
        key
    }

    /// How many times the slot at `key` has been vacated: with the key, it names one entry
    /// for good.
    pub fn generation(&self, key: Key) -> u32 {
        self.generations.get(key as usize).copied().unwrap_or(0)
    }

    /// Removes and returns the entry at `key`, which must be occupied.
    pub fn remove(&mut self, key: Key) -> T {
        let value = self.entries[key as usize]
            .take()
            .expect("slab key refers to a vacant slot");
        self.generations[key as usize] = self.generations[key as usize].wrapping_add(1);
        self.vacant.push(key);
        value
    }

    pub fn iter(&self) -> impl Iterator<Item = (Key, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(key, entry)| Some((key as Key, entry.as_ref()?)))
    }
}

impl<T> Index<Key> for Slab<T> {
    type Output = T;

    fn index(&self, key: Key) -> &T {
        self.entries[key as usize]
            .as_ref()
            .expect("slab key refers to a vacant slot")
    }
}

impl<T> IndexMut<Key> for Slab<T> {
    fn index_mut(&mut self, key: Key) -> &mut T {
        self.entries[key as usize]
            .as_mut()
            .expect("slab key refers to a vacant slot")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_stable_and_vacant_slots_are_reused() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(slab.remove(a), "a");
        assert_eq!(slab[b], "b");
        assert_eq!(
            (slab.get(a), slab.get(b), slab.get(7)),
            (None, Some(&"b"), None)
        );
        assert_eq!(slab.len(), 1);
        let c = slab.insert("c");
        assert_eq!(c, a, "the vacant slot is reused");
        assert_eq!(
            (slab.generation(a), slab.generation(b)),
            (1, 0),
            "with a new generation"
        );
        assert_eq!(slab.iter().collect::<Vec<_>>(), [(a, &"c"), (b, &"b")]);
    }
}
