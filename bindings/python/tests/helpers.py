"""Small helpers shared by the tests of join events, connection state and limits."""

from typing import Hashable, List, Tuple

from nick_tracker import Event, EventKind

Plain = Tuple[EventKind, str, Hashable]


def joins(*pairs: Tuple[str, Hashable]) -> List[Plain]:
    """[(JOIN, nick, directory), ...] from (nick, directory) pairs: events without their seq."""
    return [(EventKind.JOIN, nick, directory) for nick, directory in pairs]


def leaves(*pairs: Tuple[str, Hashable]) -> List[Plain]:
    """[(LEAVE, nick, directory), ...] from (nick, directory) pairs: events without their seq."""
    return [(EventKind.LEAVE, nick, directory) for nick, directory in pairs]


def taken(events: List[Event]) -> List[Plain]:
    """The events recorded so far without their seq, emptying the list: each step checks only
    its own. Their seqs must follow each other (test_ordering.py checks them in depth)."""
    result = [event[:3] for event in events]
    seqs = [event.seq for event in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True, seqs
    events.clear()
    return result
