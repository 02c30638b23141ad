//! Matching a new peerlist against a directory's last one, as bytes: pure functions, no
//! tracker state.
//!
//! Directories resend their peerlists in a stable order with a few nicks gone and a few new,
//! so the two packed lists are compared 32 bytes at a time, and each run of nicks listed again
//! in the same order costs no hashing and no pointer chasing: its keys are copied from the last
//! list. Between runs, a nick is matched against the next few of the last list (skipping nicks
//! the directory dropped) or else left for the caller to look up.
//!
//! The same matching gives a directory's first list the keys of nicks that another
//! directory's last list has in the same order ("hints"): directories list much the same
//! peers in much the same order.
//!
//! Either way the matching gives up when the orders plainly differ: after a run of
//! [`PATIENCE`] nicks it could not place, once they outnumber the ones it placed. A reordered
//! list then costs a few dozen probes, not a probe of every nick, and takes the general path;
//! a resent list whose new nicks come in a long run (peers that joined together, appended at
//! the end) still matches.
//!
//! [`match_list`] works on raw bytes that need not be valid yet (only NUL-terminated): a run
//! that matches the last list byte for byte is valid, as that list was, so [`assemble`] checks
//! only the nicks between runs while it copies the new list into the buffer that becomes the
//! next memo.

use std::ops::Range;

use super::memo::{LastPeerlist, SinceLastSync};
use crate::presence::nick::Nick;
use crate::presence::packed::{
    PackedNicks, PeerlistError, common_prefix, first_nul, same_nick, whole_nicks,
};
use crate::presence::records::NickKey;

/// Stands for the key of a listed nick the matching could not find (slabs never hand it out).
pub(crate) const UNMATCHED: NickKey = NickKey::MAX;

/// How many consecutive dropped nicks the matching skips over to find a nick.
const LOOKAHEAD: usize = 8;

/// Unplaced nicks in a row after which the matching gives up, if they outnumber the placed.
const PATIENCE: usize = 32;

/// What [`match_list`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Matching {
    /// The key of every nick of the new list (up to `end`), or [`UNMATCHED`].
    pub keys: Vec<NickKey>,
    /// The listed nicks to set present, in list order: by their index, with their bytes in
    /// the new list if they were not matched (to be looked up), or `None` for matched nicks
    /// that something changed since the last list.
    pub to_list: Vec<(usize, Option<Range<usize>>)>,
    /// The nicks of the last list that the new one leaves out (still held ones only).
    pub dropped: Vec<NickKey>,
    /// How to copy the new list: runs of the last list's text, and single new nicks.
    pieces: Vec<Piece>,
    /// Where in the new list the matching stopped (its length, unless it gave up).
    pub end: usize,
}

#[derive(Debug, PartialEq, Eq)]
enum Piece {
    /// Whole nicks of the last list's text, with their NULs.
    Old(Range<usize>),
    /// One nick of the new list, without its NUL.
    New(Range<usize>),
}

/// Matches `new` (packed nicks, each ending with a NUL, not yet validated) against `last`,
/// taking into account what changed since it. If it gives up (see the module documentation),
/// the rest of the list is left out of the result (`end` says where).
pub(crate) fn match_list(last: &LastPeerlist, since: &SinceLastSync, new: &[u8]) -> Matching {
    debug_assert!(new.is_empty() || new.last() == Some(&0));
    let old = last.list.view().as_bytes();
    let mut matching = Matching {
        keys: Vec::with_capacity(last.keys.len() + last.keys.len() / 16),
        ..Matching::default()
    };
    let (mut at, mut old_at, mut old_index, mut misses) = (0, 0, 0, 0);
    // Nicks placed (found in `last`) and not placed, so far.
    let (mut placed, mut unplaced) = (0, 0);
    while at < new.len() && !(misses >= PATIENCE && unplaced > placed) {
        let same = common_prefix(&new[at..], &old[old_at..]);
        let (count, run) = whole_nicks(&new[at..at + same]);
        matching.take_run(since, &last.keys[old_index..old_index + count], new, at);
        if run > 0 {
            matching.pieces.push(Piece::Old(old_at..old_at + run));
            (misses, placed) = (0, placed + count);
        }
        (at, old_at, old_index) = (at + run, old_at + run, old_index + count);
        if at == new.len() {
            break;
        }
        // The nick at `at` differs from the last list's next one.
        let end = at + first_nul(&new[at..]);
        match find_ahead(old, old_at, &new[at..end]) {
            Some((skipped, old_nick)) => {
                let skipped_keys = &last.keys[old_index..old_index + skipped];
                matching.drop_all(since, skipped_keys);
                matching.take_run(since, &last.keys[old_index + skipped..][..1], new, at);
                matching
                    .pieces
                    .push(Piece::Old(old_nick.start..old_nick.end + 1));
                (old_at, old_index, misses) = (old_nick.end + 1, old_index + skipped + 1, 0);
                placed += 1;
            }
            None => {
                matching.to_list.push((matching.keys.len(), Some(at..end)));
                matching.keys.push(UNMATCHED);
                matching.pieces.push(Piece::New(at..end));
                (misses, unplaced) = (misses + 1, unplaced + 1);
            }
        }
        at = end + 1;
    }
    matching.drop_all(since, &last.keys[old_index..]);
    matching.end = at.min(new.len());
    matching
}

