"""Shared fixtures. Importing nick_tracker here makes a missing or mismatched library fail the
whole run at collection with the loader's explanation: no test is skipped for it."""

from typing import Iterator, List, Tuple

import pytest

import nick_tracker
from nick_tracker import Event, NickTracker


def pytest_report_header() -> str:
    return f"libnick_tracker {nick_tracker.library_version}: {nick_tracker.library_path}"


@pytest.fixture
def recorded() -> Iterator[Tuple[NickTracker, List[str]]]:
    """A tracker whose leave callback appends to the list returned with it."""
    left: List[str] = []
    with NickTracker(on_nick_leave=left.append) as tracker:
        yield tracker, left


@pytest.fixture
def evented() -> Iterator[Tuple[NickTracker, List[Event]]]:
    """A tracker with join events, whose on_event appends to the list returned with it."""
    events: List[Event] = []
    with NickTracker(on_event=events.append) as tracker:
        yield tracker, events
