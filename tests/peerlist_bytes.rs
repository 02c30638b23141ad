//! Property test: `sync_peerlist_bytes`, which validates only the nicks that differ from the
//! directory's last peerlist, accepts and refuses exactly what `PackedNicks::new` does, and
//! otherwise does what the reference model says: the same events, the same error, the same
//! state after (nothing changed on an error).
//!
//! Each case gives the tracker and the model the same history of syncs and updates, then a
//! resent peerlist, edited and then often damaged (a byte made invalid UTF-8, a NUL added or
//! removed, a nick made too long), so that damage lands inside runs that would otherwise
//! match the last list.

#[path = "support/reference_model.rs"]
mod reference_model;

use nick_tracker::{
    ChangeError, DirectoryId, Events, Limits, MAX_NICK_LEN, Nick, NickTracker, PackedNicks,
    PickMode,
};
use proptest::prelude::*;
use reference_model::{ModelEvent, ReferenceModel};

/// Prefixes of one another and longer than a vector of bytes, so that lists match in runs.
const NICKS: [&str; 6] = [
    "al",
    "alice",
    "alice_and_bob!",
    "alice_and_carol",
    "bob",
    "carol_whose_nick_is_longer_than_32_bytes",
];
const DIRECTORIES: [DirectoryId; 3] = [1, 2, 3];

#[derive(Debug, Clone)]
enum Step {
    Sync(usize, Vec<usize>),
    Update(usize, usize, bool),
}

/// What is done to the bytes of the final list, at a position (modulo its length).
#[derive(Debug, Clone, Copy)]
enum Damage {
    None,
    /// A byte becomes 0xff, never valid in UTF-8.
    InvalidByte(usize),
    /// A byte becomes 0xc3, the start of a two-byte sequence, followed by ASCII or a NUL.
    CutSequence(usize),
    /// A byte becomes a NUL (an empty nick, or a nick split in two).
    Nul(usize),
    InsertNul(usize),
    /// Removes a byte: a NUL removed merges two nicks; the last one leaves it unterminated.
    Remove(usize),
    /// A nick over the length limit is inserted.
    InsertLong(usize),
    /// A valid two-byte character is inserted.
    InsertAccent(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let nick = 0..NICKS.len();
    let directory = 0..DIRECTORIES.len();
    prop_oneof![
        3 => (directory.clone(), prop::collection::vec(nick.clone(), 0..8))
            .prop_map(|(d, ns)| Step::Sync(d, ns)),
        2 => (nick, directory, any::<bool>()).prop_map(|(n, d, p)| Step::Update(n, d, p)),
    ]
}

fn damage() -> impl Strategy<Value = Damage> {
    let at = any::<usize>();
    prop_oneof![
        2 => Just(Damage::None),
        1 => at.prop_map(Damage::InvalidByte),
        1 => at.prop_map(Damage::CutSequence),
        1 => at.prop_map(Damage::Nul),
        1 => at.prop_map(Damage::InsertNul),
        1 => at.prop_map(Damage::Remove),
        1 => at.prop_map(Damage::InsertLong),
        1 => at.prop_map(Damage::InsertAccent),
    ]
}

fn pack(nicks: &[usize]) -> Vec<u8> {
    nicks
        .iter()
        .flat_map(|&n| NICKS[n].bytes().chain([0]))
        .collect()
}

fn apply(damage: Damage, bytes: &mut Vec<u8>) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    let len = bytes.len();
    match damage {
        Damage::None => {}
        Damage::InvalidByte(i) if len > 0 => bytes[at(i, len)] = 0xff,
        Damage::CutSequence(i) if len > 0 => bytes[at(i, len)] = 0xc3,
        Damage::Nul(i) if len > 0 => bytes[at(i, len)] = 0,
        Damage::InsertNul(i) => bytes.insert(at(i, len + 1), 0),
        Damage::Remove(i) if len > 0 => {
            bytes.remove(at(i, len));
        }
        Damage::InsertLong(i) => {
            let long = [vec![b'x'; MAX_NICK_LEN + 1], vec![0]].concat();
            let start = bytes.iter().take(at(i, len + 1)).rposition(|&b| b == 0);
            let start = start.map_or(0, |nul| nul + 1);
            bytes.splice(start..start, long);
        }
        Damage::InsertAccent(i) => {
            let at = at(i, len + 1);
            bytes.splice(at..at, "é".bytes());
        }
        _ => {}
    }
}

