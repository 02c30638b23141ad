"""jmcore's NickTracker in plain Python: the project's one Python transcription of it.

JmcoreNickTracker is jmcore/src/jmcore/nick_tracker.py (joinmarket-ng) line for line, minus
its logger calls (which only make it slower: it formats its f-strings, one of them building a
list, whatever the log level). It is the baseline of the trace replay
(benches/trace/baseline.py) and of the Python benchmark (benches/python/bench.py).

ModelNickTracker adds the one documented difference of nick-tracker: a "gone" report for a
(nick, directory) pair that was never reported present is ignored instead of being stored as
a phantom {directory: False} entry. It is the model the differential tests check the package
against (test_differential.py, test_events.py).
"""

from typing import Callable, Collection, Dict, Generic, Hashable, List, Optional, Set, TypeVar

TDirectory = TypeVar("TDirectory", bound=Hashable)


class JmcoreNickTracker(Generic[TDirectory]):
    """jmcore.nick_tracker.NickTracker, line for line, without the logger calls."""

    def __init__(self, on_nick_leave: Optional[Callable[[str], None]] = None):
        # active_nicks[nick] = {directory1: True, directory2: True, ...}
        # True = nick is present on this directory, False = gone from this directory
        self.active_nicks: Dict[str, Dict[TDirectory, bool]] = {}
        self.on_nick_leave = on_nick_leave

    def update_nick(self, nick: str, directory: TDirectory, is_present: bool) -> None:
        if nick not in self.active_nicks:
            self.active_nicks[nick] = {}

        old_status = self.active_nicks[nick].get(directory)
        self.active_nicks[nick][directory] = is_present

        # Check if this update causes the nick to be completely gone
        if not is_present and old_status is True:
            # Nick just disappeared from this directory
            # Check if it's still present on any other directory
            if not self.is_nick_active(nick):
                if self.on_nick_leave:
                    self.on_nick_leave(nick)
                # Clean up the entry
                del self.active_nicks[nick]
        elif is_present and old_status is False:
            pass  # jmcore only logs here ("returned to directory")

    def mark_nick_present(self, nick: str, directory: TDirectory) -> None:
        self.update_nick(nick, directory, True)

    def mark_nick_gone(self, nick: str, directory: TDirectory) -> None:
        self.update_nick(nick, directory, False)

    def is_nick_active(self, nick: str) -> bool:
        if nick not in self.active_nicks:
            return False
        return any(status for status in self.active_nicks[nick].values())

    def get_active_directories_for_nick(self, nick: str) -> List[TDirectory]:
        if nick not in self.active_nicks:
            return []
        return [
            directory for directory, is_present in self.active_nicks[nick].items() if is_present
        ]

    def get_all_active_nicks(self) -> Set[str]:
        return {nick for nick in self.active_nicks if self.is_nick_active(nick)}

    def remove_directory(self, directory: TDirectory) -> List[str]:
        gone_nicks = []

        for nick in list(self.active_nicks.keys()):
            if directory in self.active_nicks[nick]:
                # Remove this directory from the nick's tracking
                del self.active_nicks[nick][directory]

                # Check if nick is now gone from all directories
                if not self.active_nicks[nick]:
                    # No directories left for this nick
                    gone_nicks.append(nick)
                    if self.on_nick_leave:
                        self.on_nick_leave(nick)
                    del self.active_nicks[nick]
                elif not self.is_nick_active(nick):
                    # Still tracked on some directories but marked as gone on all
                    gone_nicks.append(nick)
                    if self.on_nick_leave:
                        self.on_nick_leave(nick)
                    del self.active_nicks[nick]

        return gone_nicks

    def sync_with_peerlist(self, directory: TDirectory, active_nicks: Collection[str]) -> None:
        # First, mark all nicks in the peerlist as present
        for nick in active_nicks:
            self.mark_nick_present(nick, directory)

        # Then, mark nicks we're tracking but not in this peerlist as gone from this directory
        for nick in list(self.active_nicks.keys()):
            if directory in self.active_nicks[nick] and nick not in active_nicks:
                self.mark_nick_gone(nick, directory)

    def __repr__(self) -> str:
        return f"NickTracker(active_nicks={len(self.get_all_active_nicks())})"


class ModelNickTracker(JmcoreNickTracker[TDirectory]):
    """jmcore with nick-tracker's one documented difference: a gone report for a pair that
    was never reported present is ignored."""

    def update_nick(self, nick: str, directory: TDirectory, is_present: bool) -> None:
        if not is_present and directory not in self.active_nicks.get(nick, {}):
            return
        super().update_nick(nick, directory, is_present)
