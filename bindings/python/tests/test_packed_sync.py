"""sync_with_peerlist passes the whole peerlist to nt_sync_peerlist_packed in one call and one
buffer, and still names the bad entry exactly, whether Python or the library finds it."""

import ctypes

import pytest

from nick_tracker import (
    MAX_NICK_LEN,
    InvalidArgumentError,
    InvalidNickError,
    NickTracker,
    Status,
    _errors,
    _lib,
)


@pytest.fixture
def calls(monkeypatch):
    """Every call to the library's two sync functions, as (name, arguments)."""
    seen = []
    for name in ["nt_sync_peerlist", "nt_sync_peerlist_packed"]:
        function = getattr(_lib.lib, name)

        def spy(*args, _name=name, _function=function):
            seen.append((_name, args[2:]))
            return _function(*args)

        monkeypatch.setattr(_lib.lib, name, spy)
    return seen


@pytest.mark.parametrize(
    "peerlist, packed",
    [
        (["alice", "bob"], b"alice\0bob\0"),
        (
            ("J5ñandú☃", "x" * MAX_NICK_LEN),
            "J5ñandú☃\0".encode() + b"x" * MAX_NICK_LEN + b"\0",
        ),
        ([], b""),
        (iter(["bob", "bob"]), b"bob\0bob\0"),
        ({"alice": 1}, b"alice\0"),
    ],
)
def test_the_whole_peerlist_is_one_packed_call(calls, peerlist, packed):
    with NickTracker() as tracker:
        tracker.sync_with_peerlist("dir1", peerlist)
        assert calls == [("nt_sync_peerlist_packed", (packed, len(packed)))]


def test_a_large_peerlist_is_still_one_call(calls):
    nicks = [f"J5maker{i:05d}" for i in range(10_000)]
    with NickTracker() as tracker:
        tracker.sync_with_peerlist("dir1", set(nicks))
        assert len(calls) == 1
        assert tracker.stats().active_nicks == 10_000
        tracker.sync_with_peerlist("dir1", nicks[:5])
        assert tracker.get_all_active_nicks() == set(nicks[:5])


def peerlist_with(bad, at, size=5):
    """A valid peerlist with `bad` at position `at`."""
    nicks = [f"n{i}" for i in range(size)]
    nicks[at] = bad
    return nicks


BAD_NICKS = [
    pytest.param("", Status.NICK_EMPTY, "nick is empty", id="empty"),
    pytest.param("x" * (MAX_NICK_LEN + 1), Status.NICK_TOO_LONG, "longer than", id="too-long"),
    pytest.param("é" * 128 + "x", Status.NICK_TOO_LONG, "longer than", id="257-bytes"),
    pytest.param("a\0b", Status.NICK_CONTAINS_NUL, "contains a NUL byte", id="nul-inside"),
    pytest.param("\0", Status.NICK_CONTAINS_NUL, "contains a NUL byte", id="only-nul"),
    pytest.param("ab\0", Status.NICK_CONTAINS_NUL, "contains a NUL byte", id="nul-at-end"),
    pytest.param("a\udc80", Status.NICK_NOT_UTF8, "cannot be encoded", id="surrogate"),
]


@pytest.mark.parametrize("bad, status, reason", BAD_NICKS)
@pytest.mark.parametrize("at", [0, 2, 4])
def test_a_bad_nick_is_named_by_its_position_and_changes_nothing(bad, status, reason, at):
    events = []
    with NickTracker(on_event=events.append) as tracker:
        tracker.sync_with_peerlist("dir1", ["n0", "n1", "old"])
        events.clear()
        before = tracker.stats()
        with pytest.raises(InvalidNickError) as caught:
            tracker.sync_with_peerlist("dir1", peerlist_with(bad, at))
        assert caught.value.status == status
        assert str(caught.value).startswith(f"nicks[{at}]: ")
        assert reason in str(caught.value)
        assert tracker.stats() == before
        assert tracker.get_all_active_nicks() == {"n0", "n1", "old"}
        assert events == []


