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
}

/// A directory's last peerlist, without repeats, with each nick's key in list order.
pub(crate) struct LastPeerlist {
    pub list: Peerlist,
    pub keys: Vec<NickKey>,
}

impl PeerlistMemo {
    /// The last peerlist and what changed since, if the memo is exact.
    pub fn reference(&self) -> Option<(&LastPeerlist, SinceLastSync)> {
        let last = self.last.as_ref()?;
        Some((last, SinceLastSync::new(&self.changed, &self.forgotten)))
    }

    /// Something other than the directory's own peerlist changed its report of `nick`.
    pub fn note_changed(&mut self, nick: NickKey) {
        if self.last.is_none() {
            return;
        }
        if self.changed.len() + self.forgotten.len() < MAX_NOTES {
            self.changed.push(nick);
        } else {
            self.invalidate();
        }
    }

    /// `nick` was forgotten: if the memo noted it, its key is stale from now on. A nick of
    /// the last peerlist can only be forgotten after its report here changed (which was
    /// noted), so this covers every stale key.
    pub fn note_forgotten(&mut self, nick: NickKey) {
        if self.changed.contains(&nick) {
            self.changed.retain(|&key| key != nick);
            self.forgotten.push(nick);
        }
    }

    /// Makes `last` the memo (`None`: the new list cannot be vouched for), returning the
    /// list it replaces, whose buffer can be reused.
    pub fn replace(&mut self, last: Option<LastPeerlist>) -> Option<Peerlist> {
        self.changed.clear();
        self.forgotten.clear();
        std::mem::replace(&mut self.last, last).map(|old| old.list)
    }

    /// Forgets the last peerlist: the directory's next one takes the general path.
    pub fn invalidate(&mut self) {
        self.last = None;
        self.changed = Vec::new();
        self.forgotten = Vec::new();
    }

    #[cfg(test)]
    pub fn is_exact(&self) -> bool {
        self.last.is_some()
    }
}

/// The nicks noted since a directory's last peerlist, for testing each nick of the next one
/// against: a 4096-bit filter answers almost every test with one bit, sorted lists the rest.
pub(crate) struct SinceLastSync {
    filter: [u64; 64],
    changed: Vec<NickKey>,
    forgotten: Vec<NickKey>,
}

impl SinceLastSync {
    fn new(changed: &[NickKey], forgotten: &[NickKey]) -> Self {
        let mut since = SinceLastSync {
            filter: [0; 64],
            changed: changed.to_vec(),
            forgotten: forgotten.to_vec(),
        };
        for list in [&mut since.changed, &mut since.forgotten] {
            list.sort_unstable();
            list.dedup();
        }
        for &key in since.changed.iter().chain(&since.forgotten) {
            since.filter[(key as usize / 64) % 64] |= 1 << (key % 64);
        }
        since
    }

    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.forgotten.is_empty()
    }

    pub fn may_hold(&self, key: NickKey) -> bool {
        self.filter[(key as usize / 64) % 64] & (1 << (key % 64)) != 0
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
        assert!(memo.replace(Some(LastPeerlist { list, keys })).is_none());
        memo
    }

    #[test]
    fn notes_are_kept_only_while_there_is_a_last_peerlist() {
        let mut memo = PeerlistMemo::default();
        memo.note_changed(3);
        assert!(memo.reference().is_none() && memo.changed.is_empty());
        let mut memo = memo_of(&["a", "b"]);
        memo.note_changed(1);
        memo.note_changed(7);
        memo.note_forgotten(7);
        memo.note_forgotten(0); // never noted: not stale
        let (last, since) = memo.reference().unwrap();
        assert_eq!(last.keys, [0, 1]);
        assert!(since.changed(1) && !since.changed(7) && since.forgot(7) && !since.forgot(0));
        assert_eq!(since.into_changed(), [1]);
        let replaced = memo.replace(None).unwrap();
        assert_eq!(replaced.view().len(), 2);
        assert!(!memo.is_exact());
    }

    #[test]
    fn too_many_notes_drop_the_memo() {
        let mut memo = memo_of(&["a"]);
        for key in 0..MAX_NOTES as NickKey {
            memo.note_changed(key);
        }
        assert!(memo.is_exact());
        memo.note_changed(0);
        assert!(!memo.is_exact() && memo.changed.capacity() == 0);
    }
}
