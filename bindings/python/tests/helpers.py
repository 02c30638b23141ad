"""Small helpers shared by the tests of join events, connection state and limits."""

from typing import Hashable, List, Tuple

from nick_tracker import Event, EventKind


def joins(*pairs: Tuple[str, Hashable]) -> List[Event]:
    """[Event(JOIN, nick, directory), ...] from (nick, directory) pairs."""
    return [Event(EventKind.JOIN, nick, directory) for nick, directory in pairs]


def leaves(*pairs: Tuple[str, Hashable]) -> List[Event]:
    """[Event(LEAVE, nick, directory), ...] from (nick, directory) pairs."""
    return [Event(EventKind.LEAVE, nick, directory) for nick, directory in pairs]


def taken(events: List[Event]) -> List[Event]:
    """The events recorded so far, emptying the list: each step checks only its own."""
    result = list(events)
    events.clear()
    return result