def test_a_nul_never_splits_a_nick_into_two_valid_ones(calls):
    with NickTracker() as tracker:
        with pytest.raises(InvalidNickError, match=r"nicks\[1\]: nick contains a NUL byte"):
            tracker.sync_with_peerlist("dir1", ["alice", "bob\0carol"])
        assert calls == []  # caught before the library: it would have seen bob and carol
        assert tracker.get_all_active_nicks() == set()


def test_python_side_errors_come_first_as_before():
    # The NUL in nicks[3] is found before the empty nicks[1] the library would report,
    # exactly as when every nick was a separate C string.
    with NickTracker() as tracker:
        with pytest.raises(InvalidNickError, match=r"nicks\[3\]: nick contains a NUL"):
            tracker.sync_with_peerlist("dir1", ["a", "", "b", "c\0"])
        with pytest.raises(InvalidNickError, match=r"nicks\[1\]: nick is empty"):
            tracker.sync_with_peerlist("dir1", ["a", "", "b", "x" * 300])


@pytest.mark.parametrize("bad", [b"alice", None, 7, ["alice"]])
def test_an_entry_that_is_not_str_is_a_type_error_naming_it(bad):
    with NickTracker() as tracker:
        with pytest.raises(TypeError, match=rf"nicks\[2\] must be str, not {type(bad).__name__}"):
            tracker.sync_with_peerlist("dir1", peerlist_with(bad, 2))


def test_an_only_empty_nick_is_not_an_empty_peerlist():
    with NickTracker() as tracker:
        with pytest.raises(InvalidNickError, match=r"nicks\[0\]: nick is empty"):
            tracker.sync_with_peerlist("dir1", [""])


def test_str_subclasses_are_nicks():
    class Nick(str):
        pass

    with NickTracker() as tracker:
        tracker.sync_with_peerlist("dir1", [Nick("alice"), "bob"])
        assert tracker.get_all_active_nicks() == {"alice", "bob"}


# The library's own checks of a packed buffer, through the package's prototype and error
# mapping: what Python cannot produce from a str (bytes that are not UTF-8, a missing final
# NUL) must still be refused with the right status and position.


@pytest.fixture
def handle():
    tracker = ctypes.c_void_p()
    _errors.check(_lib.lib.nt_new(_lib.NickCallback(), None, ctypes.byref(tracker)))
    yield tracker
    _lib.lib.nt_free(tracker)


@pytest.mark.parametrize(
    "packed, error_type, status, message",
    [
        (b"a\0\xff\xfe\0", InvalidNickError, Status.NICK_NOT_UTF8, "nick is not valid UTF-8"),
        (b"a\0\0", InvalidNickError, Status.NICK_EMPTY, "nick is empty"),
        (b"alice", InvalidArgumentError, Status.INVALID_ARGUMENT, "must end with a NUL byte"),
    ],
)
def test_the_library_refuses_a_bad_buffer(handle, packed, error_type, status, message):
    code = _lib.lib.nt_sync_peerlist_packed(handle, 1, packed, len(packed))
    with pytest.raises(error_type) as caught:
        _errors.check(code)
    assert caught.value.status is status
    prefix = "nicks: a packed peerlist " if status is Status.INVALID_ARGUMENT else "nicks[1]: "
    assert str(caught.value) == prefix + message
    count = ctypes.c_size_t()
    _errors.check(_lib.lib.nt_active_nick_count(handle, ctypes.byref(count)))
    assert count.value == 0


def test_the_library_reads_exactly_len_bytes(handle):
    buffer = b"alice\0bob\0carol"  # only the first 10 bytes are the peerlist
    _errors.check(_lib.lib.nt_sync_peerlist_packed(handle, 1, buffer, 10))
    count = ctypes.c_size_t()
    _errors.check(_lib.lib.nt_active_nick_count(handle, ctypes.byref(count)))
    assert count.value == 2
