"""Join and leave events: on_event, on_nick_join, their order, the directory keys they carry,
and which trackers have them."""

import ctypes
import random

import pytest

from helpers import joins, leaves, taken
from nick_tracker import Event, EventKind, NickTracker, _lib
from jmcore_model import ModelNickTracker
from test_differential import DIRECTORIES, NICKS, random_operation


def test_event_is_a_named_tuple_with_an_int_enum_kind():
    event = Event(EventKind.JOIN, "alice", "dir1", 7)
    assert event.kind is EventKind.JOIN and event.nick == "alice" and event.directory == "dir1"
    assert event.seq == 7
    assert event == (1, "alice", "dir1", 7)
    assert EventKind.LEAVE == 2
    assert repr(event) == "Event(kind=<EventKind.JOIN: 1>, nick='alice', directory='dir1', seq=7)"


def test_single_reports_make_one_join_and_one_leave_per_presence_period(evented):
    tracker, events = evented
    tracker.mark_nick_present("alice", "dir1")
    assert taken(events) == joins(("alice", "dir1"))
    tracker.mark_nick_present("alice", "dir2")  # already active: no event
    tracker.mark_nick_present("alice", "dir1")  # a repeat: no event
    tracker.mark_nick_gone("alice", "dir1")  # still on dir2
    assert taken(events) == []
    tracker.update_nick("alice", "dir2", False)
    assert taken(events) == leaves(("alice", "dir2"))
    tracker.mark_nick_gone("alice", "dir2")  # already gone: no second leave
    tracker.mark_nick_gone("ghost", "dir1")  # never present: ignored
    assert taken(events) == []
    tracker.mark_nick_present("alice", "dir3")  # back: joins again
    assert taken(events) == joins(("alice", "dir3"))


def test_events_carry_the_callers_directory_keys_of_any_type(evented):
    tracker, events = evented
    keys = ["onion:5222", 7, ("host", 5222), None, frozenset({"x"})]
    for index, key in enumerate(keys):
        tracker.mark_nick_present(f"n{index}", key)
    for index, key in enumerate(keys):
        tracker.remove_directory(key)
    expected = joins(*((f"n{i}", key) for i, key in enumerate(keys)))
    expected += leaves(*((f"n{i}", key) for i, key in enumerate(keys)))
    assert taken(events) == expected


def test_sync_reports_leaves_in_first_seen_order_then_joins_in_list_order(evented):
    tracker, events = evented
    tracker.sync_with_peerlist("dir1", ["carol", "alice", "bob"])
    assert taken(events) == joins(("carol", "dir1"), ("alice", "dir1"), ("bob", "dir1"))
    # alice leaves and comes back, so she now counts as seen after bob.
    tracker.mark_nick_gone("alice", "dir1")
    tracker.mark_nick_present("alice", "dir1")
    taken(events)
    tracker.sync_with_peerlist("dir1", ["erin", "dave", "erin"])
    assert taken(events) == leaves(("carol", "dir1"), ("bob", "dir1"), ("alice", "dir1")) + joins(
        ("erin", "dir1"), ("dave", "dir1")
    )


def test_remove_directory_returns_the_leaves_its_events_report(evented):
    tracker, events = evented
    for nick in ["carol", "alice", "bob"]:
        tracker.mark_nick_present(nick, "dir1")
    tracker.mark_nick_present("alice", "dir2")
    taken(events)
    assert tracker.remove_directory("dir1") == ["carol", "bob"]
    assert taken(events) == leaves(("carol", "dir1"), ("bob", "dir1"))
    assert tracker.remove_directory("dir1") == []
    assert tracker.remove_directory("never-seen") == []
    assert events == []


def test_on_event_runs_before_the_kind_specific_callbacks():
    calls = []
    with NickTracker(
        on_event=lambda event: calls.append(("event", event.kind.name, event.nick)),
        on_nick_join=lambda nick: calls.append(("join", nick)),
        on_nick_leave=lambda nick: calls.append(("leave", nick)),
    ) as tracker:
        tracker.sync_with_peerlist("dir1", ["alice", "bob"])
        tracker.sync_with_peerlist("dir1", ["bob"])
    assert calls == [
        ("event", "JOIN", "alice"),
        ("join", "alice"),
        ("event", "JOIN", "bob"),
        ("join", "bob"),
        ("event", "LEAVE", "alice"),
        ("leave", "alice"),
    ]


def test_on_nick_join_alone_gives_joins_and_leaves_still_go_to_on_nick_leave():
    joined, left = [], []
    with NickTracker(on_nick_leave=left.append, on_nick_join=joined.append) as tracker:
        tracker.sync_with_peerlist("dir1", ["alice", "bob"])
        assert tracker.remove_directory("dir1") == ["alice", "bob"]
    assert joined == ["alice", "bob"]
    assert left == ["alice", "bob"]


