//! Directories as a whole: removing one, its connection going down or up, and what one
//! directory reports (its own view and health).

use super::config::{ChangeError, DirectoryId, PickMode};
use super::events::{Events, Order};
use super::records::{DirectoryKey, NickKey};
use super::tracker::NickTracker;

/// One directory's view and health, from [`NickTracker::directory_stats`]. Times are clock
/// milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectoryStats {
    /// Nicks the directory reports present (counted whether it is connected or not).
    pub nicks: usize,
    pub connected: bool,
    /// Whether a peerlist is being received in chunks.
    pub snapshot_open: bool,
    /// When its last complete peerlist arrived (synced or committed).
    pub last_peerlist_at: Option<u64>,
    /// When its last single report arrived.
    pub last_report_at: Option<u64>,
    /// Complete peerlists and single reports received since it became known.
    pub peerlists: u64,
    pub reports: u64,
}

impl NickTracker {
    /// Forgets everything `directory` reported, as when it is dropped for good. Nicks that no
    /// remaining connected directory reports present leave. `None` if the directory is not
    /// known.
    pub fn remove_directory(&mut self, directory: DirectoryId) -> Option<&Events> {
        self.ledger.begin();
        let directory_key = *self.directory_keys.get(&directory)?;
        self.remove_known_directory(directory_key);
        Some(self.ledger.finish(Order::LeavesByFirstSeen))
    }

    /// Removes a known directory, adding its leaves to the call's events.
    pub(super) fn remove_known_directory(&mut self, directory_key: DirectoryKey) {
        let removed = self.directories.remove(directory_key);
        self.directory_keys.remove(&removed.id);
        if removed.connected {
            self.connected_directories -= 1;
        }
        if removed.snapshot.is_some() {
            self.open_snapshots -= 1;
        }
        let sticky = self.config.pick == PickMode::Sticky;
        for member in &removed.members {
            self.expiries.cancel_gone(member.nick, directory_key);
            let record = &mut self.nicks[member.nick];
            if sticky && record.pick_cursor == directory_key + 1 {
                record.pick_cursor = 0; // a directory known later under this key is another
            }
            let position = record
                .position(directory_key)
                .expect("a member has a report");
            if record.remove_report(position) {
                record.present -= 1;
                if removed.connected {
                    self.ledger.lose(record, removed.id);
                }
                if record.present == 0 {
                    self.forget(member.nick);
                }
            }
        }
    }

    /// Marks `directory`'s connection down (`connected == false`) or back up.
    ///
    /// While down, the directory's reports are kept but do not count: nicks it alone reported
    /// present leave, and a peerlist it was sending in chunks is discarded. When it is back up
    /// they count again and those nicks join, until its next peerlist says otherwise. Reports
    /// that arrive while it is down are recorded the same way. An unknown directory is created
    /// in the given state (subject to the directory limit). `None` if the directory already
    /// had that state.
    pub fn set_directory_connected(
        &mut self,
        directory: DirectoryId,
        connected: bool,
    ) -> Result<Option<&Events>, ChangeError> {
        self.ledger.begin();
        let known = self.directory_keys.get(&directory).copied();
        if known.is_some_and(|key| self.directories[key].connected == connected) {
            return Ok(None);
        }
        if known.is_none() {
            self.config.limits.check_directory(self.directories.len())?;
        }
        let now = match connected || self.config.expiry.disconnected_hold_ms.is_none() {
            true => None,
            false => Some(self.time.now()?),
        };
        let directory_key = known.unwrap_or_else(|| self.insert_directory(directory));
        let entry = &mut self.directories[directory_key];
        if entry.connected == connected {
            return Ok(Some(self.ledger.finish(Order::AsHappened))); // created so
        }
        entry.connected = connected;
        if !connected && entry.snapshot.take().is_some() {
            self.open_snapshots -= 1;
        }
        if let Some(now) = now {
            entry.disconnected_at = now;
            let generation = self.directories.generation(directory_key);
            self.expiries
                .on_disconnect((directory_key, generation), now);
        }
        let affected = self.present_members(directory_key);
        if connected {
            self.connected_directories += 1;
            for nick_key in affected {
                self.ledger.gain(&mut self.nicks[nick_key], directory);
            }
        } else {
            self.connected_directories -= 1;
            for nick_key in affected {
                self.ledger.lose(&mut self.nicks[nick_key], directory);
            }
        }
        Ok(Some(self.ledger.finish(Order::LeavesByFirstSeen)))
    }

    /// The nicks the directory reports present, in the order they were first seen (the
    /// order a reconnection's joins are reported in).
    fn present_members(&self, directory_key: DirectoryKey) -> Vec<NickKey> {
        let nicks = &self.nicks;
        let mut present: Vec<(u64, NickKey)> = self.directories[directory_key]
            .members
            .iter()
            .filter(|member| nicks[member.nick].reports_present(directory_key) == Some(true))
            .map(|member| (nicks[member.nick].activated, member.nick))
            .collect();
        present.sort_unstable();
        present.into_iter().map(|(_, nick)| nick).collect()
    }

    /// The nicks `directory` reports present (whether it is connected or not), in no
    /// particular order; `None` if the directory is not known.
    pub fn directory_nicks(
        &self,
        directory: DirectoryId,
    ) -> Option<impl Iterator<Item = &str> + Clone> {
        let directory_key = *self.directory_keys.get(&directory)?;
        let members = self.directories[directory_key].members.iter();
        let present = members.filter(move |member| {
            self.nicks[member.nick].reports_present(directory_key) == Some(true)
        });
        Some(present.map(|member| &*self.nicks[member.nick].name))
    }

    /// `directory`'s view and health; `None` if it is not known.
    pub fn directory_stats(&self, directory: DirectoryId) -> Option<DirectoryStats> {
        let entry = &self.directories[*self.directory_keys.get(&directory)?];
        Some(DirectoryStats {
            nicks: entry.present,
            connected: entry.connected,
            snapshot_open: entry.snapshot.is_some(),
            last_peerlist_at: entry.last_peerlist_at,
            last_report_at: entry.last_report_at,
            peerlists: entry.peerlists,
            reports: entry.reports,
        })
    }

    /// Every known directory, in no particular order.
    pub fn directories(&self) -> impl Iterator<Item = DirectoryId> + '_ {
        self.directory_keys.keys().copied()
    }
}
