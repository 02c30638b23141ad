"""pick_directory: one of a nick's active directories, at random or in turn."""

import pytest

from nick_tracker import (
    InvalidNickError,
    NickNotActiveError,
    NickTracker,
    NickTrackerError,
    PickMode,
    Status,
)

PICKS = 600


def spread(tracker, nick="alice"):
    """alice reported present by d1, d2, ("d", 3) and by down (disconnected); gone from d4."""
    for directory in ["d1", "d2", ("d", 3), "d4", "down"]:
        tracker.mark_nick_present(nick, directory)
    tracker.mark_nick_gone(nick, "d4")
    tracker.set_directory_connected("down", False)
    return ["d1", "d2", ("d", 3)]


def test_random_picks_cover_every_active_directory_and_only_those():
    with NickTracker() as tracker:
        active = spread(tracker)
        assert tracker.get_active_directories_for_nick("alice") == active
        picks = [tracker.pick_directory("alice") for _ in range(PICKS)]
    # Each active directory is missed by 600 uniform picks with probability (2/3)**600.
    assert set(picks) == set(active)
    # And none is starved: each gets far more than 100 of 600 (expected 200).
    assert min(picks.count(directory) for directory in active) > 100


def test_round_robin_cycles_in_active_directories_order_deterministically():
    sequences = []
    for _ in range(2):
        with NickTracker(pick="round_robin") as tracker:
            active = spread(tracker)
            sequences.append([tracker.pick_directory("alice") for _ in range(7)])
    assert sequences[0] == sequences[1] == (active * 3)[:7]


def test_round_robin_is_per_nick():
    with NickTracker(pick=PickMode.ROUND_ROBIN) as tracker:
        for directory in ["d1", "d2"]:
            tracker.mark_nick_present("alice", directory)
            tracker.mark_nick_present("bob", directory)
        assert [tracker.pick_directory(nick) for nick in ["alice", "alice", "bob"]] == [
            "d1",
            "d2",
            "d1",
        ]


def test_round_robin_follows_changes_of_the_active_directories():
    with NickTracker(pick="round-robin") as tracker:
        for directory in ["d1", "d2", "d3"]:
            tracker.mark_nick_present("alice", directory)
        tracker.pick_directory("alice")
        tracker.set_directory_connected("d2", False)
        # Any two consecutive picks now visit both remaining directories, never d2.
        picks = [tracker.pick_directory("alice") for _ in range(6)]
        assert "d2" not in picks
        assert all({picks[i], picks[i + 1]} == {"d1", "d3"} for i in range(5))


@pytest.mark.parametrize("pick", ["random", "round_robin"])
def test_a_single_active_directory_is_always_picked(pick):
    with NickTracker(pick=pick) as tracker:
        tracker.mark_nick_present("alice", None)  # None is a valid directory key
        assert [tracker.pick_directory("alice") for _ in range(5)] == [None] * 5


@pytest.mark.parametrize("pick", ["random", "round_robin"])
def test_a_nick_that_is_not_active_raises_not_active(pick):
    with NickTracker(pick=pick) as tracker:
        tracker.mark_nick_present("alice", "d1")
        tracker.set_directory_connected("d1", False)
        tracker.mark_nick_present("bob", "d2")
        tracker.mark_nick_gone("bob", "d2")
        for nick in ["alice", "bob", "never-seen"]:
            with pytest.raises(NickNotActiveError) as caught:
                tracker.pick_directory(nick)
            error = caught.value
            assert isinstance(error, LookupError) and isinstance(error, NickTrackerError)
            assert error.status is Status.NICK_NOT_ACTIVE
            assert str(error) == f'"{nick}" is not active'


def test_pick_rejects_invalid_nicks_like_every_query():
    with NickTracker() as tracker:
        with pytest.raises(InvalidNickError, match="nick: nick is empty"):
            tracker.pick_directory("")
        with pytest.raises(InvalidNickError, match="NUL"):
            tracker.pick_directory("a\0b")
        with pytest.raises(TypeError, match="nick must be str"):
            tracker.pick_directory(b"alice")


@pytest.mark.parametrize(
    "pick",
    [PickMode.RANDOM, 0, "RANDOM", PickMode.ROUND_ROBIN, 1, "Round_Robin", PickMode.STICKY, 2],
)
def test_pick_accepts_the_enum_its_number_or_its_name(pick):
    with NickTracker(pick=pick) as tracker:
        tracker.mark_nick_present("alice", "d1")
        assert tracker.pick_directory("alice") == "d1"


@pytest.mark.parametrize("pick", ["stick", 3, None, True, 1.0])
def test_an_unknown_pick_mode_is_refused_before_reaching_the_library(pick):
    expected = "pick must be a PickMode or one of 'random', 'round_robin', 'sticky'"
    with pytest.raises(ValueError, match=expected):
        NickTracker(pick=pick)
