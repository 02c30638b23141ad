"""The library against the plain-Python model of jmcore (jmcore_model.py) on
random operation sequences: after every operation, the leave callbacks so far (in order), the
operation's return value and every query must agree.

Small nick and directory pools make nicks join, leave, return and share directories often.
Directory keys of several types exercise the wrapper's key-to-id mapping.
"""

import random

import pytest

from nick_tracker import NickTracker
from jmcore_model import ModelNickTracker

NICKS = ["alice", "bob", "carol", "dave", "eve"]
DIRECTORIES = ["dir1", "dir2", 3, ("onion", 4)]
SEQUENCES = 300
OPERATIONS = 60


def random_operation(rng):
    """An (method name, arguments) pair, weighted towards the reports that drive the state."""
    kind = rng.choices(["present", "gone", "update", "remove", "sync"], weights=[5, 4, 2, 1, 2])[0]
    directory = rng.choice(DIRECTORIES)
    if kind == "remove":
        return "remove_directory", (directory,)
    if kind == "sync":
        # Any order, duplicates allowed: both sides see the same list.
        peerlist = rng.choices(NICKS, k=rng.randint(0, len(NICKS)))
        return "sync_with_peerlist", (directory, peerlist)
    nick = rng.choice(NICKS)
    if kind == "update":
        return "update_nick", (nick, directory, rng.random() < 0.5)
    return ("mark_nick_present" if kind == "present" else "mark_nick_gone"), (nick, directory)


def observe(tracker):
    return {
        "active": {nick: tracker.is_nick_active(nick) for nick in NICKS},
        "directories": {nick: tracker.get_active_directories_for_nick(nick) for nick in NICKS},
        "all": tracker.get_all_active_nicks(),
        "repr": repr(tracker),
    }


@pytest.mark.parametrize("seed", range(SEQUENCES))
def test_library_matches_jmcore_model(seed):
    rng = random.Random(seed)
    model_left, library_left = [], []
    model = ModelNickTracker(on_nick_leave=model_left.append)
    with NickTracker(on_nick_leave=library_left.append) as library:
        for step in range(OPERATIONS):
            method, args = random_operation(rng)
            where = f"seed {seed}, step {step}: {method}{args}"
            expected = getattr(model, method)(*args)
            actual = getattr(library, method)(*args)
            assert actual == expected, where
            assert library_left == model_left, where
            assert observe(library) == observe(model), where
