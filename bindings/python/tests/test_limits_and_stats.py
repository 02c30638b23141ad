"""stats(), and the max_nicks / max_directories limits: a change that would exceed one raises
and changes nothing at all (stats, events and state all as before)."""

import dataclasses

import pytest

from helpers import taken
from nick_tracker import (
    DirectoryLimitError,
    LimitError,
    NickLimitError,
    NickTracker,
    NickTrackerError,
    Stats,
    Status,
)


def snapshot(tracker):
    nicks = ["alice", "bob", "carol", "dave", "erin"]
    return (
        tracker.stats(),
        tracker.get_all_active_nicks(),
        {nick: tracker.get_active_directories_for_nick(nick) for nick in nicks},
    )


def test_stats_of_a_new_tracker_are_zero_and_frozen():
    with NickTracker() as tracker:
        stats = tracker.stats()
    assert stats == Stats(0, 0, 0, 0, 0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.nicks = 1  # type: ignore[misc]
    assert [field.name for field in dataclasses.fields(Stats)] == [
        "nicks",
        "active_nicks",
        "directories",
        "connected_directories",
        "joins",
        "leaves",
    ]


def test_stats_follow_reports_removals_and_connection_state(recorded):
    tracker, _ = recorded
    tracker.sync_with_peerlist("dir1", ["alice", "bob"])
    tracker.mark_nick_present("alice", "dir2")
    tracker.mark_nick_gone("bob", "dir1")
    assert tracker.stats() == Stats(
        nicks=1, active_nicks=1, directories=2, connected_directories=2, joins=2, leaves=1
    )
    tracker.set_directory_connected("dir3", False)
    tracker.mark_nick_present("carol", "dir3")
    assert tracker.stats() == Stats(
        nicks=2, active_nicks=1, directories=3, connected_directories=2, joins=2, leaves=1
    )
    tracker.remove_directory("dir2")  # alice is still on dir1
    tracker.remove_directory("dir3")  # carol is forgotten
    assert tracker.stats() == Stats(
        nicks=1, active_nicks=1, directories=1, connected_directories=1, joins=2, leaves=1
    )
    tracker.sync_with_peerlist("dir1", [])
    assert tracker.stats() == Stats(
        nicks=0, active_nicks=0, directories=1, connected_directories=1, joins=2, leaves=2
    )


def test_active_nick_count_is_the_size_of_the_active_set(recorded):
    tracker, _ = recorded
    assert tracker.active_nick_count() == 0
    tracker.sync_with_peerlist("dir1", ["alice", "bob", "carol"])
    tracker.mark_nick_gone("bob", "dir1")
    tracker.set_directory_connected("dir2", False)
    tracker.mark_nick_present("dave", "dir2")  # held, but not active
    assert tracker.active_nick_count() == len(tracker.get_all_active_nicks()) == 2
    assert tracker.active_nick_count() == tracker.stats().active_nicks
    tracker.close()
    with pytest.raises(NickTrackerError):
        tracker.active_nick_count()


def test_a_gone_report_from_an_unknown_directory_does_not_make_it_known(recorded):
    tracker, _ = recorded
    tracker.mark_nick_present("alice", "dir1")
    tracker.mark_nick_gone("alice", "dir2")
    tracker.mark_nick_gone("ghost", "dir3")
    assert tracker.stats().directories == 1


def test_nick_limit_refuses_a_new_nick_and_changes_nothing():
    events = []
    with NickTracker(max_nicks=2, on_event=events.append) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_present("bob", "dir1")
        taken(events)
        before = snapshot(tracker)
        with pytest.raises(NickLimitError) as caught:
            tracker.mark_nick_present("carol", "dir2")  # a new directory too: not created
        error = caught.value
        assert isinstance(error, LimitError) and isinstance(error, NickTrackerError)
        assert error.status is Status.NICK_LIMIT
        assert str(error) == "nick limit reached: the tracker holds 2 nicks, the limit is 2"
        assert snapshot(tracker) == before
        assert events == []
        # Nicks already held may still be reported anywhere.
        tracker.mark_nick_present("alice", "dir2")
        tracker.update_nick("carol", "dir1", False)  # a gone report adds nothing
        # Room made by a departure can be used.
        tracker.mark_nick_gone("bob", "dir1")
        tracker.mark_nick_present("carol", "dir2")
        assert tracker.get_all_active_nicks() == {"alice", "carol"}


def test_nick_limit_makes_a_sync_all_or_nothing():
    events = []
    with NickTracker(max_nicks=3, on_event=events.append) as tracker:
        tracker.sync_with_peerlist("dir1", ["alice", "bob"])
        taken(events)
        before = snapshot(tracker)
        with pytest.raises(NickLimitError, match="holds 2 nicks, the limit is 3"):
            # Two new nicks (duplicates count once) while keeping both old ones: 4 held.
            tracker.sync_with_peerlist("dir1", ["alice", "bob", "carol", "dave", "carol"])
        assert snapshot(tracker) == before
        assert events == []
        tracker.sync_with_peerlist("dir1", ["alice", "bob", "carol", "carol"])  # exactly 3
        assert tracker.stats().nicks == 3


def test_nicks_kept_for_a_disconnected_directory_count_towards_the_limit():
    with NickTracker(max_nicks=1) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.set_directory_connected("dir1", False)
        assert tracker.stats().active_nicks == 0
        with pytest.raises(NickLimitError):
            tracker.mark_nick_present("bob", "dir2")
        tracker.remove_directory("dir1")
        tracker.mark_nick_present("bob", "dir2")


def test_a_peerlist_that_replaces_nicks_fits_in_the_limit():
    with NickTracker(max_nicks=2) as tracker:
        tracker.sync_with_peerlist("dir1", ["alice", "bob"])
        tracker.sync_with_peerlist("dir1", ["carol"])  # the result holds 1 nick
        assert tracker.get_all_active_nicks() == {"carol"}


def test_directory_limit_refuses_every_way_of_adding_a_directory():
    events = []
    with NickTracker(max_directories=2, on_event=events.append) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.set_directory_connected("dir2", False)
        taken(events)
        before = snapshot(tracker)
        for name, change in [
            ("report", lambda: tracker.mark_nick_present("bob", "dir3")),
            ("sync", lambda: tracker.sync_with_peerlist("dir3", ["bob"])),
            ("connection", lambda: tracker.set_directory_connected("dir3", True)),
        ]:
            with pytest.raises(DirectoryLimitError) as caught:
                change()
            assert caught.value.status is Status.DIRECTORY_LIMIT, name
            assert isinstance(caught.value, LimitError), name
            assert str(caught.value) == "directory limit reached: the tracker knows 2 directories"
            assert snapshot(tracker) == before, name
        assert events == []
        # Known directories still work, and unknown ones never cost room otherwise.
        tracker.mark_nick_present("bob", "dir2")
        tracker.mark_nick_gone("bob", "dir3")
        assert tracker.remove_directory("dir3") == []
        # Removing one makes room.
        tracker.remove_directory("dir2")
        tracker.sync_with_peerlist("dir3", ["bob"])
        assert tracker.stats().directories == 2


def test_limits_of_exactly_one():
    with NickTracker(max_nicks=1, max_directories=1) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        with pytest.raises(NickLimitError):
            tracker.mark_nick_present("bob", "dir1")
        with pytest.raises(DirectoryLimitError):
            tracker.mark_nick_present("alice", "dir2")


@pytest.mark.parametrize("name", ["max_nicks", "max_directories"])
@pytest.mark.parametrize("value", [0, -1])
def test_a_limit_must_be_positive(name, value):
    with pytest.raises(ValueError, match=f"{name} must be at least 1, or None for no limit"):
        NickTracker(**{name: value})


@pytest.mark.parametrize("name", ["max_nicks", "max_directories"])
@pytest.mark.parametrize("value", ["10", 2.5, True])
def test_a_limit_must_be_an_int(name, value):
    with pytest.raises(TypeError, match=f"{name} must be an int or None"):
        NickTracker(**{name: value})


def test_a_limit_too_large_for_size_t_means_no_limit_in_practice():
    with NickTracker(max_nicks=2**70, max_directories=2**64 - 1) as tracker:
        tracker.sync_with_peerlist("dir1", [f"n{i}" for i in range(100)])
        assert tracker.stats().nicks == 100
