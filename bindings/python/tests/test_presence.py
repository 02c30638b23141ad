"""What the package adds for JoinMarket-style directories, under its Python names: peerlists
in chunks, batched reports, time (a fake clock), expiry, sticky picks and each directory's
view. The rules themselves are the library's (its C tests cover them in depth); these tests
check what the package maps: names, seconds, keys, return values and errors."""

import math
import time

import pytest

from helpers import joins, leaves, taken
from nick_tracker import (
    ClockWentBackwardsError,
    DirectoryStats,
    InvalidNickError,
    NickLimitError,
    NickTracker,
    NickTrackerError,
    NoSnapshotError,
    NotFoundError,
    Status,
)


class FakeClock:
    """A clock for NickTracker(clock=...): seconds, moved by the test."""

    def __init__(self, now=1000.0):
        self.now = now
        self.readings = 0

    def __call__(self):
        self.readings += 1
        return self.now


# -- peerlists in chunks --------------------------------------------------------------------


def test_a_peerlist_in_chunks_drops_only_what_it_does_not_list(evented):
    tracker, events = evented
    tracker.sync_with_peerlist("dir1", ["alice", "bob", "carol"])
    taken(events)
    tracker.begin_peerlist("dir1")
    tracker.add_peerlist_chunk("dir1", ["dave", "alice"])  # dave joins at once
    assert taken(events) == joins(("dave", "dir1"))
    tracker.mark_nick_present("bob", "dir1")  # a present report meanwhile counts as listed
    assert tracker.get_all_active_nicks() == {"alice", "bob", "carol", "dave"}  # nothing gone yet
    assert tracker.commit_peerlist("dir1") == ["carol"]
    assert taken(events) == leaves(("carol", "dir1"))
    assert tracker.get_all_active_nicks() == {"alice", "bob", "dave"}


def test_an_aborted_peerlist_drops_nothing(recorded):
    tracker, left = recorded
    tracker.sync_with_peerlist("dir1", ["alice", "bob"])
    tracker.begin_peerlist("dir1")
    tracker.add_peerlist_chunk("dir1", ("carol",))
    tracker.abort_peerlist("dir1")
    assert tracker.get_all_active_nicks() == {"alice", "bob", "carol"}
    assert left == []
    with pytest.raises(NoSnapshotError):
        tracker.commit_peerlist("dir1")  # the abort closed it


@pytest.mark.parametrize("call", ["add_peerlist_chunk", "commit_peerlist", "abort_peerlist"])
@pytest.mark.parametrize("directory", ["dir1", ("never", "seen")])
def test_no_open_peerlist_is_a_no_snapshot_error_naming_the_key(call, directory):
    with NickTracker() as tracker:
        tracker.mark_nick_present("alice", "dir1")
        args = (directory, ["bob"]) if call == "add_peerlist_chunk" else (directory,)
        with pytest.raises(NoSnapshotError) as caught:
            getattr(tracker, call)(*args)
        assert isinstance(caught.value, (NickTrackerError, LookupError))
        assert caught.value.status is Status.NO_SNAPSHOT
        assert f"directory {directory!r} has no peerlist open" in str(caught.value)
        assert tracker.directories() == ["dir1"]  # an unknown directory stays unknown
        assert tracker.get_all_active_nicks() == {"alice"}


def test_a_bad_chunk_is_refused_whole_and_the_peerlist_stays_open(recorded):
    tracker, _ = recorded
    tracker.begin_peerlist("dir1")
    with pytest.raises(InvalidNickError, match=r"^nicks\[1\]: nick is empty"):
        tracker.add_peerlist_chunk("dir1", ["alice", ""])
    with pytest.raises(TypeError, match="collection of str"):
        tracker.add_peerlist_chunk("dir1", "alice")
    assert tracker.get_all_active_nicks() == set()
    tracker.add_peerlist_chunk("dir1", ["alice"])
    assert tracker.commit_peerlist("dir1") == []
    assert tracker.get_all_active_nicks() == {"alice"}


# -- batched reports --------------------------------------------------------------------------


def test_update_nicks_applies_a_messages_reports_in_order_and_returns_who_left(evented):
    tracker, events = evented
    assert tracker.update_nicks("dir1", [("alice", True), ("bob", True), ("alice", False)]) == [
        "alice"
    ]
    assert taken(events) == joins(("alice", "dir1"), ("bob", "dir1")) + leaves(("alice", "dir1"))
    reports = iter([("bob", 0), ("carol", "yes")])  # any iterable; truthiness as update_nick
    assert tracker.update_nicks("dir1", reports) == ["bob"]
    assert tracker.get_all_active_nicks() == {"carol"}
    assert tracker.update_nicks("dir1", []) == []


def test_a_bad_batch_changes_nothing():
    with NickTracker(max_nicks=2) as tracker:
        with pytest.raises(InvalidNickError, match=r"^nicks\[2\]: nick contains a NUL"):
            tracker.update_nicks("dir1", [("a", True), ("b", True), ("c\0", True)])
        with pytest.raises(NickLimitError):
            tracker.update_nicks("dir1", [("a", True), ("b", True), ("c", True)])
        for bad in ([("a", True, 1)], [("a",)], [7], None):
            with pytest.raises(TypeError, match=r"\(nick, present\) pairs"):
                tracker.update_nicks("dir1", bad)
        assert tracker.stats().nicks == 0 and tracker.directories() == []


