"""set_directory_connected: a dropped directory's nicks stop counting, but its records are
kept, and they count again when it reconnects."""

import pytest

from helpers import joins, leaves, taken
from nick_tracker import NickTracker, Stats


def populated(tracker):
    """alice and bob on dir1 only, carol on dir1 and dir2, dave on dir2 only."""
    tracker.sync_with_peerlist("dir1", ["alice", "bob", "carol"])
    tracker.sync_with_peerlist("dir2", ["carol", "dave"])


def test_disconnect_makes_the_nicks_present_nowhere_else_leave(evented):
    tracker, events = evented
    populated(tracker)
    taken(events)
    assert tracker.set_directory_connected("dir1", False) is None
    assert taken(events) == leaves(("alice", "dir1"), ("bob", "dir1"))
    assert tracker.get_all_active_nicks() == {"carol", "dave"}
    assert not tracker.is_nick_active("alice")
    assert tracker.get_active_directories_for_nick("carol") == ["dir2"]
    assert tracker.get_active_directories_for_nick("alice") == []


def test_disconnect_keeps_the_records_and_reconnect_brings_them_back(evented):
    tracker, events = evented
    populated(tracker)
    before = tracker.stats()
    assert before == Stats(
        nicks=4, active_nicks=4, directories=2, connected_directories=2, joins=4, leaves=0
    )
    tracker.set_directory_connected("dir1", False)
    assert tracker.stats() == Stats(
        nicks=4, active_nicks=2, directories=2, connected_directories=1, joins=4, leaves=2
    )
    taken(events)
    tracker.set_directory_connected("dir1", True)
    # Rejoins in the order the nicks were first seen, caused by the reconnected directory.
    assert taken(events) == joins(("alice", "dir1"), ("bob", "dir1"))
    assert tracker.stats() == Stats(
        nicks=4, active_nicks=4, directories=2, connected_directories=2, joins=6, leaves=2
    )
    # dir1 keeps its place as carol's first directory.
    assert tracker.get_active_directories_for_nick("carol") == ["dir1", "dir2"]


def test_setting_the_state_a_directory_already_has_does_nothing(evented):
    tracker, events = evented
    populated(tracker)
    taken(events)
    tracker.set_directory_connected("dir1", True)
    tracker.set_directory_connected("dir2", False)
    tracker.set_directory_connected("dir2", False)
    assert taken(events) == leaves(("dave", "dir2"))
    assert tracker.stats().connected_directories == 1


def test_reports_and_peerlists_while_disconnected_are_recorded_silently(evented):
    tracker, events = evented
    populated(tracker)
    tracker.set_directory_connected("dir1", False)
    taken(events)
    tracker.mark_nick_present("erin", "dir1")
    tracker.mark_nick_gone("bob", "dir1")  # bob was present only there: forgotten
    tracker.sync_with_peerlist("dir1", ["alice", "erin", "frank"])
    assert taken(events) == []
    assert tracker.get_all_active_nicks() == {"carol", "dave"}
    assert tracker.stats().nicks == 6 - 1  # alice, carol, dave, erin, frank
    tracker.set_directory_connected("dir1", True)
    # The order of these joins is checked by the next test.
    assert sorted(taken(events)) == joins(("alice", "dir1"), ("erin", "dir1"), ("frank", "dir1"))
    assert tracker.get_all_active_nicks() == {"alice", "carol", "dave", "erin", "frank"}


def test_nicks_first_listed_while_disconnected_rejoin_in_list_order(evented):
    tracker, events = evented
    tracker.sync_with_peerlist("dir0", ["a", "b", "c", "d"])
    tracker.sync_with_peerlist("dir0", [])  # frees internal slots for reuse
    tracker.set_directory_connected("dir1", False)
    tracker.sync_with_peerlist("dir1", ["p", "q", "r"])
    taken(events)
    tracker.set_directory_connected("dir1", True)
    assert taken(events) == joins(("p", "dir1"), ("q", "dir1"), ("r", "dir1"))


def test_a_sync_after_reconnect_drops_what_the_directory_no_longer_lists(evented):
    tracker, events = evented
    populated(tracker)
    tracker.set_directory_connected("dir1", False)
    tracker.set_directory_connected("dir1", True)
    taken(events)
    # The stale view counts until the directory's next peerlist says otherwise.
    tracker.sync_with_peerlist("dir1", ["bob", "erin"])
    assert taken(events) == leaves(("alice", "dir1")) + joins(("erin", "dir1"))
    assert tracker.get_active_directories_for_nick("carol") == ["dir2"]
    assert tracker.get_all_active_nicks() == {"bob", "carol", "dave", "erin"}
    assert tracker.stats().nicks == 4


def test_removing_a_disconnected_directory_forgets_its_nicks_without_events(evented):
    tracker, events = evented
    populated(tracker)
    tracker.set_directory_connected("dir1", False)
    taken(events)
    assert tracker.remove_directory("dir1") == []  # alice and bob already left
    assert taken(events) == []
    assert tracker.stats() == Stats(
        nicks=2, active_nicks=2, directories=1, connected_directories=1, joins=4, leaves=2
    )
    tracker.set_directory_connected("dir1", True)  # a new, empty directory now
    assert taken(events) == []
    assert tracker.stats().directories == 2


def test_an_unknown_directory_becomes_known_in_the_given_state(evented):
    tracker, events = evented
    tracker.set_directory_connected(("onion", 1), False)
    assert tracker.stats() == Stats(
        nicks=0, active_nicks=0, directories=1, connected_directories=0, joins=0, leaves=0
    )
    tracker.mark_nick_present("alice", ("onion", 1))
    assert not tracker.is_nick_active("alice")
    assert events == []
    tracker.set_directory_connected(("onion", 1), True)
    assert taken(events) == joins(("alice", ("onion", 1)))


def test_a_tracker_without_join_events_still_gets_the_leaves(recorded):
    tracker, left = recorded
    populated(tracker)
    tracker.set_directory_connected("dir2", False)
    assert left == ["dave"]
    tracker.set_directory_connected("dir2", True)
    assert tracker.get_all_active_nicks() == {"alice", "bob", "carol", "dave"}
    assert tracker.remove_directory("dir2") == ["dave"]
    assert left == ["dave", "dave"]


def test_connection_state_counts_in_stats_joins_and_leaves():
    with NickTracker() as tracker:
        tracker.mark_nick_present("alice", "dir1")
        for _ in range(3):
            tracker.set_directory_connected("dir1", False)
            tracker.set_directory_connected("dir1", True)
        stats = tracker.stats()
        assert (stats.joins, stats.leaves, stats.active_nicks) == (4, 3, 1)
