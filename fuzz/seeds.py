#!/usr/bin/env python3
"""Writes the hand-made seed inputs of fuzz/corpus/api_sequence/ (seed-*).

The byte format is documented in tests/support/api_sequence.rs; the helpers below spell it out
so each seed reads as the calls it makes. Rerun after changing the format:
    python3 fuzz/seeds.py
Inputs libFuzzer adds to the corpus (named by their hash) are left alone.
"""
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "api_sequence"

# Nick argument bytes (NickArg::decode).
ALICE, BOB, CAROL, DAVE, UNICODE, LONGEST, CONTROL = range(7)
NULL, EMPTY, TOO_LONG, NOT_UTF8, UNTERMINATED = 11, 12, 13, 14, 15
TRUNCATED = 14 | 0x10
# Directory bytes: index into DIRECTORIES = [1, 2, 3, 0, u64::MAX].
D1, D2, D3, D0, DMAX = range(5)

# Setup::decode, b0 % 7: how the tracker is created and which callbacks it has.
NT_NEW_LEAVE, NT_NEW_NONE, EVENTS, EVENTS_AND_LEAVES, OPTIONS_LEAVE, OPTIONS_NONE = 0, 1, 2, 4, 5, 6


def setup(delivery=EVENTS, reentrancy=0, log=False, max_nicks=0, max_dirs=0,
          round_robin=False, log_level=3):
    """Setup::decode: 4 bytes."""
    return [delivery + 7 * reentrancy + 21 * int(log), max_nicks, max_dirs,
            int(round_robin) | (log_level - 1) << 1]


def update(nick, d, present): return [0, nick, d, int(present)]
def mark_present(nick, d): return [2, nick, d]
def mark_gone(nick, d): return [3, nick, d]
def remove(d, with_count=True): return [6, d, int(with_count)]
def connected(d, up): return [7, d, int(up)]
def pick(nick, null_out=False): return [8, nick, 0 if null_out else 1]
def odd_query(selector, nick=ALICE): return [9, selector, nick]
def for_each(): return [10]
def null_tracker(selector): return [11, selector]
def recreate(**kw): return [12] + setup(**kw)
def bad_creation(selector, value=0): return [13, selector, value]


def sync(d, nicks, null_array=False):
    assert len(nicks) <= 4
    return [4, d, len(nicks) | (8 if null_array else 0)] + list(nicks)


def sync_huge(d, usize_max=False, null_array=False):
    """A count larger than any array can be."""
    return [4, d, 0x10 | (0x20 if usize_max else 0) | (8 if null_array else 0)]


def packed(d, nicks, drop_final_nul=False):
    assert len(nicks) <= 4
    return [5, d, (1 if drop_final_nul else 0) | len(nicks) << 2] + list(nicks)


def packed_null(d, length): return [5, d, 2 | length << 2]


def resync(d, edit, nick=ALICE, packed=False):
    """The last accepted peerlist of d again, edited (edit_peerlist: edit % 6 is the kind of
    change, edit // 6 where)."""
    return [14, d, edit, nick, int(packed)]


def packed_huge(d, usize_max=False, non_null=False):
    """A length larger than any array can be."""
    return [5, d, 2 | 0x20 | (0x10 if usize_max else 0) | (0x40 if non_null else 0)]
def packed_raw(d, raw): return [5, d, 3, len(raw)] + list(raw)


