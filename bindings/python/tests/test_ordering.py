"""The delivery guarantee as the package states it: on one thread a tracker's callbacks see its
events in seq order, also when a callback calls into the tracker; callbacks on several threads
may run at once and out of seq order, and a consumer that keeps per nick the seq of the last
event it applied agrees with the tracker; no call waits for another thread's callbacks. And
what a callback's exception becomes when the event came from a nested call."""

import random
import threading

import pytest

from nick_tracker import EventKind, NickTracker

WAIT = 10  # seconds: far more than any step needs, so a deadlock fails instead of hanging


class Consumer:
    """What a careful application keeps: per nick, the kind and seq of the last event applied;
    an older event (a lower seq) that arrives late is ignored. Safe from any thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.last = {}  # nick -> (seq, kind)
        self.stream = []

    def on_event(self, event):
        with self.lock:
            self.stream.append(event)
            seen = self.last.get(event.nick)
            if seen is None or seen[0] < event.seq:
                self.last[event.nick] = (event.seq, event.kind)

    def active(self):
        return {nick for nick, (_, kind) in self.last.items() if kind is EventKind.JOIN}


def test_a_callback_that_changes_the_tracker_gets_its_events_after_the_pending_ones():
    # shared/repro/reentrant_event_order.c: the leave of A makes the callback report B gone,
    # while the sync's join of B is still to be delivered. The nested call's leave of B must
    # come after that join, or "active = joined minus left" says B is active.
    stream = []

    def on_event(event):
        stream.append(event)
        if event.kind is EventKind.LEAVE and event.nick == "A":
            assert tracker.mark_nick_gone("B", "dir1") is None  # only queued: nothing yet
            assert [e.seq for e in stream] == [1, 2]

    with NickTracker(on_event=on_event) as tracker:
        tracker.mark_nick_present("A", "dir1")
        tracker.sync_with_peerlist("dir1", ["B"])
        plain = [(event.kind, event.nick, event.directory) for event in stream]
        assert plain == [
            (EventKind.JOIN, "A", "dir1"),
            (EventKind.LEAVE, "A", "dir1"),
            (EventKind.JOIN, "B", "dir1"),
            (EventKind.LEAVE, "B", "dir1"),
        ]
        assert [event.seq for event in stream] == [1, 2, 3, 4]
        by_events = {e.nick for e in stream if e.kind is EventKind.JOIN} - {
            e.nick for e in stream if e.kind is EventKind.LEAVE
        }
        assert by_events == tracker.get_all_active_nicks() == set()


def test_events_of_calls_nested_several_deep_come_in_seq_order():
    stream = []

    def on_event(event):
        stream.append(event.seq)
        depth = len(stream)
        if depth < 20:  # each event makes one more, from inside the callback
            tracker.update_nick(f"n{depth}", "dir1", True)

    with NickTracker(on_event=on_event) as tracker:
        tracker.mark_nick_present("n0", "dir1")
    assert stream == list(range(1, 21))


def test_seq_counts_the_trackers_events_and_matches_its_stats(evented):
    tracker, events = evented
    tracker.sync_with_peerlist("dir1", ["a", "b", "c"])
    tracker.mark_nick_present("a", "dir2")
    tracker.remove_directory("dir1")
    tracker.set_directory_connected("dir2", False)
    stats = tracker.stats()
    assert [event.seq for event in events] == list(range(1, stats.joins + stats.leaves + 1))


def test_another_threads_events_may_overtake_and_seq_puts_them_right():
    # shared/repro/threaded_event_order.c: the callback of thread 1's JOIN W waits until
    # thread 2's mark_nick_gone(X) has returned, so thread 2 delivers LEAVE X before thread 1
    # delivers the JOIN X that precedes it. Neither waits for the other's callbacks.
    consumer = Consumer()
    w_joined, gone_done = threading.Event(), threading.Event()
    failures = []

    def on_event(event):
        consumer.on_event(event)
        if event.kind is EventKind.JOIN and event.nick == "W":
            w_joined.set()
            if not gone_done.wait(WAIT):
                failures.append("thread 2's call waited for thread 1's callback")

    def thread2():
        try:
            assert w_joined.wait(WAIT)
            tracker.mark_nick_gone("X", "dir1")  # LEAVE X, delivered here and now
            gone_done.set()
        except BaseException as error:
            failures.append(error)

    with NickTracker(on_event=on_event) as tracker:
        other = threading.Thread(target=thread2)
        other.start()
        tracker.sync_with_peerlist("dir1", ["W", "X"])
        other.join(WAIT)
        assert not other.is_alive() and not failures, failures
        kinds = [(event.kind, event.nick) for event in consumer.stream]
        # Delivered out of order: the LEAVE of X before its JOIN...
        assert kinds == [
            (EventKind.JOIN, "W"),
            (EventKind.LEAVE, "X"),
            (EventKind.JOIN, "X"),
        ]
        assert [event.seq for event in consumer.stream] == [1, 3, 2]
        # ...and a consumer that applies events by seq agrees with the tracker.
        assert consumer.active() == tracker.get_all_active_nicks() == {"W"}


def test_threads_with_reentrant_callbacks_end_in_agreement_and_never_deadlock():
    # Several threads change a few shared directories and nicks at random; callbacks call back
    # into the tracker and sometimes wait a little for another thread. A consumer applying
    # events by seq must agree with the tracker once every call has returned.
    consumer = Consumer()
    nicks = [f"n{i}" for i in range(12)]
    directories = ["d1", "d2", "d3"]

    def on_event(event):
        consumer.on_event(event)
        rng = random.Random(event.seq)
        if rng.random() < 0.2:
            tracker.update_nick(rng.choice(nicks), rng.choice(directories), rng.random() < 0.5)
        elif rng.random() < 0.05:
            threading.Event().wait(0.001)

    def worker(index):
        rng = random.Random(index)
        for _ in range(300):
            choice = rng.random()
            directory = rng.choice(directories)
            if choice < 0.6:
                tracker.update_nick(rng.choice(nicks), directory, rng.random() < 0.6)
            elif choice < 0.8:
                tracker.sync_with_peerlist(directory, rng.sample(nicks, rng.randint(0, 6)))
            elif choice < 0.9:
                tracker.set_directory_connected(directory, rng.random() < 0.7)
            else:
                tracker.remove_directory(directory)

    with NickTracker(on_event=on_event) as tracker:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT * 6)
        assert not any(thread.is_alive() for thread in threads), "deadlock"
        stats = tracker.stats()
        assert len(consumer.stream) == stats.joins + stats.leaves
        assert sorted(e.seq for e in consumer.stream) == list(range(1, len(consumer.stream) + 1))
        assert consumer.active() == tracker.get_all_active_nicks()


def test_an_exception_from_a_nested_calls_event_is_raised_by_the_outermost_call():
    delivered = []

    def on_event(event):
        delivered.append((event.kind, event.nick))
        if event.nick == "alice" and event.kind is EventKind.LEAVE:
            tracker.mark_nick_gone("bob", "dir2")  # returns: its event is only queued
            delivered.append("nested call returned")
        elif event.nick == "bob" and event.kind is EventKind.LEAVE:
            raise KeyError("bob")

    with NickTracker(on_event=on_event) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.mark_nick_present("bob", "dir2")
        tracker.mark_nick_present("carol", "dir1")
        delivered.clear()
        with pytest.raises(KeyError, match="bob"):
            tracker.remove_directory("dir1")
        assert delivered == [
            (EventKind.LEAVE, "alice"),
            "nested call returned",
            (EventKind.LEAVE, "carol"),
            (EventKind.LEAVE, "bob"),
        ]
        assert tracker.get_all_active_nicks() == set()
        assert tracker._dispatch._pending == {}  # the exception was taken, nothing is kept


def test_each_thread_gets_its_own_callbacks_exceptions():
    barrier = threading.Barrier(4)
    raised = {}

    def on_leave(nick):
        raise ValueError(nick)

    def worker(index):
        barrier.wait()
        for round_ in range(50):
            nick = f"t{index}-{round_}"
            tracker.mark_nick_present(nick, ("own", index))
            try:
                tracker.mark_nick_gone(nick, ("own", index))
            except ValueError as error:
                raised.setdefault(index, []).append(str(error))

    with NickTracker(on_nick_leave=on_leave) as tracker:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        assert tracker._dispatch._pending == {}
    for index in range(4):
        assert raised[index] == [f"t{index}-{r}" for r in range(50)]


def test_a_later_exception_of_the_same_call_is_dropped_and_not_kept():
    def on_leave(nick):
        raise LookupError(nick)

    with NickTracker(on_nick_leave=on_leave) as tracker:
        tracker.sync_with_peerlist("dir1", [f"n{i}" for i in range(50)])
        with pytest.raises(LookupError, match="n0"):
            tracker.remove_directory("dir1")
        assert tracker._dispatch._pending == {}
