//! Helpers for the core's unit tests.

use super::{DirectoryId, Events, Nick};

pub fn nick(name: &str) -> Nick<'_> {
    Nick::new(name).unwrap()
}

pub fn nicks<'a>(names: &[&'a str]) -> Vec<Nick<'a>> {
    names.iter().map(|name| nick(name)).collect()
}

/// Events as ("join"/"leave", nick, directory) for compact assertions.
pub fn summary(events: &Events) -> Vec<(&'static str, String, DirectoryId)> {
    events
        .iter()
        .map(|event| {
            let kind = if event.is_join() { "join" } else { "leave" };
            (kind, event.nick.to_string(), event.directory)
        })
        .collect()
}

/// A clock the test sets by hand, shared with the tracker.
#[derive(Clone, Default)]
pub struct FakeClock(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl FakeClock {
    pub fn set(&self, ms: u64) {
        self.0.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn clock(&self) -> super::Clock {
        let time = self.0.clone();
        Box::new(move || time.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// A tracker on a fake clock (at 0) with `config`.
pub fn tracker_at_zero(config: super::Config) -> (super::NickTracker, FakeClock) {
    let clock = FakeClock::default();
    (super::NickTracker::with_clock(config, clock.clock()), clock)
}
