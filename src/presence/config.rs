//! What a tracker is configured with (how it picks a directory for a nick, the limits that
//! keep a flood of fake nicks or directories from exhausting memory, how long presence lasts
//! without news) and why it refuses a change.

use thiserror::Error;

use super::packed::PeerlistError;

/// A directory server, identified by a number the caller chooses.
pub type DirectoryId = u64;

/// How [`NickTracker::pick_directory`](super::NickTracker::pick_directory) chooses among a
/// nick's active directories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PickMode {
    /// Uniformly at random, as the JoinMarket daemon does, so no directory sees all of a
    /// client's private messages.
    #[default]
    Random,
    /// In turn, per nick: deterministic, for tests.
    RoundRobin,
    /// The same directory for a nick while the nick stays active there, as a taker keeps the
    /// directory of a private-message session; when it does not, another of its active
    /// directories, chosen at random, from then on.
    Sticky,
}

/// Caps that keep a flood of fake nicks or directories from exhausting memory. `None` means
/// unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most nicks the tracker holds at once (active or kept for a disconnected directory).
    pub max_nicks: Option<usize>,
    /// The most directories the tracker knows at once.
    pub max_directories: Option<usize>,
}

/// How long presence lasts without news, in milliseconds of the tracker's clock. `None` is
/// off. They act only in [`NickTracker::expire`](super::NickTracker::expire).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expiry {
    /// A (nick, directory) pair not refreshed (by a present report or a listing) within this
    /// counts as gone on that directory: for directories that never send a peerlist.
    pub presence_ttl_ms: Option<u64>,
    /// A single gone report takes effect only if no present report for the same pair arrives
    /// within this: a directory reports a connection that a peer is replacing as gone moments
    /// before the new one is up. Peerlists, commits and removals act at once.
    pub gone_grace_ms: Option<u64>,
    /// A directory disconnected for this long is removed, as by
    /// [`remove_directory`](super::NickTracker::remove_directory).
    pub disconnected_hold_ms: Option<u64>,
}

/// Everything settable when a tracker is created, except its clock
/// ([`NickTracker::with_clock`](super::NickTracker::with_clock)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Config {
    pub limits: Limits,
    pub pick: PickMode,
    pub expiry: Expiry,
}

/// A change refused because it would exceed a [`Limits`] cap. The tracker is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LimitError {
    #[error("nick limit reached: the tracker holds {held} nicks, the limit is {limit}")]
    Nicks { held: usize, limit: usize },
    #[error("directory limit reached: the tracker knows {limit} directories")]
    Directories { limit: usize },
}

/// Why a change was refused. The tracker is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ChangeError {
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error(transparent)]
    Peerlist(#[from] PeerlistError),
    #[error("directory {directory} has no peerlist open (begin one first)")]
    NoSnapshot { directory: DirectoryId },
    #[error("the clock went backwards: it read {now} ms after reading {last} ms")]
    ClockWentBackwards { last: u64, now: u64 },
    #[error("{nicks} nicks but {flags} present flags")]
    ReportCountMismatch { nicks: usize, flags: usize },
}

impl Limits {
    /// Refuses `new` nicks more than the `held` ones, if that exceeds the cap.
    pub(crate) fn check_nicks(&self, held: usize, new: usize) -> Result<(), LimitError> {
        match self.max_nicks {
            Some(limit) if new > 0 && held + new > limit => Err(LimitError::Nicks { held, limit }),
            _ => Ok(()),
        }
    }

    /// Refuses one directory more than the `known` ones, if that exceeds the cap.
    pub(crate) fn check_directory(&self, known: usize) -> Result<(), LimitError> {
        match self.max_directories {
            Some(limit) if known >= limit => Err(LimitError::Directories { limit }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_what_a_change_would_add() {
        let limits = Limits {
            max_nicks: Some(3),
            max_directories: Some(2),
        };
        assert_eq!(limits.check_nicks(3, 0), Ok(()), "adding none never fails");
        assert_eq!(limits.check_nicks(2, 1), Ok(()));
        let refusal = LimitError::Nicks { held: 2, limit: 3 };
        assert_eq!(limits.check_nicks(2, 2), Err(refusal));
        assert_eq!(limits.check_directory(1), Ok(()));
        let refusal = LimitError::Directories { limit: 2 };
        assert_eq!(limits.check_directory(2), Err(refusal));
        assert_eq!(Limits::default().check_nicks(usize::MAX - 1, 1), Ok(()));
    }
}
