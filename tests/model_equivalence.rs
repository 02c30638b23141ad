//! Property test: on random operation sequences the tracker behaves exactly like a direct,
//! obviously-correct transcription of jmcore's algorithm (plus the one documented difference),
//! including every departure and its order.

use nick_tracker::{DirectoryId, Nick, NickTracker};
use proptest::prelude::*;

/// jmcore's `NickTracker`, transcribed line by line. Python dicts keep insertion order, so
/// both levels are association lists.
#[derive(Default)]
struct Jmcore {
    nicks: Vec<(String, Vec<(DirectoryId, bool)>)>,
}

impl Jmcore {
    fn entry(&self, nick: &str) -> Option<usize> {
        self.nicks.iter().position(|(n, _)| n == nick)
    }

    fn is_active(&self, nick: &str) -> bool {
        self.entry(nick)
            .is_some_and(|i| self.nicks[i].1.iter().any(|&(_, present)| present))
    }

    fn active_directories(&self, nick: &str) -> Vec<DirectoryId> {
        self.entry(nick).map_or_else(Vec::new, |i| {
            let statuses = &self.nicks[i].1;
            statuses.iter().filter(|s| s.1).map(|s| s.0).collect()
        })
    }

    fn active_nicks(&self) -> Vec<String> {
        let all = self.nicks.iter().map(|(n, _)| n.clone());
        all.filter(|n| self.is_active(n)).collect()
    }

    /// `update_nick`; returns the nicks the leave callback would receive.
    fn update(&mut self, nick: &str, directory: DirectoryId, present: bool) -> Vec<String> {
        let knows = self
            .entry(nick)
            .is_some_and(|i| self.nicks[i].1.iter().any(|s| s.0 == directory));
        if !present && !knows {
            return vec![]; // The documented difference: jmcore would store a phantom entry.
        }
        let i = self.entry(nick).unwrap_or_else(|| {
            self.nicks.push((nick.to_owned(), vec![]));
            self.nicks.len() - 1
        });
        let statuses = &mut self.nicks[i].1;
        let old = match statuses.iter_mut().find(|s| s.0 == directory) {
            Some(status) => Some(std::mem::replace(&mut status.1, present)),
            None => {
                statuses.push((directory, present));
                None
            }
        };
        if !present && old == Some(true) && !self.is_active(nick) {
            self.nicks.remove(i);
            return vec![nick.to_owned()];
        }
        vec![]
    }

    fn remove_directory(&mut self, directory: DirectoryId) -> Vec<String> {
        let mut gone = vec![];
        for nick in self.active_nicks_all_entries() {
            let i = self.entry(&nick).unwrap();
            let statuses = &mut self.nicks[i].1;
            if let Some(at) = statuses.iter().position(|s| s.0 == directory) {
                statuses.remove(at);
                if statuses.is_empty() || !self.is_active(&nick) {
                    gone.push(nick);
                    self.nicks.remove(i);
                }
            }
        }
        gone
    }

    fn sync_with_peerlist(&mut self, directory: DirectoryId, peerlist: &[&str]) -> Vec<String> {
        let mut gone = vec![];
        for nick in peerlist {
            gone.extend(self.update(nick, directory, true));
        }
        for nick in self.active_nicks_all_entries() {
            let tracked_here = self
                .entry(&nick)
                .is_some_and(|i| self.nicks[i].1.iter().any(|s| s.0 == directory));
            if tracked_here && !peerlist.contains(&nick.as_str()) {
                gone.extend(self.update(&nick, directory, false));
            }
        }
        gone
    }

    /// `list(self.active_nicks.keys())`: every entry, active or not.
    fn active_nicks_all_entries(&self) -> Vec<String> {
        self.nicks.iter().map(|(n, _)| n.clone()).collect()
    }
}

const NICKS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const DIRECTORIES: DirectoryId = 4;

#[derive(Debug, Clone)]
enum Op {
    Update(usize, DirectoryId, bool),
    RemoveDirectory(DirectoryId),
    Sync(DirectoryId, Vec<usize>),
}

fn op() -> impl Strategy<Value = Op> {
    let nick = 0..NICKS.len();
    let directory = 0..DIRECTORIES;
    prop_oneof![
        6 => (nick.clone(), directory.clone(), any::<bool>())
            .prop_map(|(n, d, present)| Op::Update(n, d, present)),
        1 => directory.clone().prop_map(Op::RemoveDirectory),
        2 => (directory, prop::collection::vec(nick, 0..7)).prop_map(|(d, ns)| Op::Sync(d, ns)),
    ]
}

fn apply(tracker: &mut NickTracker, op: &Op) -> Vec<String> {
    let nick = |i: usize| Nick::new(NICKS[i]).unwrap();
    let events = match op {
        &Op::Update(n, d, present) => tracker.update(nick(n), d, present).unwrap(),
        &Op::RemoveDirectory(d) => match tracker.remove_directory(d) {
            Some(events) => events,
            None => return vec![],
        },
        Op::Sync(d, ns) => {
            let peerlist: Vec<Nick> = ns.iter().map(|&n| nick(n)).collect();
            tracker.sync_peerlist(*d, &peerlist).unwrap()
        }
    };
    // jmcore has no join events; its departures are the leaves.
    events
        .iter()
        .filter(|event| event.is_leave())
        .map(|event| event.nick.to_string())
        .collect()
}

fn apply_model(model: &mut Jmcore, op: &Op) -> Vec<String> {
    match op {
        &Op::Update(n, d, present) => model.update(NICKS[n], d, present),
        &Op::RemoveDirectory(d) => model.remove_directory(d),
        Op::Sync(d, ns) => {
            let peerlist: Vec<&str> = ns.iter().map(|&n| NICKS[n]).collect();
            model.sync_with_peerlist(*d, &peerlist)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tracker_matches_jmcore(ops in prop::collection::vec(op(), 0..60)) {
        let mut tracker = NickTracker::new();
        let mut model = Jmcore::default();
        for (step, op) in ops.iter().enumerate() {
            let departed = apply(&mut tracker, op);
            prop_assert_eq!(&departed, &apply_model(&mut model, op), "step {}: {:?}", step, op);
            prop_assert_eq!(tracker.active_nicks(), model.active_nicks());
            prop_assert_eq!(tracker.len(), model.active_nicks().len());
            for nick in NICKS {
                prop_assert_eq!(tracker.is_active(nick), model.is_active(nick));
                let directories: Vec<DirectoryId> = tracker.active_directories(nick).collect();
                prop_assert_eq!(directories, model.active_directories(nick), "{}", nick);
            }
        }
    }
}

/// Guards against a generator that never produces departures, which would let the property
/// above pass without checking the interesting part.
#[test]
fn generated_sequences_exercise_departures() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(op(), 0..60);
    let mut with_departures = 0;
    for _ in 0..200 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let mut tracker = NickTracker::new();
        if ops.iter().any(|op| !apply(&mut tracker, op).is_empty()) {
            with_departures += 1;
        }
    }
    assert!(
        with_departures > 100,
        "only {with_departures}/200 sequences had a departure"
    );
}
