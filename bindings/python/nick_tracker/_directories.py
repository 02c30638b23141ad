"""The caller's directory keys (any hashable, as in jmcore) and the uint64 ids the C library
uses for them.

The mapping holds the directories the tracker knows, not every key ever seen: an id is
released when its directory is removed (remove_directory(), or expire() after
disconnected_hold) and when a call that made it was refused (see Calls._id()), and queries,
gone reports and removals of keys it does not know use NO_DIRECTORY instead of making an id. Ids are never used twice: a key that comes back gets a
new one, so an id met late (an event of another thread's call, or of a call made inside a
callback, delivered after the removal) can never name the wrong key; the 64-bit counter
cannot run out. The last RELEASED_KEPT released ids still name their keys for such late
events.

Threads: lookups (`ids.get`, `keys.get`) take no lock; dict reads and writes are atomic,
with or without the GIL. Adding and releasing take the lock, and publish a key in `ids`
only once its id is readable in `keys`, so every id the library hands back can be named.
"""

import collections
import ctypes
import re
import struct
import threading
from typing import Dict, Hashable, List, Optional, Tuple

# The first id handed out. Small ids are Python's preallocated small ints (up to 256), which
# makes turning an answer of several ids into keys measurably quicker.
FIRST_ID = 1

# The id passed for a key the tracker does not know. Never given to a key, so the library
# never knows it: a gone report or a removal for it changes nothing, a query finds nothing,
# and the library still checks the call's other arguments.
NO_DIRECTORY = ctypes.c_uint64(0)

RELEASED_KEPT = 1024

# The lists of keys made for answers of several ids (get_active_directories_for_nick), kept
# by their ids: a nick's directories are mostly the same few lists. Safe because an id's key
# never changes. Forgotten all at once when there are more than this many.
LISTS_KEPT = 1024

# Reads n ids (c_uint64, native order) from the start of a buffer, as a tuple.
UNPACK = [struct.Struct(f"={n}Q").unpack_from for n in range(17)]

# A quoted nick (the library escapes quotes and control characters in it) or a directory id.
_IN_MESSAGE = re.compile(r'"(?:[^"\\]|\\.)*"|\bdirectory (\d+)')


class Directories:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> id, as a c_uint64 made once per directory: passed to the library as it is.
        self.ids: Dict[Hashable, ctypes.c_uint64] = {}
        # id -> key, for the ids the library hands back (events, queries).
        self.keys: Dict[int, Hashable] = {}
        # Released ids, oldest first, still naming their keys for late events.
        self._released: "collections.OrderedDict[int, Hashable]" = collections.OrderedDict()
        self._lists: Dict[Tuple[int, ...], List[Hashable]] = {}
        self._next = FIRST_ID
        # Keys whose directory was last set disconnected: the ones expire() may remove.
        self.disconnected: set = set()

    def add(self, key: Hashable) -> ctypes.c_uint64:
        """The id of `key`, made now if it has none (`ids.get(key)` first: this locks)."""
        with self._lock:
            id_ = self.ids.get(key)  # another thread may have added it meanwhile
            if id_ is None:
                number = self._next
                self._next += 1
                id_ = ctypes.c_uint64(number)
                self.keys[number] = key
                self.ids[key] = id_
            return id_

    def release(self, key: Hashable, id_: ctypes.c_uint64) -> None:
        """Forgets `key`, whose directory the library no longer knows, unless it already has
        another id (another thread released it and it came back)."""
        with self._lock:
            if self.ids.get(key) is not id_:
                return
            del self.ids[key]
            number = id_.value
            self._released[number] = self.keys.pop(number)
            if len(self._released) > RELEASED_KEPT:
                self._released.popitem(last=False)
            self.disconnected.discard(key)

    def key_for(self, number: int) -> Hashable:
        """The key of an id the library handed back."""
        try:
            return self.keys[number]
        except KeyError:
            pass
        try:
            return self._released[number]
        except KeyError:
            # Only an event delayed past RELEASED_KEPT later removals gets here.
            return ReleasedDirectory(number)

    def keys_for(self, numbers: Tuple[int, ...]) -> List[Hashable]:
        """A new list of the keys of `numbers`."""
        keys = self._lists.get(numbers)
        if keys is None:
            keys = [self.key_for(number) for number in numbers]
            if len(self._lists) >= LISTS_KEPT:
                self._lists.clear()
            self._lists[numbers] = keys
        return keys.copy()

    def rewrite(self, message: str, key: Optional[Hashable] = None) -> str:
        """A library message with each `directory <id>` naming the caller's key instead
        (`key` for NO_DIRECTORY, which a call about an unknown key passed), nicks untouched."""

        def name(match: "re.Match[str]") -> str:
            number = match.group(1)
            if number is None:
                return match.group(0)  # a quoted nick
            if int(number) == NO_DIRECTORY.value:
                return f"directory {key!r}"
            return f"directory {self.key_for(int(number))!r}"

        return _IN_MESSAGE.sub(name, message)


class ReleasedDirectory:
    """Stands for a directory key forgotten too long ago to name (see RELEASED_KEPT)."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"<released directory {self.number}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReleasedDirectory) and other.number == self.number

    def __hash__(self) -> int:
        return hash(self.number)
