"""Bad input raises a precise error and changes nothing; a closed tracker refuses every call."""

import pytest

from nick_tracker import (
    MAX_NICK_LEN,
    InvalidNickError,
    NickTracker,
    NickTrackerError,
    Status,
    TrackerClosedError,
)

INVALID_NICKS = [
    pytest.param("", Status.NICK_EMPTY, "nick is empty", id="empty"),
    pytest.param("x" * 257, Status.NICK_TOO_LONG, "nick is longer than", id="257-ascii"),
    # 256 bytes of two-byte characters plus one: the limit is bytes, not characters.
    pytest.param("é" * 128 + "x", Status.NICK_TOO_LONG, "nick is longer than", id="257-bytes"),
    pytest.param("al\0ice", Status.NICK_CONTAINS_NUL, "nick contains a NUL byte", id="nul"),
    pytest.param("al\udc80ice", Status.NICK_NOT_UTF8, "cannot be encoded as UTF-8", id="surrogate"),
]

NOT_STR = [pytest.param(b"alice", id="bytes"), pytest.param(None, id="None"), 7]


def populated(left):
    tracker = NickTracker(on_nick_leave=left.append)
    tracker.mark_nick_present("alice", "dir1")
    tracker.mark_nick_present("alice", "dir2")
    tracker.mark_nick_present("bob", "dir1")
    return tracker


def snapshot(tracker):
    return (
        tracker.get_all_active_nicks(),
        {nick: tracker.get_active_directories_for_nick(nick) for nick in ["alice", "bob", "carol"]},
    )


def calls_with(nick):
    """Every method that takes a nick, called with `nick`. The peerlist puts it second, after
    a valid new nick, so a partial sync would show (carol added, bob gone from dir1)."""
    return [
        ("mark_nick_present", lambda t: t.mark_nick_present(nick, "dir1")),
        ("mark_nick_gone", lambda t: t.mark_nick_gone(nick, "dir1")),
        ("update_nick", lambda t: t.update_nick(nick, "dir1", False)),
        ("is_nick_active", lambda t: t.is_nick_active(nick)),
        ("get_active_directories_for_nick", lambda t: t.get_active_directories_for_nick(nick)),
        ("sync_with_peerlist", lambda t: t.sync_with_peerlist("dir1", ["carol", nick])),
    ]


@pytest.mark.parametrize("nick, status, reason", INVALID_NICKS)
def test_invalid_nick_is_rejected_and_changes_nothing(nick, status, reason):
    left = []
    with populated(left) as tracker:
        before = snapshot(tracker)
        for name, call in calls_with(nick):
            with pytest.raises(InvalidNickError) as caught:
                call(tracker)
            error = caught.value
            assert isinstance(error, ValueError), name
            assert error.status == status, name
            argument = "nicks[1]" if name == "sync_with_peerlist" else "nick"
            assert str(error).startswith(f"{argument}: "), (name, str(error))
            assert reason in str(error), name
            assert snapshot(tracker) == before, name
        assert left == []


@pytest.mark.parametrize("nick", NOT_STR)
def test_nick_that_is_not_str_is_a_type_error_and_changes_nothing(nick):
    left = []
    with populated(left) as tracker:
        before = snapshot(tracker)
        for name, call in calls_with(nick):
            with pytest.raises(TypeError, match="must be str"):
                call(tracker)
            assert snapshot(tracker) == before, name
        assert left == []


@pytest.mark.parametrize("nick", ["x" * MAX_NICK_LEN, "é" * (MAX_NICK_LEN // 2)])
def test_nick_of_exactly_max_len_bytes_is_accepted(nick):
    left = []
    with NickTracker(on_nick_leave=left.append) as tracker:
        tracker.mark_nick_present(nick, "dir1")
        assert tracker.get_all_active_nicks() == {nick}
        tracker.mark_nick_gone(nick, "dir1")
        assert left == [nick]


def test_peerlist_given_as_a_string_is_a_type_error():
    with populated([]) as tracker:
        before = snapshot(tracker)
        with pytest.raises(TypeError, match="collection of str"):
            tracker.sync_with_peerlist("dir1", "bob")
        assert snapshot(tracker) == before


def test_unhashable_directory_is_a_type_error():
    with populated([]) as tracker:
        before = snapshot(tracker)
        with pytest.raises(TypeError, match="unhashable"):
            tracker.mark_nick_present("carol", ["dir1"])
        assert snapshot(tracker) == before


def test_on_nick_leave_must_be_callable_or_none():
    with pytest.raises(TypeError, match="callable"):
        NickTracker(on_nick_leave="print")
    with NickTracker() as tracker:
        with pytest.raises(TypeError, match="callable"):
            tracker.on_nick_leave = 42
        assert tracker.on_nick_leave is None


def test_every_call_on_a_closed_tracker_raises_closed_error():
    tracker = populated([])
    tracker.close()
    calls = calls_with("alice") + [
        ("get_all_active_nicks", lambda t: t.get_all_active_nicks()),
        ("remove_directory", lambda t: t.remove_directory("dir1")),
    ]
    for name, call in calls:
        with pytest.raises(TrackerClosedError, match="closed NickTracker") as caught:
            call(tracker)
        assert isinstance(caught.value, NickTrackerError), name
        assert isinstance(caught.value, ValueError), name
        assert caught.value.status is None, name
    assert repr(tracker) == "NickTracker(closed)"


def test_closing_twice_and_leaving_a_with_block_after_close_are_fine():
    with NickTracker() as tracker:
        tracker.close()
    tracker.close()
    with pytest.raises(TrackerClosedError):
        tracker.is_nick_active("alice")
