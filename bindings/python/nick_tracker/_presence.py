"""What NickTracker adds for directories as JoinMarket clients meet them: peerlists received
in chunks, messages of several reports, time (last-seen times and expiry) and each
directory's own view."""

import ctypes
from typing import Hashable, Iterable, List, Optional, Set, Tuple

from ._calls import CALLBACK_FAILED, OK, Calls, Size1
from ._convert import encode_nick, pack_nicks, unpack_nicks
from ._directories import NO_DIRECTORY
from ._errors import Status
from ._lib import NtDirectoryStats, lib
from ._types import DirectoryStats

_NOT_FOUND = Status.NOT_FOUND


class Presence(Calls):
    """Peerlists in chunks, batched reports, time, each directory's view (see NickTracker)."""

    _clock_offset_ms: int
    _expires_directories: bool

    # -- peerlists in chunks -----------------------------------------------------------------

    def begin_peerlist(self, directory: Hashable) -> None:
        """Begins receiving `directory`'s peerlist in chunks (JoinMarket directories send
        theirs as many messages of about 20 entries, with no end marker): add_peerlist_chunk()
        for each chunk, then commit_peerlist() once the list is complete, or abort_peerlist()
        if it never will be. Beginning while one is open restarts it. Until the commit,
        nothing becomes gone, however long the list takes. A full sync, a disconnection or a
        removal of the directory closes the open peerlist."""
        id_ = self._id(directory)
        status = lib.nt_peerlist_begin(self._handle, id_)
        if status != OK or self._directories.ids.get(directory) is not id_:
            self._after_change(status, directory, id_)

    def add_peerlist_chunk(self, directory: Hashable, nicks: Iterable[str]) -> None:
        """Adds a chunk to `directory`'s open peerlist: each nick is present on it at once
        (joins come now). All or nothing, like sync_with_peerlist(); the peerlist stays open
        after a refused chunk. NoSnapshotError if no peerlist is open on `directory`."""
        packed, _ = pack_nicks(nicks)
        id_ = self._directories.ids.get(directory, NO_DIRECTORY)
        self._call(lib.nt_peerlist_add, id_, packed, len(packed), directory=directory)

    def commit_peerlist(self, directory: Hashable) -> List[str]:
        """Completes `directory`'s open peerlist: every nick it reported present that was
        neither listed in a chunk nor reported present on it since the peerlist began becomes
        gone on it. Returns the nicks that left as a result, in the order the tracker first
        saw them. NoSnapshotError if no peerlist is open on `directory`."""
        id_ = self._directories.ids.get(directory, NO_DIRECTORY)
        count = Size1()
        self._call(lib.nt_peerlist_commit, id_, count, directory=directory)
        return self._departed(count[0])

    def abort_peerlist(self, directory: Hashable) -> None:
        """Drops `directory`'s open peerlist, as when its refresh failed halfway: what its
        chunks listed stays present, nothing becomes gone. NoSnapshotError if no peerlist is
        open on `directory`."""
        id_ = self._directories.ids.get(directory, NO_DIRECTORY)
        self._call(lib.nt_peerlist_abort, id_, directory=directory)

    # -- several reports at once -------------------------------------------------------------

    def update_nicks(self, directory: Hashable, reports: Iterable[Tuple[str, bool]]) -> List[str]:
        """Applies several reports from `directory` in one call, in order: each (nick,
        present) pair as update_nick(nick, directory, present) would, the shape of a
        JoinMarket PEERLIST message with `;D` entries. Returns the nicks that left.

        All or nothing: a bad nick (named as nicks[i], its position in `reports`) or new
        nicks beyond max_nicks refuse the whole batch. One call into the library for all of
        them: prefer it to update_nick() in a loop whenever reports come several at a time.
        """
        try:
            pairs = reports if isinstance(reports, (list, tuple)) else list(reports)
            nicks, present = zip(*pairs) if pairs else ((), ())
        except (TypeError, ValueError):
            raise TypeError("reports must be (nick, present) pairs") from None
        try:
            flags = bytes(present)  # bools, or ints from 0 to 255: nonzero is present
        except (TypeError, ValueError):
            flags = bytes(map(bool, present))
        packed, count = pack_nicks(nicks)
        if flags.count(0) != count:  # a present report: the directory may become known
            id_ = self._id(directory, self._check_nicks(packed, count))
        else:  # gone reports only: an unknown directory stays unknown
            id_ = self._directories.ids.get(directory, NO_DIRECTORY)
        status = lib.nt_update_batch(self._handle, id_, packed, len(packed), flags, count)
        # Read at once (only gone reports make nicks leave): _after_change() may call again.
        departed = self._departed() if status == OK and 0 in flags else []
        if status != OK or (
            id_ is not NO_DIRECTORY and self._directories.ids.get(directory) is not id_
        ):
            self._after_change(status, directory, id_)
        return departed

    # -- time --------------------------------------------------------------------------------

    def expire(self) -> List[str]:
        """Acts on every deadline due now (presence_ttl, gone_grace, disconnected_hold, see
        the constructor) and returns the nicks that left as a result. Nothing expires except
        in this call: call it as often as expiry should be precise, say every second. Its cost
        is proportional to what is due, not to the number of nicks held."""
        count = Size1()
        status = lib.nt_expire(self._handle, count)
        # Taken before any other library call, which would reset the library's per-thread
        # state (the departures and a callback's error).
        error = self._failure(status) if status != OK else None
        departed = self._departed(count[0]) if status == OK else []
        if status in (OK, CALLBACK_FAILED) and self._expires_directories:
            self._release_expired()
        if error is not None:
            raise error
        return departed

    def _release_expired(self) -> None:
        """Releases the ids of the disconnected directories that expire() just removed."""
        directories = self._directories
        stats = NtDirectoryStats()
        for key in directories.disconnected.copy():  # a copy is atomic, iterating is not
            id_ = directories.ids.get(key)
            if id_ is None:
                directories.disconnected.discard(key)
            elif lib.nt_get_directory_stats(self._handle, id_, ctypes.byref(stats)) == _NOT_FOUND:
                directories.release(key, id_)

    def last_seen(self, nick: str, directory: Optional[Hashable] = None) -> Optional[float]:
        """When `directory` last reported `nick` present or listed it, in seconds of the
        tracker's clock (a gone report does not change it); with no directory, the latest
        such time over every directory (so a directory whose key is None can only be asked
        about that way). None if there is none: the directory has no report of the nick, or
        the tracker does not hold the nick."""
        encoded = encode_nick(nick)
        milliseconds = (ctypes.c_uint64 * 1)()
        if directory is None:
            status = lib.nt_last_seen_anywhere(self._handle, encoded, milliseconds)
        else:
            id_ = self._directories.ids.get(directory, NO_DIRECTORY)
            status = lib.nt_last_seen(self._handle, encoded, id_, milliseconds)
        if status == _NOT_FOUND:
            return None
        if status != OK:
            raise self._failure(status, directory)
        return self._seconds(milliseconds[0])

    def _seconds(self, milliseconds: int) -> float:
        """A time of the library's clock in seconds of the caller's (see read_clock())."""
        return (milliseconds - self._clock_offset_ms) / 1000

    # -- each directory's view ---------------------------------------------------------------

    def directories(self) -> List[Hashable]:
        """Every directory the tracker knows (reported by, synced, given a connection state,
        and not removed), in no particular order."""
        length = Size1()
        room = len(self._directories.ids) + 4
        while True:
            ids = (ctypes.c_uint64 * room)()
            status = lib.nt_directories(self._handle, ids, room, length)
            if status != Status.BUFFER_TOO_SMALL:
                break
            room = length[0]
        if status != OK:
            raise self._failure(status)
        key_for = self._directories.key_for
        return [key_for(number) for number in ids[: length[0]]]

    def directory_nicks(self, directory: Hashable) -> Set[str]:
        """The nicks `directory` reports present, whether it is connected or not: its own
        list. An empty set for a directory the tracker does not know."""
        id_ = self._directories.ids.get(directory, NO_DIRECTORY)
        stats = self.directory_stats(directory)
        if stats is None:
            return set()
        try:
            packed = self._packed(lib.nt_directory_nicks_packed, stats.nicks * 16 + 64, id_)
        except LookupError:  # removed meanwhile (NotFoundError)
            return set()
        return set(unpack_nicks(packed))

    def directory_stats(self, directory: Hashable) -> Optional[DirectoryStats]:
        """`directory`'s view and health, all taken at one instant; None for a directory the
        tracker does not know."""
        id_ = self._directories.ids.get(directory, NO_DIRECTORY)
        raw = NtDirectoryStats()
        status = lib.nt_get_directory_stats(self._handle, id_, ctypes.byref(raw))
        if status == _NOT_FOUND:
            return None
        if status != OK:
            raise self._failure(status, directory)
        return DirectoryStats(
            nicks=raw.nicks,
            connected=raw.connected,
            snapshot_open=raw.snapshot_open,
            last_peerlist=self._seconds(raw.last_peerlist_ms) if raw.last_peerlist_ms else None,
            last_report=self._seconds(raw.last_report_ms) if raw.last_report_ms else None,
            peerlists=raw.peerlists,
            reports=raw.reports,
        )
