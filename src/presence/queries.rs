//! What the tracker answers without changing presence: activity, directories, picks, counts.

use super::NickTracker;
use super::config::{DirectoryId, PickMode};
use super::records::{NickRecord, Report};

/// Counters for monitoring. All are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Nicks held: the active ones plus those reported present only by disconnected
    /// directories.
    pub nicks: usize,
    pub active_nicks: usize,
    pub directories: usize,
    pub connected_directories: usize,
    /// Join events produced since the tracker was created.
    pub joins: u64,
    /// Leave events produced since the tracker was created.
    pub leaves: u64,
}

impl NickTracker {
    /// Whether at least one connected directory reports `nick` present.
    pub fn is_active(&self, nick: &str) -> bool {
        self.record(nick).is_some_and(|record| record.live > 0)
    }

    /// The connected directories that report `nick` present, in the order they first
    /// reported it. Empty for a nick that is not active.
    pub fn active_directories(&self, nick: &str) -> impl Iterator<Item = DirectoryId> + '_ {
        self.record(nick)
            .into_iter()
            .flat_map(|record| record.reports.iter())
            .filter(|report| self.counts(report))
            .map(|report| self.directories[report.directory].id)
    }

    /// One of `nick`'s active directories to send it a message through, chosen as the
    /// tracker's [`PickMode`] says; `None` if the nick is not active.
    pub fn pick_directory(&mut self, nick: &str) -> Option<DirectoryId> {
        let nick_key = self.find_nick(nick)?;
        let record = &self.nicks[nick_key];
        let choices = record.live as usize;
        if choices == 0 {
            return None;
        }
        let index = match self.config.pick {
            PickMode::Random => self.rng.below(choices),
            PickMode::RoundRobin => {
                let cursor = record.pick_cursor as usize % choices;
                self.nicks[nick_key].pick_cursor = (cursor + 1) as u32;
                cursor
            }
            PickMode::Sticky => {
                // The cursor holds the picked directory's key + 1 (0: none yet).
                let kept = record.pick_cursor.checked_sub(1).and_then(|key| {
                    let report = record.reports.iter().find(|r| r.directory == key)?;
                    self.counts(report).then_some(self.directories[key].id)
                });
                if kept.is_some() {
                    return kept;
                }
                let index = self.rng.below(choices);
                let report = record
                    .reports
                    .iter()
                    .filter(|report| self.counts(report))
                    .nth(index)
                    .expect("live counts the reports that count");
                let (key, id) = (report.directory, self.directories[report.directory].id);
                self.nicks[nick_key].pick_cursor = key + 1;
                return Some(id);
            }
        };
        self.active_directories(nick).nth(index)
    }

    /// All active nicks, in the order they were first seen (since they last became active).
    pub fn active_nicks(&self) -> Vec<&str> {
        let mut nicks: Vec<(u64, &str)> = self
            .nicks
            .iter()
            .filter(|(_, record)| record.live > 0)
            .map(|(_, record)| (record.activated, &*record.name))
            .collect();
        nicks.sort_unstable_by_key(|&(activated, _)| activated);
        nicks.into_iter().map(|(_, nick)| nick).collect()
    }

    /// The number of active nicks.
    pub fn len(&self) -> usize {
        self.ledger.active_nicks
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> Stats {
        Stats {
            nicks: self.nicks.len(),
            active_nicks: self.ledger.active_nicks,
            directories: self.directories.len(),
            connected_directories: self.connected_directories,
            joins: self.ledger.joins,
            leaves: self.ledger.leaves,
        }
    }

    /// Whether `directory` is connected; `None` if the tracker does not know it.
    pub fn directory_connected(&self, directory: DirectoryId) -> Option<bool> {
        let key = *self.directory_keys.get(&directory)?;
        Some(self.directories[key].connected)
    }

    fn record(&self, nick: &str) -> Option<&NickRecord> {
        self.find_nick(nick).map(|key| &self.nicks[key])
    }

    /// Whether `report` makes its nick active: present on a connected directory.
    fn counts(&self, report: &Report) -> bool {
        report.present() && self.directories[report.directory].connected
    }
}
