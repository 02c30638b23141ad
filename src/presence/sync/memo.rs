//! A directory's memo of its last peerlist: the packed list with each nick's key, and what
//! has changed on the directory since by any other means.
//!
//! The memo is what makes a resent peerlist cheap (see [`super::plan`]), and it is only
//! useful while it is exact: the nicks present on the directory are those of the list, except
//! the ones noted since. So every change to one of the directory's reports that its own
//! peerlists did not make must be noted here, through [`PeerlistMemo::note_changed`]; the
//! tracker does that in the one place reports change ([`NickTracker::set_report`]). When a
//! changed nick is forgotten its key may be given to another nick, so
//! [`PeerlistMemo::note_forgotten`] marks the key stale.
//!
//! [`NickTracker::set_report`]: super::super::NickTracker

use crate::presence::packed::Peerlist;
use crate::presence::records::NickKey;

/// Past this many notes between two peerlists of a directory, the memo is dropped and the
/// directory's next peerlist takes the general path.
const MAX_NOTES: usize = 1024;

#[derive(Default)]
pub(crate) struct PeerlistMemo {
    /// The last peerlist, while it can be vouched for.
    last: Option<LastPeerlist>,
    /// Held nicks whose report here changed since, with repeats.
    changed: Vec<NickKey>,
    /// Keys of changed nicks that were then forgotten: they may belong to other nicks now.
    forgotten: Vec<NickKey>,
    /// A 4096-bit filter of the keys in `changed` and `forgotten`.
    noted: Filter,
}

/// A directory's last peerlist, without repeats, with each nick's key in list order.
pub(crate) struct LastPeerlist {
    pub list: Peerlist,
    pub keys: Vec<NickKey>,
    /// When it was received (clock milliseconds): the last time every nick of it was seen,
    /// for those not changed since (the sync did not touch them one by one).
    pub listed_at: u64,
}

/// The nicks a dropped memo vouched for and when they were listed, for the tracker to write
/// into their reports: once the memo is gone, the reports alone say when a nick was seen.
pub(crate) struct Listing {
    pub keys: Vec<NickKey>,
    pub at: u64,
}

impl PeerlistMemo {
    /// The last peerlist and what changed since, if the memo is exact.
    pub fn reference(&self) -> Option<(&LastPeerlist, SinceLastSync)> {
        let last = self.last.as_ref()?;
        let since = SinceLastSync::new(&self.changed, &self.forgotten, self.noted);
        Some((last, since))
    }

    /// When the directory last listed `nick`, if the memo vouches for it (the nick must be
    /// present on the directory: a memo lists exactly the present nicks not noted since).
    pub fn listed_at(&self, nick: NickKey) -> Option<u64> {
        let last = self.last.as_ref()?;
        (!self.is_noted(nick)).then_some(last.listed_at)
    }

    fn is_noted(&self, nick: NickKey) -> bool {
        self.noted.may_hold(nick)
            && (self.changed.contains(&nick) || self.forgotten.contains(&nick))
    }

    /// Something other than the directory's own peerlist changed its report of `nick` (or
    /// may: a gone report held back by a grace period). Past too many notes the memo is
    /// dropped, and its listing returned.
    pub fn note_changed(&mut self, nick: NickKey) -> Option<Listing> {
        self.last.as_ref()?;
        if self.changed.len() + self.forgotten.len() < MAX_NOTES {
            self.changed.push(nick);
            self.noted.insert(nick);
            None
        } else {
            self.invalidate()
        }
    }

    /// `nick` was forgotten: if the memo noted it, its key is stale from now on. A nick of
    /// the last peerlist can only be forgotten after its report here changed (which was
    /// noted), so this covers every stale key.
    pub fn note_forgotten(&mut self, nick: NickKey) {
        if self.noted.may_hold(nick) && self.changed.contains(&nick) {
            self.changed.retain(|&key| key != nick);
            self.forgotten.push(nick);
        }
    }

    /// Makes `last` the memo (`None`: the new list cannot be vouched for), returning the
    /// list it replaces, whose buffer can be reused.
    pub fn replace(&mut self, last: Option<LastPeerlist>) -> Option<Peerlist> {
        self.changed.clear();
        self.forgotten.clear();
        self.noted = Filter::default();
        std::mem::replace(&mut self.last, last).map(|old| old.list)
    }

