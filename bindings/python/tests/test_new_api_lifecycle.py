"""The 0.2 additions and the tracker's lifetime, threads and argument checks."""

import gc
import threading
import weakref

import pytest

from nick_tracker import EventKind, NickTracker, TrackerClosedError


def test_new_methods_on_a_closed_tracker_raise_closed_error():
    tracker = NickTracker(on_event=print, max_nicks=5)
    tracker.mark_nick_present("alice", "dir1")
    tracker.close()
    for call in [
        lambda: tracker.pick_directory("alice"),
        lambda: tracker.stats(),
        lambda: tracker.set_directory_connected("dir1", False),
        lambda: tracker.sync_with_peerlist("dir1", ["alice"]),
    ]:
        with pytest.raises(TrackerClosedError):
            call()


def test_unhashable_directory_is_a_type_error_for_the_new_methods():
    with NickTracker() as tracker:
        with pytest.raises(TypeError, match="unhashable"):
            tracker.set_directory_connected(["dir1"], False)
        assert tracker.stats().directories == 0


def test_a_tracker_with_events_and_logging_is_freed_with_its_last_reference():
    # The event and log trampolines must not hold the tracker, or a cycle through the user's
    # callbacks would keep the C tracker alive until a collection that may never come.
    class Client:
        def __init__(self):
            self.tracker = NickTracker(
                on_event=self.on_event, on_nick_join=self.on_join, log=self.log
            )

        def on_event(self, event):
            pass

        def on_join(self, nick):
            pass

        def log(self, level, message):
            pass

    client = Client()
    client.tracker.sync_with_peerlist("dir1", ["alice", "bob"])
    alive = weakref.ref(client.tracker)
    del client
    gc.collect()
    assert alive() is None

    tracker = NickTracker(on_event=print)
    alive = weakref.ref(tracker)
    del tracker
    assert alive() is None


def test_repr_is_unchanged_by_the_options():
    with NickTracker(on_event=print, max_nicks=3, pick="round_robin") as tracker:
        tracker.mark_nick_present("alice", "dir1")
        assert repr(tracker) == "NickTracker(active_nicks=1)"


def test_events_reach_the_callbacks_on_the_thread_that_caused_them():
    threads = 6
    nicks_per_thread = 30
    seen = []  # (thread ident, kind, nick, directory); list.append is atomic

    def on_event(event):
        seen.append((threading.get_ident(), event.kind, event.nick, event.directory))

    tracker = NickTracker(on_event=on_event, pick="round_robin")
    start = threading.Barrier(threads)
    failures = []
    idents = {}

    def worker(index):
        try:
            idents[index] = threading.get_ident()
            # Directories of its own, so that only its calls make its nicks join or leave.
            own, backup = ("own", index), ("backup", index)
            nicks = [f"t{index}-{n}" for n in range(nicks_per_thread)]
            start.wait()
            for _ in range(3):
                tracker.sync_with_peerlist(own, nicks)
                tracker.sync_with_peerlist(backup, nicks[:3])
                for nick in nicks[:3]:
                    assert [tracker.pick_directory(nick) for _ in range(2)] == [own, backup]
                tracker.set_directory_connected(own, False)
                tracker.set_directory_connected(own, True)
                assert tracker.remove_directory(own) == nicks[3:]
                tracker.sync_with_peerlist(backup, [])
        except BaseException as error:
            failures.append(error)

    with tracker:
        workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        assert not failures, failures
        stats = tracker.stats()
        assert stats.active_nicks == 0 and stats.joins == stats.leaves
    by_thread = {}
    for ident, kind, nick, directory in seen:
        by_thread.setdefault(ident, []).append((kind, nick))
    for index, ident in idents.items():
        own_nicks = {nick for _, nick in by_thread[ident]}
        # Every event a thread saw is about its own nicks: the sync that made them join or
        # leave ran on that thread.
        assert own_nicks == {f"t{index}-{n}" for n in range(nicks_per_thread)}
        kinds = [kind for kind, _ in by_thread[ident]]
        assert kinds.count(EventKind.JOIN) == kinds.count(EventKind.LEAVE)
