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