/// The nick `nick` among the next [`LOOKAHEAD`] nicks of `old` from `from`: how many it skips,
/// and where it is (without its NUL).
fn find_ahead(old: &[u8], from: usize, nick: &[u8]) -> Option<(usize, Range<usize>)> {
    let mut probe = from;
    for skipped in 0..LOOKAHEAD {
        if probe == old.len() {
            return None;
        }
        let probe_end = probe + first_nul(&old[probe..]);
        if same_nick(&old[probe..probe_end], nick) {
            return Some((skipped, probe..probe_end));
        }
        probe = probe_end + 1;
    }
    None
}

impl Matching {
    /// Takes `keys`, the keys of a run of the last list listed again from `run_start` in
    /// `new`, noting those that changed or were forgotten since.
    fn take_run(&mut self, since: &SinceLastSync, keys: &[NickKey], new: &[u8], run_start: usize) {
        let first = self.keys.len();
        self.keys.extend_from_slice(keys);
        if since.is_empty() {
            return;
        }
        for (offset, &key) in keys.iter().enumerate() {
            if !since.may_hold(key) {
                continue;
            }
            let index = first + offset;
            if since.forgot(key) {
                // The key may belong to another nick by now: look the nick up like a new one.
                let mut start = run_start;
                for _ in 0..offset {
                    start += first_nul(&new[start..]) + 1;
                }
                let end = start + first_nul(&new[start..]);
                self.keys[index] = UNMATCHED;
                self.to_list.push((index, Some(start..end)));
            } else if since.changed(key) {
                self.to_list.push((index, None));
            }
        }
    }

    /// Notes the nicks of the last list with `keys` as dropped, unless forgotten since.
    fn drop_all(&mut self, since: &SinceLastSync, keys: &[NickKey]) {
        let held = |key: &&NickKey| !since.forgot(**key);
        self.dropped.extend(keys.iter().filter(held));
    }
}