def test_gone_reports_alone_from_an_unknown_directory_leave_it_unknown(recorded):
    tracker, _ = recorded
    assert tracker.update_nicks("ghost", [("alice", False)]) == []
    assert tracker.directories() == []


# -- time -------------------------------------------------------------------------------------


def test_last_seen_is_in_seconds_of_the_callers_clock():
    clock = FakeClock(now=1000.0)
    with NickTracker(clock=clock) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        clock.now = 1002.5
        tracker.sync_with_peerlist("dir2", ["alice"])
        clock.now = 1010.0
        tracker.mark_nick_gone("alice", "dir2")  # a gone report does not move it
        assert tracker.last_seen("alice", "dir1") == 1000.0
        assert tracker.last_seen("alice", "dir2") == 1002.5
        assert tracker.last_seen("alice") == 1002.5  # the latest over every directory
        # Unknown: None, whether the nick, the pair or the directory is missing.
        assert tracker.last_seen("bob") is None
        assert tracker.last_seen("bob", "dir1") is None
        assert tracker.last_seen("alice", "dir3") is None
        with pytest.raises(InvalidNickError):
            tracker.last_seen("", "dir3")  # still checked


def test_a_clock_starting_at_zero_and_fractions_of_milliseconds():
    clock = FakeClock(now=0.0)
    with NickTracker(clock=clock) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        assert tracker.last_seen("alice") == 0.0
        stats = tracker.directory_stats("dir1")
        assert stats.last_report == 0.0 and stats.last_peerlist is None  # 0.0 is not "never"
        clock.now = 1.0004  # milliseconds are the library's unit: rounded
        tracker.mark_nick_present("alice", "dir1")
        assert tracker.last_seen("alice") == 1.0


def test_the_default_clock_is_comparable_with_time_monotonic():
    with NickTracker() as tracker:
        before = time.monotonic()
        tracker.mark_nick_present("alice", "dir1")
        after = time.monotonic()
        seen = tracker.last_seen("alice")
        # The library reads the coarse monotonic clock: up to a tick (a few ms) behind.
        assert before - 0.05 <= seen <= after + 0.001


def test_presence_ttl_expires_what_was_not_seen_again(recorded):
    clock = FakeClock()
    left = []
    with NickTracker(left.append, clock=clock, presence_ttl=60) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_present("bob", "dir1")
        clock.now += 30
        tracker.mark_nick_present("bob", "dir1")
        assert tracker.expire() == []
        clock.now += 31  # alice last seen 61 s ago, bob 31 s ago
        assert tracker.expire() == ["alice"]
        assert left == ["alice"]
        clock.now += 30
        assert tracker.expire() == ["bob"]


def test_gone_grace_holds_a_gone_report_back_until_expire():
    clock = FakeClock()
    with NickTracker(clock=clock, gone_grace=0.5) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_present("bob", "dir1")
        tracker.mark_nick_gone("alice", "dir1")
        tracker.mark_nick_gone("bob", "dir1")
        clock.now += 0.2
        tracker.mark_nick_present("bob", "dir1")  # bob's new connection: his gone is void
        assert tracker.get_all_active_nicks() == {"alice", "bob"}
        clock.now += 0.4
        assert tracker.expire() == ["alice"]
        assert tracker.get_all_active_nicks() == {"bob"}


def test_disconnected_hold_removes_the_directory_and_releases_its_key():
    clock = FakeClock()
    with NickTracker(clock=clock, disconnected_hold=120.0) as tracker:
        tracker.sync_with_peerlist("dir1", ["alice"])
        tracker.sync_with_peerlist("dir2", ["bob"])
        tracker.set_directory_connected("dir1", False)
        clock.now += 119
        assert tracker.expire() == []
        assert sorted(tracker.directories()) == ["dir1", "dir2"]
        clock.now += 2
        assert tracker.expire() == []  # alice left when dir1 was disconnected
        assert tracker.directories() == ["dir2"]
        assert "dir1" not in tracker._directories.ids  # its id released
        tracker.set_directory_connected("dir1", True)  # comes back as a new directory
        assert tracker.directory_stats("dir1").nicks == 0


def test_an_exception_from_a_callback_during_expire_is_raised_after_it_completes():
    clock = FakeClock()

    def on_leave(nick):
        raise RuntimeError(f"{nick} left")

    with NickTracker(on_leave, clock=clock, disconnected_hold=1, presence_ttl=10) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_present("bob", "dir2")
        tracker.set_directory_connected("dir2", True)
        with pytest.raises(RuntimeError, match="bob left"):
            tracker.set_directory_connected("dir2", False)
        clock.now += 11  # alice's presence expires, dir2's hold is over
        with pytest.raises(RuntimeError, match="alice left"):
            tracker.expire()
        assert tracker.directories() == ["dir1"]
        assert "dir2" not in tracker._directories.ids  # released all the same
        assert tracker.get_all_active_nicks() == set()