def test_callbacks_of_a_tracker_with_events_can_be_swapped_and_removed(evented):
    tracker, events = evented
    joined = []
    tracker.on_nick_join = joined.append
    tracker.mark_nick_present("alice", "dir1")
    tracker.on_event = None
    tracker.mark_nick_present("bob", "dir1")
    tracker.on_nick_join = None
    tracker.mark_nick_present("carol", "dir1")
    assert taken(events) == joins(("alice", "dir1"))
    assert joined == ["alice", "bob"]
    # Without any callback, departures are still returned.
    assert tracker.remove_directory("dir1") == ["alice", "bob", "carol"]


def test_a_plain_tracker_has_no_join_events_and_says_how_to_get_them(recorded):
    tracker, _ = recorded
    with pytest.raises(ValueError, match="pass on_nick_join= or on_event="):
        tracker.on_nick_join = print
    with pytest.raises(ValueError, match="created with join events"):
        tracker.on_event = print
    tracker.on_nick_join = None  # clearing what is not set is fine
    tracker.on_event = None
    assert tracker.on_nick_join is None and tracker.on_event is None


def test_any_new_option_gives_a_tracker_with_events():
    joined = []
    with NickTracker(max_nicks=10) as tracker:
        tracker.on_nick_join = joined.append
        tracker.mark_nick_present("alice", "dir1")
    assert joined == ["alice"]


@pytest.mark.parametrize("name", ["on_nick_join", "on_event"])
def test_event_callbacks_must_be_callable_or_none(name):
    with pytest.raises(TypeError, match=f"{name} must be callable or None, not str"):
        NickTracker(**{name: "print"})
    with NickTracker(on_event=print) as tracker:
        with pytest.raises(TypeError, match=f"{name} must be callable or None, not int"):
            setattr(tracker, name, 42)


def test_an_event_kind_unknown_to_this_package_is_ignored():
    # The header says new kinds may be added and unknown ones must be ignored. The library
    # cannot be made to send one, so the event trampoline is fed hand-made events.
    seen = []
    with NickTracker(on_event=seen.append, on_nick_join=seen.append) as tracker:
        directory_id = tracker._directories.add("dir0").value
        for seq, (kind, nick) in enumerate([(3, b"alice"), (EventKind.JOIN, b"bob")], 1):
            raw = _lib.NtEvent(kind=kind, nick=nick, directory=directory_id, seq=seq)
            tracker._dispatch.event(None, ctypes.pointer(raw))
    assert seen == [Event(EventKind.JOIN, "bob", "dir0", 2), "bob"]


# Against the plain-Python model of jmcore (test_differential.py), a tracker with events must
# return and announce the same departures as one without, and its events must be consistent:
# per nick, JOIN and LEAVE alternate starting with JOIN, and a nick is active exactly when its
# last event is a JOIN.


@pytest.mark.parametrize("seed", range(60))
def test_events_agree_with_the_model_and_with_the_active_set(seed):
    rng = random.Random(seed)
    model_left = []
    model = ModelNickTracker(on_nick_leave=model_left.append)
    events, left = [], []
    with NickTracker(on_event=events.append, on_nick_leave=left.append) as tracker:
        last = {}
        for step in range(60):
            method, args = random_operation(rng)
            where = f"seed {seed}, step {step}: {method}{args}"
            assert getattr(tracker, method)(*args) == getattr(model, method)(*args), where
            assert left == model_left, where
            for kind, nick, directory in taken(events):
                was_active = last.get(nick) is EventKind.JOIN
                assert kind is (EventKind.LEAVE if was_active else EventKind.JOIN), where
                assert directory in DIRECTORIES, where
                last[nick] = kind
            active = {nick for nick, kind in last.items() if kind is EventKind.JOIN}
            assert tracker.get_all_active_nicks() == active, where
            assert active <= set(NICKS)
        stats = tracker.stats()
        assert stats.leaves == len(left)
        assert stats.joins == stats.leaves + len(active)


def test_nicks_with_control_characters_come_back_byte_for_byte(evented):
    tracker, events = evented
    nick = "J5\tline\nbreak\x1b[31m☃"
    tracker.sync_with_peerlist(("onion", 1), [nick, "plain"])
    tracker.remove_directory(("onion", 1))
    assert taken(events) == joins((nick, ("onion", 1)), ("plain", ("onion", 1))) + leaves(
        (nick, ("onion", 1)), ("plain", ("onion", 1))
    )
