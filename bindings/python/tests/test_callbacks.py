"""Leave callbacks that raise, and callbacks that call back into the tracker."""

import pytest

from nick_tracker import NickTracker


class Abort(BaseException):
    """Not an Exception, like KeyboardInterrupt: must propagate all the same."""


def only_on_dir1(tracker, nicks):
    for nick in nicks:
        tracker.mark_nick_present(nick, "dir1")


@pytest.mark.parametrize("error_type", [ValueError, Abort])
def test_exception_in_callback_propagates_after_the_call_completes(error_type):
    seen = []
    raised = []

    def on_leave(nick):
        seen.append(nick)
        if nick == "bob":
            raised.append(error_type(nick))
            raise raised[-1]

    with NickTracker(on_nick_leave=on_leave) as tracker:
        only_on_dir1(tracker, ["alice", "bob", "carol"])
        tracker.mark_nick_present("dave", "dir2")
        with pytest.raises(error_type) as caught:
            tracker.remove_directory("dir1")
        assert caught.value is raised[0]
        # The call was not cut short: every departure happened and was announced once.
        assert seen == ["alice", "bob", "carol"]
        assert tracker.get_all_active_nicks() == {"dave"}
        # And the tracker carries on normally.
        tracker.mark_nick_gone("dave", "dir2")
        assert seen == ["alice", "bob", "carol", "dave"]
        assert tracker.remove_directory("dir1") == []


def test_first_of_several_callback_exceptions_is_raised():
    seen = []

    def on_leave(nick):
        seen.append(nick)
        raise LookupError(nick)

    with NickTracker(on_nick_leave=on_leave) as tracker:
        only_on_dir1(tracker, ["alice", "bob"])
        with pytest.raises(LookupError, match="alice"):
            tracker.sync_with_peerlist("dir1", [])
        assert seen == ["alice", "bob"]
        assert tracker.get_all_active_nicks() == set()


def test_exception_from_single_report_propagates():
    def on_leave(nick):
        raise RuntimeError(f"{nick} left")

    with NickTracker(on_nick_leave=on_leave) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        with pytest.raises(RuntimeError, match="alice left"):
            tracker.update_nick("alice", "dir1", False)
        assert not tracker.is_nick_active("alice")


def test_callback_may_report_into_the_same_tracker():
    # alice's departure makes the callback remove bob's last directory: bob's departure
    # belongs to that inner call (its return value), and is delivered after carol's, which
    # the remove_directory that is running made first.
    seen = []
    inner_results = []

    def on_leave(nick):
        seen.append(nick)
        if nick == "alice":
            inner_results.append(tracker.remove_directory("dir2"))

    with NickTracker(on_nick_leave=on_leave) as tracker:
        only_on_dir1(tracker, ["alice", "carol"])
        tracker.mark_nick_present("bob", "dir2")
        assert tracker.remove_directory("dir1") == ["alice", "carol"]
        assert inner_results == [["bob"]]
        assert seen == ["alice", "carol", "bob"]
        assert tracker.get_all_active_nicks() == set()


def test_callback_sees_the_departure_already_applied_and_may_bring_the_nick_back():
    observed = []

    def on_leave(nick):
        observed.append((tracker.is_nick_active(nick), tracker.get_all_active_nicks()))
        tracker.mark_nick_present(nick, "fallback")

    with NickTracker(on_nick_leave=on_leave) as tracker:
        only_on_dir1(tracker, ["alice", "bob"])
        assert tracker.remove_directory("dir1") == ["alice", "bob"]
        # alice was already back when bob's callback ran; the set snapshot is taken inside it.
        assert observed == [(False, set()), (False, {"alice"})]
        assert tracker.get_active_directories_for_nick("alice") == ["fallback"]
        assert tracker.get_all_active_nicks() == {"alice", "bob"}


def test_exception_raised_by_a_nested_call_reaches_the_outer_caller():
    def on_leave(nick):
        if nick == "alice":
            tracker.mark_nick_gone("bob", "dir2")  # bob's callback raises in here
        else:
            raise KeyError(nick)

    with NickTracker(on_nick_leave=on_leave) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_present("bob", "dir2")
        with pytest.raises(KeyError, match="bob"):
            tracker.mark_nick_gone("alice", "dir1")
        assert tracker.get_all_active_nicks() == set()


def test_callback_may_use_another_tracker():
    seen = []
    with NickTracker(on_nick_leave=seen.append) as mirror:

        def on_leave(nick):
            mirror.mark_nick_gone(nick, "mirror")

        with NickTracker(on_nick_leave=on_leave) as tracker:
            tracker.mark_nick_present("alice", "dir1")
            mirror.mark_nick_present("alice", "mirror")
            assert tracker.remove_directory("dir1") == ["alice"]
            assert seen == ["alice"]


def test_close_from_inside_own_callback_is_refused_and_tracker_stays_usable():
    refusals = []

    def on_leave(_nick):
        with pytest.raises(RuntimeError, match="inside its own leave callback"):
            tracker.close()
        refusals.append(tracker.is_nick_active("alice"))

    with NickTracker(on_nick_leave=on_leave) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_gone("alice", "dir1")
        assert refusals == [False]
        tracker.mark_nick_present("alice", "dir1")
        assert tracker.is_nick_active("alice")