    /// Forgets the last peerlist (the directory's next one takes the general path),
    /// returning the nicks it vouched for.
    pub fn invalidate(&mut self) -> Option<Listing> {
        let last = self.last.take()?;
        let keys = last.keys.iter().copied().filter(|&key| !self.is_noted(key));
        let listing = Listing {
            keys: keys.collect(),
            at: last.listed_at,
        };
        self.changed = Vec::new();
        self.forgotten = Vec::new();
        self.noted = Filter::default();
        Some(listing)
    }

    #[cfg(test)]
    pub fn is_exact(&self) -> bool {
        self.last.is_some()
    }
}

/// A 4096-bit filter of keys: a clear bit says a key is not among those inserted.
#[derive(Clone, Copy)]
struct Filter([u64; 64]);

impl Default for Filter {
    fn default() -> Self {
        Filter([0; 64])
    }
}

impl Filter {
    fn insert(&mut self, key: NickKey) {
        self.0[(key as usize / 64) % 64] |= 1 << (key % 64);
    }

    fn may_hold(&self, key: NickKey) -> bool {
        self.0[(key as usize / 64) % 64] & (1 << (key % 64)) != 0
    }
}

/// The nicks noted since a directory's last peerlist, for testing each nick of the next one
/// against: the filter answers almost every test with one bit, sorted lists the rest.
pub(crate) struct SinceLastSync {
    filter: Filter,
    changed: Vec<NickKey>,
    forgotten: Vec<NickKey>,
}

impl SinceLastSync {
    fn new(changed: &[NickKey], forgotten: &[NickKey], filter: Filter) -> Self {
        let mut since = SinceLastSync {
            filter,
            changed: changed.to_vec(),
            forgotten: forgotten.to_vec(),
        };
        for list in [&mut since.changed, &mut since.forgotten] {
            list.sort_unstable();
            list.dedup();
        }
        since
    }

    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.forgotten.is_empty()
    }

    pub fn may_hold(&self, key: NickKey) -> bool {
        self.filter.may_hold(key)
    }

    /// Whether the nick with `key` changed since (and is still held).
    pub fn changed(&self, key: NickKey) -> bool {
        self.may_hold(key) && self.changed.binary_search(&key).is_ok()
    }

    /// Whether `key` belonged to a nick of the last peerlist that has been forgotten since.
    pub fn forgot(&self, key: NickKey) -> bool {
        self.may_hold(key) && self.forgotten.binary_search(&key).is_ok()
    }

    /// The changed nicks, sorted, without repeats.
    pub fn into_changed(self) -> Vec<NickKey> {
        self.changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::{Nick, packed::Peerlist};

    fn memo_of(names: &[&str]) -> PeerlistMemo {
        let nicks: Vec<Nick<'_>> = names.iter().map(|name| Nick::new(name).unwrap()).collect();
        let mut memo = PeerlistMemo::default();
        let keys = (0..names.len() as NickKey).collect();
        let list = Peerlist::pack(&nicks, String::new());
        let last = LastPeerlist {
            list,
            keys,
            listed_at: 5,
        };
        assert!(memo.replace(Some(last)).is_none());
        memo
    }

    #[test]
    fn notes_are_kept_only_while_there_is_a_last_peerlist() {
        let mut memo = PeerlistMemo::default();
        assert!(memo.note_changed(3).is_none());
        assert!(memo.reference().is_none() && memo.changed.is_empty());
        let mut memo = memo_of(&["a", "b"]);
        memo.note_changed(1);
        memo.note_changed(7);
        memo.note_forgotten(7);
        memo.note_forgotten(0); // never noted: not stale
        assert_eq!((memo.listed_at(0), memo.listed_at(1)), (Some(5), None));
        let (last, since) = memo.reference().unwrap();
        assert_eq!(last.keys, [0, 1]);
        assert!(since.changed(1) && !since.changed(7) && since.forgot(7) && !since.forgot(0));
        assert_eq!(since.into_changed(), [1]);
        let replaced = memo.replace(None).unwrap();
        assert_eq!(replaced.view().len(), 2);
        assert!(!memo.is_exact());
    }

    #[test]
    fn too_many_notes_drop_the_memo_and_return_its_listing() {
        let mut memo = memo_of(&["a", "b"]);
        for key in 1..=MAX_NOTES as NickKey {
            assert!(memo.note_changed(key).is_none());
        }
        assert!(memo.is_exact());
        let listing = memo.note_changed(0).unwrap();
        assert_eq!((listing.keys, listing.at), (vec![0], 5), "b was noted");
        assert!(!memo.is_exact() && memo.changed.capacity() == 0);
        assert!(memo.invalidate().is_none());
    }
}
