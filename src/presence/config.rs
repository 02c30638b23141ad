//! What a tracker is configured with: how it picks a directory for a nick, and the limits
//! that keep a flood of fake nicks or directories from exhausting memory.

use thiserror::Error;

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

/// Everything settable when a tracker is created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Config {
    pub limits: Limits,
    pub pick: PickMode,
}

/// A change refused because it would exceed a [`Limits`] cap. The tracker is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LimitError {
    #[error("nick limit reached: the tracker holds {held} nicks, the limit is {limit}")]
    Nicks { held: usize, limit: usize },
    #[error("directory limit reached: the tracker knows {limit} directories")]
    Directories { limit: usize },
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
