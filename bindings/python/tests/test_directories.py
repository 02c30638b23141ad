"""The mapping of the caller's directory keys to the library's ids: it holds the directories
the tracker knows, not every key ever seen; late events and messages still name the caller's
key; and a report that races with the removal of its own directory leaves nothing behind."""

import threading

import pytest

from helpers import joins, leaves, taken
from nick_tracker import (
    ClockWentBackwardsError,
    DirectoryLimitError,
    InvalidNickError,
    NickLimitError,
    NickTracker,
    _directories,
    _tracker,
)


def test_removed_directories_release_their_ids(recorded):
    tracker, _ = recorded
    for round_ in range(2000):
        key = ("onion", round_)  # a new key every time, as rotating connections would give
        tracker.mark_nick_present("alice", key)
        tracker.sync_with_peerlist(("peers", round_), ["bob"])
        tracker.remove_directory(key)
        tracker.remove_directory(("peers", round_))
    directories = tracker._directories
    assert directories.ids == {} and directories.keys == {}
    assert len(directories._released) == _directories.RELEASED_KEPT


def test_queries_gone_reports_and_removals_of_unknown_keys_make_no_id(recorded):
    tracker, _ = recorded
    tracker.mark_nick_gone("alice", "ghost1")
    tracker.update_nick("alice", "ghost2", False)
    assert tracker.remove_directory("ghost3") == []
    assert tracker.last_seen("alice", "ghost4") is None
    assert tracker.directory_stats("ghost5") is None
    assert tracker.directory_nicks("ghost6") == set()
    assert tracker._directories.ids == {}


def test_a_refused_call_on_a_new_key_leaves_no_id():
    clock = type("Clock", (), {"now": 10.0, "__call__": lambda self: self.now})()
    with NickTracker(max_nicks=1, max_directories=2, clock=clock) as tracker:
        tracker.mark_nick_present("alice", "dir1")
        refused = [
            (InvalidNickError, lambda key: tracker.mark_nick_present("", key)),
            (InvalidNickError, lambda key: tracker.update_nick("x" * 300, key, True)),
            (InvalidNickError, lambda key: tracker.sync_with_peerlist(key, ["bob", ""])),
            (InvalidNickError, lambda key: tracker.update_nicks(key, [("\udc80", True)])),
            (NickLimitError, lambda key: tracker.mark_nick_present("bob", key)),
            (NickLimitError, lambda key: tracker.sync_with_peerlist(key, ["bob"])),
        ]
        for index, (error, call) in enumerate(refused):
            with pytest.raises(error):
                call(("new", index))
        clock.now = 5.0
        with pytest.raises(ClockWentBackwardsError):
            tracker.mark_nick_present("alice", "dir4")
        clock.now = 10.0
        tracker.set_directory_connected("dir2", True)
        with pytest.raises(DirectoryLimitError):
            tracker.begin_peerlist("dir3")
        assert set(tracker._directories.ids) == {"dir1", "dir2"}
        assert sorted(tracker.directories()) == ["dir1", "dir2"]


def test_a_key_that_comes_back_gets_a_new_id_and_works(recorded):
    tracker, left = recorded
    tracker.mark_nick_present("alice", "dir1")
    first = tracker._directories.ids["dir1"].value
    assert tracker.remove_directory("dir1") == ["alice"]
    tracker.mark_nick_present("alice", "dir1")
    assert tracker._directories.ids["dir1"].value != first  # ids are never used twice
    assert tracker.get_active_directories_for_nick("alice") == ["dir1"]
    assert tracker.remove_directory("dir1") == ["alice"]
    assert left == ["alice", "alice"]


def test_events_of_a_removal_made_inside_a_callback_still_name_its_key(evented):
    # The nested removal's leaves are delivered after its id was released.
    tracker, events = evented

    def on_leave(nick):
        if nick == "alice":
            assert tracker.remove_directory(("onion", 2)) == ["bob"]

    tracker.on_nick_leave = on_leave
    tracker.mark_nick_present("alice", "dir1")
    tracker.mark_nick_present("bob", ("onion", 2))
    taken(events)
    tracker.remove_directory("dir1")
    assert taken(events) == leaves(("alice", "dir1"), ("bob", ("onion", 2)))


def test_log_messages_name_the_callers_keys():
    messages = []
    with NickTracker(log=lambda level, message: messages.append(message), log_level="debug") as t:
        t.mark_nick_present('directory 7 "quoted"', ("onion", 5222))
        t.set_directory_connected(("onion", 5222), False)
        t.remove_directory(("onion", 5222))
    nick = '"directory 7 \\"quoted\\""'  # quoted by the library: left as it is
    assert messages == [
        f"nick {nick} is active (directory ('onion', 5222))",
        f"nick {nick} has left all directories (last: directory ('onion', 5222))",
        "directory ('onion', 5222) disconnected: 1 nicks left",
        "directory ('onion', 5222) removed: 0 nicks left",
    ]


def test_ids_beyond_32_bits_reach_the_library_whole(evented):
    # Every call passes ids as 64-bit values, untyped calls included: start past 2**32.
    tracker, events = evented
    tracker._directories._next = (1 << 40) + 3
    tracker.mark_nick_present("alice", "dir1")
    tracker.update_nick("alice", "dir2", True)
    tracker.sync_with_peerlist("dir3", ["alice", "bob"])
    assert tracker.get_active_directories_for_nick("alice") == ["dir1", "dir2", "dir3"]
    assert tracker.pick_directory("bob") == "dir3"
    assert sorted(tracker.directories()) == ["dir1", "dir2", "dir3"]
    assert tracker.remove_directory("dir3") == ["bob"]
    assert taken(events)[-1] == leaves(("bob", "dir3"))[0]
    assert tracker._directories.ids["dir1"].value == (1 << 40) + 3


def test_a_report_that_lands_after_its_directorys_removal_is_undone(evented, monkeypatch):
    # Another thread removes dir1 between this call's lookup of dir1's id and the library
    # receiving the report: the report re-creates the old id, which no key names any more.
    # The call removes it again, as if the report had come first.
    tracker, events = evented
    tracker.mark_nick_present("alice", "dir1")
    real = _tracker._nt_mark_present

    def late(handle, nick, directory):
        remover = threading.Thread(target=tracker.remove_directory, args=("dir1",))
        remover.start()
        remover.join()
        return real(handle, nick, directory)

    monkeypatch.setattr(_tracker, "_nt_mark_present", late)
    tracker.mark_nick_present("bob", "dir1")
    monkeypatch.undo()
    assert taken(events) == joins(("alice", "dir1")) + leaves(("alice", "dir1")) + joins(
        ("bob", "dir1")
    ) + leaves(("bob", "dir1"))
    assert tracker.directories() == [] and tracker.get_all_active_nicks() == set()
    assert tracker._directories.ids == {}


def test_a_directory_released_long_ago_still_has_a_name():
    directories = _directories.Directories()
    name = directories.key_for(123456)
    assert repr(name) == "<released directory 123456>"
    assert name == directories.key_for(123456)


@pytest.mark.parametrize("count", [1, 16, 17, 40])
def test_any_number_of_directories_comes_back_in_order(recorded, count):
    tracker, _ = recorded
    keys = [("dir", i) for i in range(count)]
    for key in keys:
        tracker.mark_nick_present("alice", key)
    assert tracker.get_active_directories_for_nick("alice") == keys
    result = tracker.get_active_directories_for_nick("alice")
    result.append("mine")  # a new list every time
    assert tracker.get_active_directories_for_nick("alice") == keys
