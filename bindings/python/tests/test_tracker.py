"""Behaviour of the wrapper beyond jmcore's own suite: the documented difference, directory
keys, return types and orders, the callback attribute, and the tracker's lifetime."""

import gc
import weakref

from nick_tracker import NickTracker


def test_gone_report_for_a_nick_never_present_there_is_ignored(recorded):
    # The documented difference from jmcore, which stores {directory: False} for such a report
    # and later announces a departure for a nick that was never present.
    tracker, left = recorded
    tracker.mark_nick_gone("ghost", "dir1")
    tracker.mark_nick_present("maker1", "dir1")
    tracker.mark_nick_gone("maker1", "dir2")
    assert not tracker.is_nick_active("ghost")
    assert tracker.remove_directory("dir1") == ["maker1"]
    assert tracker.remove_directory("dir2") == []  # jmcore: ["ghost"]
    assert left == ["maker1"]


def test_directory_keys_of_any_hashable_type_come_back_as_given(recorded):
    tracker, _ = recorded
    onion = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion:5222"
    keys = [onion, 7, ("host", 5222), None, frozenset({"x"})]
    for key in keys:
        tracker.mark_nick_present("maker1", key)
    assert tracker.get_active_directories_for_nick("maker1") == keys


def test_directories_come_back_in_first_reported_order_beyond_any_initial_buffer(recorded):
    tracker, _ = recorded
    keys = [f"dir{i}" for i in range(40, 0, -1)]
    for key in keys:
        tracker.mark_nick_present("maker1", key)
    assert tracker.get_active_directories_for_nick("maker1") == keys


def test_a_removed_directory_can_come_back(recorded):
    tracker, left = recorded
    tracker.mark_nick_present("maker1", "dir1")
    assert tracker.remove_directory("dir1") == ["maker1"]
    tracker.mark_nick_present("maker1", "dir1")
    assert tracker.get_active_directories_for_nick("maker1") == ["dir1"]
    assert tracker.remove_directory("dir1") == ["maker1"]
    assert left == ["maker1", "maker1"]


def test_removing_an_unknown_directory_returns_nothing(recorded):
    tracker, left = recorded
    tracker.mark_nick_present("maker1", "dir1")
    assert tracker.remove_directory("never-seen") == []
    assert tracker.is_nick_active("maker1")
    assert left == []


def test_remove_directory_returns_departures_in_first_seen_order(recorded):
    tracker, left = recorded
    for nick in ["carol", "alice", "bob"]:
        tracker.mark_nick_present(nick, "dir1")
    tracker.mark_nick_present("alice", "dir2")
    assert tracker.remove_directory("dir1") == ["carol", "bob"]
    assert left == ["carol", "bob"]


def test_sync_accepts_any_iterable_and_returns_nothing(recorded):
    tracker, left = recorded
    assert tracker.sync_with_peerlist("dir1", (nick for nick in ["alice", "bob"])) is None
    assert tracker.sync_with_peerlist("dir1", ["bob", "bob"]) is None
    assert tracker.get_all_active_nicks() == {"bob"}
    assert tracker.sync_with_peerlist("dir1", []) is None
    assert left == ["alice", "bob"]


def test_non_ascii_nicks_round_trip(recorded):
    tracker, left = recorded
    nick = "J5ñandú☃"
    tracker.mark_nick_present(nick, "dir1")
    assert tracker.get_all_active_nicks() == {nick}
    assert tracker.remove_directory("dir1") == [nick]
    assert left == [nick]


def test_on_nick_leave_can_be_replaced_or_removed_later():
    first, second = [], []
    with NickTracker(on_nick_leave=first.append) as tracker:
        for nick in ["alice", "bob", "carol"]:
            tracker.mark_nick_present(nick, "dir1")
        tracker.mark_nick_gone("alice", "dir1")
        tracker.on_nick_leave = second.append
        tracker.mark_nick_gone("bob", "dir1")
        tracker.on_nick_leave = None
        # Without a callback, departures are still returned.
        assert tracker.remove_directory("dir1") == ["carol"]
    assert first == ["alice"]
    assert second == ["bob"]


def test_repr_counts_active_nicks(recorded):
    tracker, _ = recorded
    assert repr(tracker) == "NickTracker(active_nicks=0)"
    tracker.sync_with_peerlist("dir1", ["alice", "bob"])
    assert repr(tracker) == "NickTracker(active_nicks=2)"


def test_dropping_the_last_reference_frees_the_tracker_at_once():
    # The leave trampoline must not hold the tracker: a reference cycle would keep the C
    # tracker alive until a garbage collection that may never come.
    tracker = NickTracker(on_nick_leave=print)
    tracker.mark_nick_present("alice", "dir1")
    alive = weakref.ref(tracker)
    del tracker
    assert alive() is None


def test_tracker_whose_callback_refers_back_to_it_is_collected():
    # The usual shape: an object owns the tracker and handles its departures. Nothing outside
    # that cycle (such as the finalizer's registry) may hold on to it.
    class Client:
        def __init__(self):
            self.tracker = NickTracker(on_nick_leave=self.on_leave)

        def on_leave(self, nick):
            pass

    client = Client()
    client.tracker.mark_nick_present("alice", "dir1")
    alive = weakref.ref(client.tracker)
    del client
    gc.collect()
    assert alive() is None