@pytest.mark.parametrize("option", ["presence_ttl", "gone_grace", "disconnected_hold"])
def test_durations_are_seconds_and_zero_or_none_is_off(option):
    for value in (None, 0, 0.0, 1, 2.5, 1e-9):
        NickTracker(**{option: value}).close()
    for value, error in [
        (-1, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (True, TypeError),
        ("60", TypeError),
    ]:
        with pytest.raises(error, match=option):
            NickTracker(**{option: value})


def test_a_clock_that_goes_backwards_is_refused_and_changes_nothing():
    clock = FakeClock(now=50.0)
    with NickTracker(clock=clock) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        clock.now = 49.0
        with pytest.raises(ClockWentBackwardsError) as caught:
            tracker.mark_nick_present("bob", "dir1")
        assert caught.value.status is Status.CLOCK_WENT_BACKWARDS
        assert tracker.get_all_active_nicks() == {"alice"}
        clock.now = 50.0
        tracker.mark_nick_present("bob", "dir1")


def test_an_exception_from_the_clock_is_raised_by_the_call_that_read_it():
    clock = FakeClock()
    with NickTracker(clock=clock) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        clock.now = "not a time"
        with pytest.raises(TypeError):
            tracker.mark_nick_present("bob", "dir1")
        clock.now = -5.0
        with pytest.raises(ValueError, match="negative time"):
            tracker.sync_with_peerlist("dir1", ["bob"])
        assert tracker.get_all_active_nicks() == {"alice"}  # both refused
        clock.now = 1001.0
        tracker.mark_nick_present("bob", "dir1")
        assert tracker.last_seen("bob") == 1001.0


def test_a_clock_that_fails_at_once_fails_the_constructor():
    def broken():
        raise OSError("no time today")

    with pytest.raises(OSError, match="no time today"):
        NickTracker(clock=broken)
    with pytest.raises(TypeError, match="clock must be callable"):
        NickTracker(clock=1000.0)


def test_a_python_clock_is_read_once_per_change():
    clock = FakeClock()
    with NickTracker(clock=clock) as tracker:
        before = clock.readings
        tracker.sync_with_peerlist("dir1", [f"n{i}" for i in range(100)])
        tracker.is_nick_active("n1")  # queries read no time
        assert clock.readings == before + 1


# -- sticky picks and each directory's view ------------------------------------------------


def test_sticky_picks_keep_a_directory_while_the_nick_stays_there():
    with NickTracker(pick="sticky") as tracker:
        for directory in ("dir1", "dir2", "dir3"):
            tracker.mark_nick_present("alice", directory)
        first = tracker.pick_directory("alice")
        assert {tracker.pick_directory("alice") for _ in range(50)} == {first}
        tracker.mark_nick_gone("alice", first)
        second = tracker.pick_directory("alice")
        assert second != first
        assert {tracker.pick_directory("alice") for _ in range(50)} == {second}


def test_each_directorys_view_and_stats():
    clock = FakeClock(now=100.0)
    with NickTracker(clock=clock) as tracker:
        tracker.sync_with_peerlist("dir1", ["alice", "bob"])
        clock.now = 105.0
        tracker.mark_nick_present("carol", "dir1")
        tracker.mark_nick_present("alice", ("onion", 2))
        tracker.set_directory_connected(("onion", 2), False)
        tracker.begin_peerlist(("onion", 2))
        assert tracker.directory_nicks("dir1") == {"alice", "bob", "carol"}
        assert tracker.directory_nicks(("onion", 2)) == {"alice"}  # connected or not
        assert tracker.directory_nicks("unknown") == set()
        assert sorted(map(str, tracker.directories())) == ["('onion', 2)", "dir1"]
        assert tracker.directory_stats("dir1") == DirectoryStats(
            nicks=3,
            connected=True,
            snapshot_open=False,
            last_peerlist=100.0,
            last_report=105.0,
            peerlists=1,
            reports=1,
        )
        onion = tracker.directory_stats(("onion", 2))
        assert (onion.connected, onion.snapshot_open, onion.last_peerlist) == (False, True, None)
        assert tracker.directory_stats("unknown") is None


def test_a_big_directory_view_comes_in_one_piece():
    nicks = {f"J5maker{i:06d}" for i in range(20_000)}
    with NickTracker() as tracker:
        tracker.sync_with_peerlist("dir1", nicks)
        assert tracker.directory_nicks("dir1") == nicks
        assert tracker.get_all_active_nicks() == nicks


def test_the_new_statuses_are_exceptions_in_the_hierarchy():
    assert issubclass(NoSnapshotError, NickTrackerError) and issubclass(
        NoSnapshotError, LookupError
    )
    assert issubclass(NotFoundError, LookupError)
    assert issubclass(ClockWentBackwardsError, NickTrackerError)
    assert [Status.CALLBACK_FAILED, Status.NO_SNAPSHOT] == [13, 14]
    assert [Status.CLOCK_WENT_BACKWARDS, Status.NOT_FOUND] == [15, 16]
