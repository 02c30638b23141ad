"""Several threads on one tracker. ctypes releases the GIL during every C call, so the calls
really do overlap inside the library while the threads' leave callbacks interleave in Python."""

import threading
import weakref

import pytest

from nick_tracker import NickTracker, TrackerClosedError

THREADS = 8
NICKS_PER_THREAD = 40
ROUNDS = 5


def run_threads(target, count):
    """Runs target(index) on `count` threads started together; re-raises the first failure."""
    start = threading.Barrier(count)
    failures = []

    def body(index):
        try:
            start.wait()
            target(index)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=body, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_threads_hammering_one_tracker_keep_every_invariant():
    # Each thread owns its nicks and one private directory, and shares two directories with all
    # the others. Every round its nicks join all three and leave the shared ones, so they stay
    # active only through the private directory; removing it must make exactly that thread's
    # nicks leave, in its order, with the callbacks on that thread.
    departures = []  # (thread ident, nick), appended by the callbacks; list.append is atomic

    def on_leave(nick):
        departures.append((threading.get_ident(), nick))

    tracker = NickTracker(on_nick_leave=on_leave)
    returned = {}

    def worker(index):
        own = ("own", index)
        nicks = [f"t{index}-n{n}" for n in range(NICKS_PER_THREAD)]
        for _ in range(ROUNDS):
            for nick in nicks:
                tracker.mark_nick_present(nick, "shared-a")
                tracker.update_nick(nick, own, True)
                tracker.mark_nick_present(nick, "shared-b")
            tracker.sync_with_peerlist(own, nicks)  # already all listed: nobody leaves
            for nick in nicks:
                tracker.mark_nick_gone(nick, "shared-a")
                tracker.update_nick(nick, "shared-b", False)
                assert tracker.get_active_directories_for_nick(nick) == [own]
            left = tracker.remove_directory(own)
            assert left == nicks
            returned.setdefault(threading.get_ident(), []).extend(left)

    with tracker:
        run_threads(worker, THREADS)
        assert tracker.get_all_active_nicks() == set()
        assert repr(tracker) == "NickTracker(active_nicks=0)"

    assert len(departures) == THREADS * NICKS_PER_THREAD * ROUNDS
    by_thread = {}
    for ident, nick in departures:
        by_thread.setdefault(ident, []).append(nick)
    assert by_thread == returned


def test_close_does_not_wait_and_a_call_in_progress_keeps_the_tracker_until_it_returns():
    # close() on another thread while a call is inside a callback: close() returns at once,
    # new calls see a closed tracker, and the call in progress still completes with the C
    # tracker, which is freed once it returns.
    in_callback = threading.Event()
    closed = threading.Event()
    checks = []

    def on_leave(_nick):
        in_callback.set()
        assert closed.wait(10)
        with pytest.raises(TrackerClosedError):
            tracker.is_nick_active("alice")
        checks.append(handle() is not None)

    tracker = NickTracker(on_nick_leave=on_leave)
    tracker.mark_nick_present("alice", "dir1")
    tracker.mark_nick_present("bob", "dir1")
    handle = weakref.ref(tracker._handle)

    def closer():
        assert in_callback.wait(10)
        tracker.close()
        closed.set()

    thread = threading.Thread(target=closer)
    thread.start()
    left = tracker.remove_directory("dir1")
    thread.join()
    assert left == ["alice", "bob"]
    assert checks == [True, True]
    assert handle() is None
