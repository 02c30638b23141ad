//! The baseline: jmcore's algorithm ported to Rust the obvious way, dict of dicts and all.
//!
//! It applies the same rules as `NickTracker` (including our documented difference: a "gone"
//! report for a pair never reported present is ignored), so both do the same work and the
//! benchmark measures data layout and algorithm, not semantics.

use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub struct JmcorePort {
    active_nicks: HashMap<String, HashMap<u64, bool>>,
}

impl JmcorePort {
    /// `update_nick`; returns whether the nick left.
    pub fn update(&mut self, nick: &str, directory: u64, present: bool) -> bool {
        let known = self
            .active_nicks
            .get(nick)
            .is_some_and(|statuses| statuses.contains_key(&directory));
        if !present && !known {
            return false;
        }
        let statuses = self.active_nicks.entry(nick.to_owned()).or_default();
        let old = statuses.insert(directory, present);
        if !present && old == Some(true) && !statuses.values().any(|&p| p) {
            self.active_nicks.remove(nick);
            return true;
        }
        false
    }

    pub fn remove_directory(&mut self, directory: u64) -> Vec<String> {
        let mut gone = Vec::new();
        for nick in self.active_nicks.keys().cloned().collect::<Vec<_>>() {
            let statuses = self.active_nicks.get_mut(&nick).unwrap();
            if statuses.remove(&directory).is_some() && !statuses.values().any(|&p| p) {
                self.active_nicks.remove(&nick);
                gone.push(nick);
            }
        }
        gone
    }

    pub fn sync_with_peerlist(&mut self, directory: u64, peerlist: &HashSet<&str>) -> Vec<String> {
        for nick in peerlist {
            self.update(nick, directory, true);
        }
        let mut gone = Vec::new();
        for nick in self.active_nicks.keys().cloned().collect::<Vec<_>>() {
            let tracked_here = self.active_nicks[&nick].contains_key(&directory);
            if tracked_here
                && !peerlist.contains(nick.as_str())
                && self.update(&nick, directory, false)
            {
                gone.push(nick);
            }
        }
        gone
    }

    pub fn is_active(&self, nick: &str) -> bool {
        self.active_nicks
            .get(nick)
            .is_some_and(|statuses| statuses.values().any(|&present| present))
    }

    pub fn active_directories(&self, nick: &str) -> impl Iterator<Item = u64> + '_ {
        self.active_nicks
            .get(nick)
            .into_iter()
            .flat_map(|statuses| statuses.iter())
            .filter(|&(_, &present)| present)
            .map(|(&directory, _)| directory)
    }

    /// `len(get_all_active_nicks())`, as a jmcore caller would count.
    pub fn active_count(&self) -> usize {
        self.active_nicks().len()
    }

    pub fn active_nicks(&self) -> HashSet<&str> {
        self.active_nicks
            .keys()
            .filter(|nick| self.is_active(nick))
            .map(String::as_str)
            .collect()
    }
}
