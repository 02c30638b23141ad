"""The join, event and log callbacks follow the leave callback's rules (test_callbacks.py): an
exception does not cut the call short, the first one is re-raised, and a callback may call
back into the tracker."""

import re

import pytest

from helpers import joins, leaves, taken
from nick_tracker import EventKind, LogLevel, NickLimitError, NickTracker


class Abort(BaseException):
    """Not an Exception, like KeyboardInterrupt: must propagate all the same."""


@pytest.mark.parametrize("error_type", [ValueError, Abort])
def test_exception_in_on_event_propagates_after_the_call_completes(error_type):
    seen = []
    raised = []

    def on_event(event):
        seen.append(event)
        if event.nick == "bob":
            raised.append(error_type(event.nick))
            raise raised[-1]

    with NickTracker(on_event=on_event) as tracker:
        with pytest.raises(error_type) as caught:
            tracker.sync_with_peerlist("dir1", ["alice", "bob", "carol"])
        assert caught.value is raised[0]
        assert taken(seen) == joins(("alice", "dir1"), ("bob", "dir1"), ("carol", "dir1"))
        assert tracker.get_all_active_nicks() == {"alice", "bob", "carol"}
        with pytest.raises(error_type):
            tracker.remove_directory("dir1")
        assert taken(seen) == leaves(("alice", "dir1"), ("bob", "dir1"), ("carol", "dir1"))
        assert tracker.get_all_active_nicks() == set()


def test_first_of_several_exceptions_wins_across_event_join_and_leave_callbacks():
    order = []

    def failing(name):
        def callback(argument):
            order.append(name)
            raise LookupError(name)

        return callback

    with NickTracker(on_event=failing("event"), on_nick_join=failing("join")) as tracker:
        with pytest.raises(LookupError, match="event"):
            tracker.mark_nick_present("alice", "dir1")
        assert order == ["event", "join"]  # the join callback still ran
        tracker.on_event = None
        tracker.on_nick_leave = failing("leave")
        with pytest.raises(LookupError, match="leave"):  # leaves come first in a batch
            tracker.sync_with_peerlist("dir1", ["bob", "carol"])
        assert order == ["event", "join", "leave", "join", "join"]
        with pytest.raises(LookupError, match="leave"):
            tracker.remove_directory("dir1")
        assert order[-2:] == ["leave", "leave"]
        assert tracker.stats().active_nicks == 0


def test_exception_in_log_callback_propagates_after_the_call_completes():
    messages = []

    def log(level, message):
        messages.append(message)
        raise RuntimeError(message)

    events = []
    with NickTracker(on_event=events.append, log=log) as tracker:
        tracker.sync_with_peerlist("dir1", ["alice", "bob"])  # joins log at DEBUG: not sent
        with pytest.raises(RuntimeError, match="alice.* has left"):
            tracker.remove_directory("dir1")
        # Every message was still sent (the wording is the library's: only its gist here).
        assert len(messages) == 3
        assert re.match(r'nick "?alice"? has left all directories', messages[0])
        assert re.match(r'nick "?bob"? has left all directories', messages[1])
        assert re.match(r"directory 'dir1' removed: 2 nicks left", messages[2])
        assert taken(events) == joins(("alice", "dir1"), ("bob", "dir1")) + leaves(
            ("alice", "dir1"), ("bob", "dir1")
        )


def test_a_refused_change_raises_its_own_error_with_the_log_callbacks_as_context():
    def log(level, message):
        raise ValueError(f"{level.name}: {message}")

    with NickTracker(max_nicks=1, log=log, log_level=LogLevel.WARN) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        with pytest.raises(NickLimitError) as caught:
            tracker.mark_nick_present("bob", "dir1")
        context = caught.value.__context__
        assert isinstance(context, ValueError)
        assert str(context).startswith("WARN: change refused: nick limit reached")


def test_a_refused_change_yields_to_a_base_exception_from_the_log_callback():
    def log(level, message):
        raise Abort(message)

    with NickTracker(max_nicks=1, log=log) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        with pytest.raises(Abort) as caught:
            tracker.mark_nick_present("bob", "dir1")
        assert isinstance(caught.value.__context__, NickLimitError)
        assert tracker.get_all_active_nicks() == {"alice"}


def test_join_callback_may_query_and_change_the_same_tracker():
    observed = []

    def on_join(nick):
        # The join is already applied when the callback runs, and the lock is free.
        observed.append(
            (
                nick,
                tracker.is_nick_active(nick),
                tracker.pick_directory(nick),
                tracker.stats().active_nicks,
            )
        )
        if nick == "alice":
            tracker.mark_nick_present("bob", "dir2")  # bob's join belongs to this inner call

    with NickTracker(on_nick_join=on_join) as tracker:
        tracker.sync_with_peerlist("dir1", ["alice", "carol"])
    # bob's join is queued behind carol's, which the sync made first (test_ordering.py).
    assert observed == [
        ("alice", True, "dir1", 2),
        ("carol", True, "dir1", 3),
        ("bob", True, "dir2", 3),
    ]


def test_event_callback_may_disconnect_a_directory_and_returns_stay_with_their_calls():
    events = []
    inner_results = []

    def on_event(event):
        events.append(event)
        if event[:3] == (EventKind.LEAVE, "alice", "dir1"):
            tracker.set_directory_connected("dir2", False)
            inner_results.append(tracker.remove_directory("dir3"))

    with NickTracker(on_event=on_event) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_present("bob", "dir2")
        tracker.mark_nick_present("carol", "dir3")
        tracker.mark_nick_present("dave", "dir1")
        del events[:]
        assert tracker.remove_directory("dir1") == ["alice", "dave"]
    assert inner_results == [["carol"]]
    # The inner calls' leaves come after dave's, which the outer call made first.
    assert taken(events) == leaves(
        ("alice", "dir1"), ("dave", "dir1"), ("bob", "dir2"), ("carol", "dir3")
    )


def test_log_callback_may_call_into_the_tracker():
    seen = []

    def log(level, message):
        gist = "active" if "is active" in message else "left" if "has left" in message else message
        seen.append((level, gist, "alice" in message, tracker.stats().active_nicks))

    with NickTracker(log=log, log_level="debug") as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_gone("alice", "dir1")
    assert seen == [
        (LogLevel.DEBUG, "active", True, 1),
        (LogLevel.INFO, "left", True, 0),
    ]


@pytest.mark.parametrize(
    "kind, options",
    [
        ("join", {"on_nick_join": "CLOSE"}),
        ("event", {"on_event": "CLOSE"}),
        ("log", {"log": "CLOSE", "log_level": "debug"}),
    ],
)
def test_close_from_inside_any_own_callback_is_refused_and_names_it(kind, options):
    refusals = []

    def close(*_args):
        with pytest.raises(RuntimeError, match=f"inside its own {kind} callback"):
            tracker.close()
        refusals.append(tracker.is_nick_active("alice"))

    options = {name: close if value == "CLOSE" else value for name, value in options.items()}
    with NickTracker(**options) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        assert refusals and refusals[0] is True
        assert tracker.is_nick_active("alice")