SEEDS = {
    "seed-basic": setup()
    + mark_present(ALICE, D1) + mark_present(ALICE, D2) + mark_gone(ALICE, D1)
    + mark_present(CONTROL, D1) + sync(D3, [CONTROL, BOB]) + mark_gone(CONTROL, D1)
    + update(BOB, D3, True) + update(BOB, D2, False) + mark_gone(CAROL, D1)
    + sync(D2, [CAROL, DAVE, CAROL]) + resync(D2, 0) + resync(D2, 2, BOB, packed=True)
    + resync(D2, 4, UNICODE) + resync(D2, 1 + 6) + resync(D2, 3, ALICE, packed=True)
    + resync(D2, 5) + pick(ALICE) + pick(DAVE) + remove(D2)
    + packed(DMAX, [UNICODE, LONGEST]) + mark_present(LONGEST, D0) + remove(DMAX) + for_each(),

    "seed-limits-round-robin": setup(max_nicks=2, max_dirs=2, round_robin=True)
    + mark_present(ALICE, D1) + mark_present(ALICE, D2) + mark_present(CAROL, D1)
    + mark_present(BOB, D3)                      # directory limit
    + mark_present(BOB, D1) + mark_present(CAROL, D1)   # nick limit
    + sync(D2, [ALICE, DAVE])                    # nick limit (checked before dropping)
    + connected(D3, False)                       # directory limit
    + pick(ALICE) + pick(ALICE) + pick(ALICE) + pick(BOB)
    + mark_gone(ALICE, D1) + pick(ALICE) + mark_present(ALICE, D1) + pick(ALICE) + pick(ALICE),

    "seed-disconnect-reconnect": setup()
    + mark_present(ALICE, D1) + mark_present(BOB, D1) + mark_present(BOB, D2)
    + connected(D1, False)                       # alice leaves, bob stays
    + mark_present(CAROL, D1) + mark_present(DAVE, D1)   # recorded, held, not active
    + mark_gone(BOB, D2)                         # bob leaves, still held through D1
    + connected(D1, True)                        # alice, bob, carol, dave join
    + connected(D1, True) + connected(D3, False) + mark_present(ALICE, D3)
    + sync(D1, []) + connected(D3, True)
    + connected(D3, False) + remove(D3)          # removing a disconnected directory: no leave
    + remove(D1),

    "seed-invalid-arguments": setup(max_nicks=3)
    + mark_present(NULL, D1) + mark_present(EMPTY, D1) + mark_present(TOO_LONG, D1)
    + mark_present(NOT_UTF8, D1) + mark_present(TRUNCATED, D1) + mark_present(UNTERMINATED, D1)
    + update(UNTERMINATED, D1, False) + mark_gone(NULL, D1) + mark_present(ALICE, D1)
    + sync(D1, [BOB, NULL]) + sync(D1, [BOB, EMPTY]) + sync(D1, [BOB, CAROL], null_array=True)
    + sync(D1, [], null_array=True) + sync_huge(D1) + sync_huge(D1, usize_max=True)
    + sync_huge(D1, null_array=True) + packed_huge(D1) + packed_huge(D1, non_null=True)
    + packed_huge(D1, usize_max=True, non_null=True)
    + packed(D1, [BOB, CAROL], drop_final_nul=True) + packed(D1, [BOB, NULL]) + packed_null(D1, 3)
    + packed_null(D1, 0) + packed_raw(D2, b"a\0\xff\0") + packed_raw(D2, b"a\0b\0c\0")
    + packed_raw(D2, b"ab") + pick(ALICE, null_out=True) + pick(TOO_LONG) + pick(BOB)
    + sum((odd_query(s, n) for s in range(8) for n in (ALICE, NULL)), [])
    + odd_query(3 | 1 << 3, ALICE) + odd_query(0x87, EMPTY)
    + sum((null_tracker(s) for s in range(14)), [])
    + sum((bad_creation(s, 1) for s in range(9)), []) + bad_creation(7, 0x93),

    # Event callback that re-enters: each callback reads one byte (3-4: check everything,
    # 5: pick, 6-7: run a nested operation). The log callback re-enters the same way.
    "seed-reentrant": setup(reentrancy=2, log=True, log_level=4, max_nicks=5)
    + mark_present(ALICE, D1)
    + [0]                                         # join alice: callback does nothing
    + [0]                                         # its debug log: nothing
    + mark_present(BOB, D2)
    + [6] + mark_present(CAROL, D2)               # join bob: nested join of carol
    + [3] + [3]                                   # carol's callback and log: check all
    + [0]                                         # bob's log
    + connected(D2, False)                        # bob and carol leave
    + [7] + remove(D1)                            # nested: alice leaves
    + [4] + [4] + [0]                             # alice's callback, its log, "removed" log
    + [5, ALICE, 1]                               # carol's callback: pick alice
    + [0, 0, 0]                                   # logs
    + connected(D2, True) + [6] + mark_gone(BOB, D2) + [0, 0, 0, 0, 0, 0, 0, 0]
    + for_each() + [6] + mark_present(DAVE, D1) + [0, 0, 0, 0, 0, 0],

    "seed-leave-callback": setup(delivery=NT_NEW_LEAVE, reentrancy=2)
    + mark_present(ALICE, D1) + mark_present(ALICE, D2) + mark_present(BOB, D2)
    + remove(D1) + remove(D2, with_count=False)
    + [6] + sync(D3, [ALICE, BOB])                # alice's leave: nested sync
    + [3]                                         # bob's leave: check all
    + connected(D3, False) + [0, 0]
    + recreate(delivery=OPTIONS_NONE, log=True, log_level=3, max_dirs=1)
    + mark_present(ALICE, D1) + mark_present(ALICE, D2) + [0] + connected(D1, False) + [0, 0],

    # Both callbacks: per leave the event callback, then the leave callback; each re-enters.
    "seed-both-callbacks": setup(delivery=EVENTS_AND_LEAVES, reentrancy=1, max_dirs=3)
    + mark_present(ALICE, D1) + [3]               # join: check everything
    + mark_present(BOB, D1) + [0]
    + sync(D1, [CAROL]) + [0, 3, 4, 0, 5, BOB, 1] # alice, bob leave (event + leave each)
    + [0]                                         # carol joins
    + connected(D1, False) + [3, 3]               # carol leaves (event + leave)
    + mark_present(DAVE, D2) + [0] + mark_present(DAVE, D3) + mark_present(DAVE, D0)
    + remove(D2) + remove(D3) + connected(D1, True) + [0] + for_each() + [3, 0]
    + recreate(delivery=OPTIONS_LEAVE, reentrancy=2, max_nicks=2)
    + sync(D1, [ALICE, BOB]) + sync(D1, [CAROL]) + [6] + mark_present(ALICE, D2) + [0],
}


def main():
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name, data in SEEDS.items():
        (CORPUS / name).write_bytes(bytes(data))
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
