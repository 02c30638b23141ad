#!/usr/bin/env python3
"""Generates a replayable nick-tracker trace (FORMAT.md): what a JoinMarket-style client connected
to D directory servers hears about a population of about N peers.

    python3 generate.py --nicks 10000 --directories 16 --rounds 10 --seed 1 --out trace.tsv

The workload:
- warm-up: every directory sends its full peerlist (each peer is listed on each directory with
  probability --coverage, and on at least one);
- then --rounds rounds. In each, peers leave the network and new ones join (--churn of the
  population each way), some move between directories, and directories push single updates
  for some of these changes (probability --notify each) plus stale duplicates (--stale);
  queries (is_active, active_directories) are asked about online, departed and never-seen
  nicks, and the active count once. Every directory re-sends its full peerlist once per round,
  interleaved with the above. Every --reconnect-every rounds one directory's connection drops
  (remove) and comes back (a re-sync) a little later; it sends nothing in between.

Deterministic: the same arguments give the same file, byte for byte.

Gone reports are only written for a (nick, directory) pair that jmcore's tracker holds an
entry for (present or already gone). A gone report for any other pair makes jmcore store a
phantom entry, which the library deliberately ignores; leaving those out keeps every
observable result (leave callbacks and their order, query answers) the same for both, so
the replayers' checksums can be compared exactly. To know which pairs qualify, the generator
replays what it writes on baseline.SeedNickTracker as it goes.
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import Dict, List, Optional, TextIO

from baseline import SeedNickTracker
from tracefile import HEADER

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
RECENT_DEPARTURES = 1000  # departed nicks kept around as query targets


class Generator:
    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args = args
        self.out = out
        self.rng = random.Random(args.seed)
        self.directories = args.directories
        # The world: which peers are online and which directories list them.
        self.listed: List[Dict[str, None]] = [{} for _ in range(args.directories)]  # ordered
        self.peer_dirs: Dict[str, List[int]] = {}
        self.peers: List[str] = []  # online peers, for O(1) random choice
        self.peer_index: Dict[str, int] = {}
        self.departed: List[str] = []
        self.used_names: set = set()
        self.down: Optional[int] = None  # a directory whose connection is down
        # What jmcore's tracker holds after the operations written so far.
        self.model: SeedNickTracker[int] = SeedNickTracker()
        self.ops = 0
        self.nick_refs = 0

    # -- the world ------------------------------------------------------------------------

    def new_nick(self) -> str:
        while True:
            nick = "J5" + "".join(self.rng.choices(BASE58, k=14))
            if nick not in self.used_names:
                self.used_names.add(nick)
                return nick

    def pick_directories(self) -> List[int]:
        chosen = [d for d in range(self.directories) if self.rng.random() < self.args.coverage]
        return chosen or [self.rng.randrange(self.directories)]

    def join(self, nick: str) -> List[int]:
        dirs = self.pick_directories()
        self.peer_dirs[nick] = dirs
        self.peer_index[nick] = len(self.peers)
        self.peers.append(nick)
        for d in dirs:
            self.listed[d][nick] = None
        return dirs

    def leave(self, nick: str) -> List[int]:
        index = self.peer_index.pop(nick)
        last = self.peers.pop()
        if last != nick:
            self.peers[index] = last
            self.peer_index[last] = index
        dirs = self.peer_dirs.pop(nick)
        for d in dirs:
            del self.listed[d][nick]
        self.departed.append(nick)
        if len(self.departed) > 2 * RECENT_DEPARTURES:
            del self.departed[:RECENT_DEPARTURES]
        return dirs

    def random_peer(self) -> str:
        return self.peers[self.rng.randrange(len(self.peers))]

    # -- writing operations (each applied to the model as it is written) -----------------------

    def update(self, nick: str, directory: int, present: bool) -> None:
        if directory == self.down:
            return  # a disconnected directory tells us nothing
        if not present:
            entry = self.model.active_nicks.get(nick)
            if entry is None or directory not in entry:
                return  # would be a phantom in jmcore (see the module docstring)
        self.out.write(f"update\t{nick}\t{directory}\t{1 if present else 0}\n")
        self.model.update_nick(nick, directory, present)
        self.ops += 1

    def sync(self, directory: int) -> None:
        peerlist = self.listed[directory]
        if peerlist:
            self.out.write(f"sync\t{directory}\t{len(peerlist)}\t" + "\t".join(peerlist) + "\n")
        else:
            self.out.write(f"sync\t{directory}\t0\n")
        self.model.sync_with_peerlist(directory, peerlist)  # a dict: ordered, O(1) membership
        self.ops += 1
        self.nick_refs += len(peerlist)

    def remove(self, directory: int) -> None:
        self.out.write(f"remove\t{directory}\n")
        self.model.remove_directory(directory)
        self.ops += 1

    def query(self, op: str) -> None:
        roll = self.rng.random()
        if self.peers and (roll < 0.7 or not self.departed):
            nick = self.random_peer()  # usually active; may not be reported yet
        elif self.departed and roll < 0.85:
            nick = self.departed[self.rng.randrange(len(self.departed))]
        else:
            nick = self.new_nick()  # never seen
        self.out.write(f"{op}\t{nick}\n")
        self.ops += 1

    def active_count(self) -> None:
        self.out.write("active_count\n")
        self.ops += 1

    # -- events ---------------------------------------------------------------------------

    def notify(self) -> bool:
        return self.rng.random() < self.args.notify

    def event(self, kind: str) -> None:
        if not self.peers and kind in ("depart", "move", "stale_present", "stale_gone"):
            return  # a tiny population can run out of peers for a moment
        if kind == "depart":
            nick = self.random_peer()
            for d in self.leave(nick):
                if self.notify():
                    self.update(nick, d, False)
        elif kind == "arrive":
            nick = self.new_nick()
            for d in self.join(nick):
                if self.notify():
                    self.update(nick, d, True)
        elif kind == "move":
            # One peer's connection to one directory drops, or a new one is made.
            nick = self.random_peer()
            dirs = self.peer_dirs[nick]
            if len(dirs) > 1 and (len(dirs) == self.directories or self.rng.random() < 0.5):
                d = dirs.pop(self.rng.randrange(len(dirs)))
                del self.listed[d][nick]
                if self.notify():
                    self.update(nick, d, False)
            elif len(dirs) < self.directories:
                d = self.rng.choice([d for d in range(self.directories) if d not in dirs])
                dirs.append(d)
                self.listed[d][nick] = None
                if self.notify():
                    self.update(nick, d, True)
        elif kind == "stale_present":
            # A repeated join announcement: nothing changes, unless it is the first news.
            nick = self.random_peer()
            dirs = self.peer_dirs[nick]
            self.update(nick, dirs[self.rng.randrange(len(dirs))], True)
        elif kind == "stale_gone":
            # A late leave report from a directory that no longer lists the peer: written only
            # if the tracker still has an entry for the pair, so usually a no-op.
            nick = self.random_peer()
            dirs = self.peer_dirs[nick]
            if len(dirs) < self.directories:
                d = self.rng.choice([d for d in range(self.directories) if d not in dirs])
                self.update(nick, d, False)
        elif kind in ("is_active", "active_directories"):
            self.query(kind)
        else:
            raise AssertionError(kind)

    # -- the trace ------------------------------------------------------------------------

    def run(self) -> None:
        args = self.args
        self.out.write(HEADER + "\n")
        self.out.write(
            f"# generate.py --nicks {args.nicks} --directories {args.directories} "
            f"--rounds {args.rounds} --churn {args.churn} --coverage {args.coverage} "
            f"--notify {args.notify} --queries {args.queries} --stale {args.stale} "
            f"--reconnect-every {args.reconnect_every} --seed {args.seed}\n"
        )
        for _ in range(args.nicks):
            self.join(self.new_nick())
        for d in range(self.directories):
            self.sync(d)
        self.active_count()

        changes = max(1, round(args.churn * args.nicks))
        for round_no in range(1, args.rounds + 1):
            events = (
                ["depart"] * changes
                + ["arrive"] * changes
                + ["move"] * changes
                + ["stale_present"] * args.stale
                + ["stale_gone"] * args.stale
                + ["is_active"] * (args.queries - args.queries // 4)
                + ["active_directories"] * (args.queries // 4)
            )
            self.rng.shuffle(events)
            reconnect: Optional[int] = None
            down_chunk = -1
            if args.reconnect_every and round_no % args.reconnect_every == 0:
                reconnect = self.rng.randrange(self.directories)
                down_chunk = self.rng.randrange(self.directories)
            # D chunks of events; directory d re-sends its peerlist after chunk d.
            for d in range(self.directories):
                if d == down_chunk:
                    assert reconnect is not None
                    self.remove(reconnect)
                    self.down = reconnect
                start = len(events) * d // self.directories
                end = len(events) * (d + 1) // self.directories
                for kind in events[start:end]:
                    self.event(kind)
                if d == down_chunk:
                    self.down = None
                    self.sync(reconnect)  # reconnected: its first peerlist
                self.sync(d)
            self.active_count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nicks", type=int, default=1000, help="online peers (N)")
    parser.add_argument("--directories", type=int, default=3, help="directory servers (D)")
    parser.add_argument("--rounds", type=int, default=10, help="rounds after the warm-up")
    parser.add_argument("--churn", type=float, default=0.01, help="fraction leaving per round")
    parser.add_argument("--coverage", type=float, default=0.9, help="P(peer on a directory)")
    parser.add_argument("--notify", type=float, default=0.5, help="P(single update per change)")
    parser.add_argument("--queries", type=int, help="queries per round (default N/20, min 8)")
    parser.add_argument("--stale", type=int, help="stale reports of each kind per round (churn)")
    parser.add_argument("--reconnect-every", type=int, default=3, help="rounds; 0 for never")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="trace file to write ('-' for stdout)")
    args = parser.parse_args()
    if args.nicks < 1 or args.directories < 1 or args.rounds < 0:
        parser.error("need --nicks >= 1, --directories >= 1, --rounds >= 0")
    if args.queries is None:
        args.queries = max(8, args.nicks // 20)
    if args.stale is None:
        args.stale = max(1, round(args.churn * args.nicks))

    if args.out == "-":
        generator = Generator(args, sys.stdout)
        generator.run()
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as out:
            generator = Generator(args, out)
            generator.run()
    print(
        f"generate.py: {generator.ops} operations, {generator.nick_refs} nicks in peerlists, "
        f"{len(generator.model.active_nicks)} active at the end",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