type State = (Vec<String>, Vec<Vec<DirectoryId>>, String);

/// Everything observable.
fn state(tracker: &NickTracker) -> State {
    let active = tracker
        .active_nicks()
        .into_iter()
        .map(String::from)
        .collect();
    let directories = NICKS
        .iter()
        .map(|nick| tracker.active_directories(nick).collect())
        .collect();
    (active, directories, format!("{:?}", tracker.stats()))
}

fn model_state(model: &ReferenceModel) -> State {
    let directories = NICKS.iter().map(|nick| model.active_directories(nick));
    (
        model.active_nicks(),
        directories.collect(),
        format!("{:?}", model.stats()),
    )
}

fn events(events: &Events) -> Vec<ModelEvent> {
    events.iter().map(ModelEvent::from_event).collect()
}

fn run(
    history: &[Step],
    last: usize,
    edit: (usize, usize),
    damage: Damage,
) -> Result<(), TestCaseError> {
    let mut tracker = NickTracker::new();
    let mut model = ReferenceModel::new(Limits::default(), PickMode::default());
    let mut sent: Vec<Vec<usize>> = vec![Vec::new(); DIRECTORIES.len()];
    for step in history {
        match step {
            Step::Sync(d, ns) => {
                let names: Vec<&str> = ns.iter().map(|&n| NICKS[n]).collect();
                let expected = model.sync_peerlist(DIRECTORIES[*d], &names).unwrap();
                let synced = tracker.sync_peerlist_bytes(DIRECTORIES[*d], &pack(ns));
                prop_assert_eq!(events(synced.unwrap()), expected);
                sent[*d] = ns.clone();
            }
            &Step::Update(n, d, present) => {
                let nick = Nick::new(NICKS[n]).unwrap();
                let expected = model.update(NICKS[n], DIRECTORIES[d], present).unwrap();
                let updated = tracker.update(nick, DIRECTORIES[d], present);
                prop_assert_eq!(events(updated.unwrap()), expected);
            }
        }
    }
    // The last list resent with one nick dropped, added or replaced, then damaged.
    let d = last % DIRECTORIES.len();
    let mut resent = sent[d].clone();
    match edit.0 % 4 {
        0 if !resent.is_empty() => drop(resent.remove(edit.1 % resent.len())),
        1 => resent.insert(edit.1 % (resent.len() + 1), edit.1 % NICKS.len()),
        2 if !resent.is_empty() => resent.push(edit.1 % NICKS.len()),
        _ => {}
    }
    let mut bytes = pack(&resent);
    apply(damage, &mut bytes);

    let expected: Result<Vec<ModelEvent>, ChangeError> = match PackedNicks::new(&bytes) {
        Ok(list) => {
            let names: Vec<&str> = list.iter().map(|nick| nick.as_str()).collect();
            Ok(model.sync_peerlist(DIRECTORIES[d], &names).unwrap())
        }
        Err(error) => Err(error.into()),
    };
    let before = state(&tracker);
    let outcome = tracker
        .sync_peerlist_bytes(DIRECTORIES[d], &bytes)
        .map(events);
    let refused = outcome.is_err();
    prop_assert_eq!(
        outcome,
        expected,
        "bytes {:?}",
        String::from_utf8_lossy(&bytes)
    );
    if refused {
        prop_assert_eq!(
            state(&tracker),
            before,
            "a refused list changed the tracker"
        );
    }
    prop_assert_eq!(state(&tracker), model_state(&model));
    // The next resend, undamaged, must agree too: nothing hidden was left behind.
    let names: Vec<&str> = sent[d].iter().map(|&n| NICKS[n]).collect();
    let expected = model.sync_peerlist(DIRECTORIES[d], &names).unwrap();
    let resent = tracker.sync_peerlist_bytes(DIRECTORIES[d], &pack(&sent[d]));
    prop_assert_eq!(events(resent.unwrap()), expected);
    prop_assert_eq!(state(&tracker), model_state(&model));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    #[cfg_attr(miri, ignore)]
    fn unvalidated_bytes_are_refused_exactly_when_invalid_and_synced_as_the_model_says(
        history in prop::collection::vec(step(), 0..24),
        last in any::<usize>(),
        edit in (any::<usize>(), any::<usize>()),
        damage in damage(),
    ) {
        run(&history, last, edit, damage)?;
    }
}