/// Copies the new list `new` into `buffer` as [`match_list`] split it, checking every nick
/// that did not come from the last list (`last_text`), and the rest of the list if the
/// matching gave up; fails on the first bad nick with the error [`PackedNicks::new`] gives.
/// Returns the number of nicks.
pub(crate) fn assemble(
    matching: &Matching,
    last_text: &str,
    new: &[u8],
    buffer: &mut String,
) -> Result<usize, PeerlistError> {
    let bad = || PackedNicks::new(new).expect_err("a nick of the list is bad");
    for piece in &matching.pieces {
        match piece {
            Piece::Old(range) => buffer.push_str(&last_text[range.clone()]),
            Piece::New(range) => {
                let nick = Nick::from_bytes(&new[range.clone()]).map_err(|_| bad())?;
                buffer.push_str(nick.as_str());
                buffer.push('\0');
            }
        }
    }
    let rest = PackedNicks::new(&new[matching.end..]).map_err(|_| bad())?;
    buffer.push_str(rest.as_str());
    Ok(matching.keys.len() + rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::nick::NickError;
    use crate::presence::packed::Peerlist;
    use crate::presence::sync::memo::PeerlistMemo;

    fn packed(names: &[&str]) -> Vec<u8> {
        names.iter().flat_map(|n| n.bytes().chain([0])).collect()
    }

    /// A memo of `names` with keys 10, 11, ..., and the given notes.
    fn memo(names: &[&str], changed: &[NickKey], forgotten: &[NickKey]) -> PeerlistMemo {
        let nicks: Vec<Nick<'_>> = names.iter().map(|n| Nick::new(n).unwrap()).collect();
        let keys = (10..10 + names.len() as NickKey).collect();
        let mut memo = PeerlistMemo::default();
        let list = Peerlist::pack(&nicks, String::new());
        memo.replace(Some(LastPeerlist {
            list,
            keys,
            listed_at: 0,
        }));
        for &key in changed.iter().chain(forgotten) {
            memo.note_changed(key);
        }
        for &key in forgotten {
            memo.note_forgotten(key);
        }
        memo
    }

    fn run(memo: &PeerlistMemo, new: &[&str]) -> (Matching, String) {
        let (last, since) = memo.reference().unwrap();
        let bytes = packed(new);
        let matching = match_list(last, &since, &bytes);
        let mut copy = String::new();
        let len = assemble(&matching, last.list.view().as_str(), &bytes, &mut copy).unwrap();
        assert_eq!(len, new.len());
        assert_eq!(copy.as_bytes(), bytes, "the copy is the new list");
        (matching, copy)
    }

    #[test]
    fn a_resent_list_is_matched_in_runs_around_changes() {
        let memo = memo(&["a", "b", "c", "d", "e"], &[], &[]);
        let (matching, _) = run(&memo, &["a", "b", "x", "d", "e", "y"]);
        assert_eq!(matching.keys, [10, 11, UNMATCHED, 13, 14, UNMATCHED]);
        assert_eq!(matching.to_list, [(2, Some(4..5)), (5, Some(10..11))]);
        assert_eq!(matching.dropped, [12], "c is left out");
        let (matching, _) = run(&memo, &["b", "c"]);
        assert_eq!(matching.keys, [11, 12]);
        assert_eq!(matching.dropped, [10, 13, 14]);
    }

    #[test]
    fn changed_nicks_are_listed_again_and_forgotten_keys_looked_up() {
        let memo = memo(&["a", "b", "c"], &[11], &[12]);
        let (matching, _) = run(&memo, &["a", "b", "c"]);
        assert_eq!(matching.keys, [10, 11, UNMATCHED]);
        assert_eq!(matching.to_list, [(1, None), (2, Some(4..5))]);
        let (matching, _) = run(&memo, &["a"]);
        assert_eq!(matching.dropped, [11], "a forgotten key is not dropped");
    }

    #[test]
    fn matching_gives_up_on_a_list_in_another_order_and_the_rest_is_still_checked() {
        let old: Vec<String> = (0..100).map(|i| format!("n{i:03}")).collect();
        let old: Vec<&str> = old.iter().map(String::as_str).collect();
        let memo = memo(&old, &[], &[]);
        let mut shuffled = old.clone();
        shuffled.reverse();
        let (matching, copy) = run(&memo, &shuffled);
        assert_eq!(matching.keys.len(), PATIENCE, "gave up");
        assert_eq!(matching.end, PATIENCE * 5, "where the rest begins");
        assert_eq!(copy.as_bytes(), packed(&shuffled), "the rest is copied too");
        // Resent with 50 new nicks in a row at the end: still matched to the end.
        let mut grown = old.clone();
        let new: Vec<String> = (0..50).map(|i| format!("new{i:03}")).collect();
        grown.extend(new.iter().map(String::as_str));
        let (matching, _) = run(&memo, &grown);
        assert_eq!(matching.keys.len(), 150);
        assert_eq!(&matching.keys[..100], &last_keys(&memo)[..]);
        let (last, since) = memo.reference().unwrap();
        let mut bad = packed(&shuffled);
        bad[PATIENCE * 5 + 1] = 0xff; // in the part left unmatched
        let matching = match_list(last, &since, &bad);
        let error = assemble(
            &matching,
            last.list.view().as_str(),
            &bad,
            &mut String::new(),
        );
        let expected = PeerlistError::BadNick {
            index: PATIENCE,
            source: NickError::NotUtf8,
        };
        assert_eq!(error, Err(expected));
    }

    fn last_keys(memo: &PeerlistMemo) -> Vec<NickKey> {
        memo.reference().unwrap().0.keys.clone()
    }

    #[test]
    fn only_nicks_outside_runs_are_checked_and_the_first_bad_one_is_named() {
        let memo = memo(&["alice", "bob"], &[], &[]);
        let (last, since) = memo.reference().unwrap();
        let check = |bytes: &[u8]| {
            let matching = match_list(last, &since, bytes);
            assemble(
                &matching,
                last.list.view().as_str(),
                bytes,
                &mut String::new(),
            )
        };
        assert_eq!(check(b"alice\0bob\0"), Ok(2));
        let too_long = [b"alice\0".as_slice(), &[b'x'; 300], b"\0"].concat();
        assert!(matches!(
            check(&too_long),
            Err(PeerlistError::BadNick { index: 1, .. })
        ));
        assert!(matches!(
            check(b"alice\0\0bob\0"),
            Err(PeerlistError::BadNick { index: 1, .. })
        ));
        assert!(matches!(
            check(b"al\xffce\0bob\0"),
            Err(PeerlistError::BadNick { index: 0, .. })
        ));
    }
}