/// Long lists, for the matching's give-up rule (32 unplaced nicks in a row): each list is a
/// few segments of a pool of 200 nicks, in order or reversed, so that resends share long
/// runs, gain or lose blocks of dozens of nicks, or come in another order (with repeats
/// where segments overlap).
const POOL: usize = 200;

fn pool_nick(i: usize) -> String {
    format!("J5peer{i:03}")
}

fn long_list() -> impl Strategy<Value = Vec<usize>> {
    let segment = (0..POOL, 0..60usize, any::<bool>());
    prop::collection::vec(segment, 0..4).prop_map(|segments| {
        let mut list = Vec::new();
        for (start, len, reversed) in segments {
            let mut run: Vec<usize> = (start..start + len).map(|i| i % POOL).collect();
            if reversed {
                run.reverse();
            }
            list.extend(run);
        }
        list
    })
}

/// How a sync's list is made from the generated one.
#[derive(Debug, Clone, Copy)]
enum Resend {
    /// The generated list.
    New,
    /// The directory's last list again.
    Same,
    /// The directory's last list with the generated one inserted in the middle.
    Grown,
}

fn resend() -> impl Strategy<Value = Resend> {
    prop_oneof![Just(Resend::New), Just(Resend::Same), Just(Resend::Grown)]
}

fn run_long(syncs: &[(usize, Vec<usize>, Resend)]) -> Result<(), TestCaseError> {
    let mut tracker = NickTracker::new();
    let mut model = ReferenceModel::new(Limits::default(), PickMode::default());
    let mut sent: Vec<Vec<usize>> = vec![Vec::new(); DIRECTORIES.len()];
    for (d, generated, resend) in syncs {
        let list = match resend {
            Resend::New => generated.clone(),
            Resend::Same => sent[*d].clone(),
            Resend::Grown => {
                let mut grown = sent[*d].clone();
                let middle = grown.len() / 2;
                grown.splice(middle..middle, generated.iter().copied());
                grown
            }
        };
        sent[*d] = list.clone();
        let names: Vec<String> = list.iter().map(|&i| pool_nick(i)).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let bytes: Vec<u8> = names.iter().flat_map(|n| n.bytes().chain([0])).collect();
        let expected = model.sync_peerlist(DIRECTORIES[*d], &names).unwrap();
        let synced = tracker.sync_peerlist_bytes(DIRECTORIES[*d], &bytes);
        prop_assert_eq!(events(synced.unwrap()), expected);
        let active: Vec<String> = tracker
            .active_nicks()
            .into_iter()
            .map(String::from)
            .collect();
        prop_assert_eq!(active, model.active_nicks());
        for name in &names {
            prop_assert_eq!(
                tracker.active_directories(name).collect::<Vec<_>>(),
                model.active_directories(name)
            );
        }
    }
    prop_assert_eq!(
        format!("{:?}", tracker.stats()),
        format!("{:?}", model.stats())
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    #[cfg_attr(miri, ignore)]
    fn long_lists_resent_in_runs_blocks_and_other_orders_sync_as_the_model_says(
        syncs in prop::collection::vec((0..DIRECTORIES.len(), long_list(), resend()), 1..10),
    ) {
        run_long(&syncs)?;
    }
}

/// Damage inside a run that matches the last list is found, though runs are not validated:
/// the damaged nick no longer matches, so it is checked.
#[test]
fn damage_inside_a_matching_run_is_refused() {
    let mut tracker = NickTracker::new();
    let list = b"alice\0bob\0carol\0dave\0";
    tracker.sync_peerlist_bytes(1, list).unwrap();
    let mut damaged = list.to_vec();
    damaged[7] = 0xff; // in "bob"
    assert_eq!(
        tracker.sync_peerlist_bytes(1, &damaged).unwrap_err(),
        PackedNicks::new(&damaged).unwrap_err().into()
    );
    let mut damaged = list.to_vec();
    damaged[6] = 0; // "alice\0\0ob\0..."
    assert_eq!(
        tracker
            .sync_peerlist_bytes(1, &damaged)
            .unwrap_err()
            .to_string(),
        "nicks[1]: nick is empty"
    );
    assert_eq!(
        tracker
            .sync_peerlist_bytes(1, &list[..list.len() - 1])
            .unwrap_err()
            .to_string(),
        "a packed peerlist must end with a NUL byte"
    );
    assert_eq!(tracker.active_nicks(), ["alice", "bob", "carol", "dave"]);
}
