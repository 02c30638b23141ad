"""jmcore's NickTracker algorithm in plain Python: the model the differential test checks the
library against.

A transcription of jmcore/src/jmcore/nick_tracker.py (logging left out) with one change, the
documented difference: a "gone" report for a (nick, directory) pair that has not been
reported present is ignored instead of being stored as a phantom {directory: False} entry.
"""

from typing import Callable, Dict, Hashable, Iterable, List, Optional, Set


class SeedModel:
    def __init__(self, on_nick_leave: Optional[Callable[[str], None]] = None) -> None:
        # active_nicks[nick] = {directory: True if present there, False if gone from it}
        self.active_nicks: Dict[str, Dict[Hashable, bool]] = {}
        self.on_nick_leave = on_nick_leave

    def update_nick(self, nick: str, directory: Hashable, is_present: bool) -> None:
        # The one difference from jmcore.
        if not is_present and directory not in self.active_nicks.get(nick, {}):
            return

        if nick not in self.active_nicks:
            self.active_nicks[nick] = {}

        old_status = self.active_nicks[nick].get(directory)
        self.active_nicks[nick][directory] = is_present

        if not is_present and old_status is True:
            if not self.is_nick_active(nick):
                if self.on_nick_leave:
                    self.on_nick_leave(nick)
                del self.active_nicks[nick]

    def mark_nick_present(self, nick: str, directory: Hashable) -> None:
        self.update_nick(nick, directory, True)

    def mark_nick_gone(self, nick: str, directory: Hashable) -> None:
        self.update_nick(nick, directory, False)

    def is_nick_active(self, nick: str) -> bool:
        if nick not in self.active_nicks:
            return False
        return any(status for status in self.active_nicks[nick].values())

    def get_active_directories_for_nick(self, nick: str) -> List[Hashable]:
        if nick not in self.active_nicks:
            return []
        return [
            directory for directory, is_present in self.active_nicks[nick].items() if is_present
        ]

    def get_all_active_nicks(self) -> Set[str]:
        return {nick for nick in self.active_nicks if self.is_nick_active(nick)}

    def remove_directory(self, directory: Hashable) -> List[str]:
        gone_nicks = []
        for nick in list(self.active_nicks.keys()):
            if directory in self.active_nicks[nick]:
                del self.active_nicks[nick][directory]
                if not self.active_nicks[nick]:
                    gone_nicks.append(nick)
                    if self.on_nick_leave:
                        self.on_nick_leave(nick)
                    del self.active_nicks[nick]
                elif not self.is_nick_active(nick):
                    gone_nicks.append(nick)
                    if self.on_nick_leave:
                        self.on_nick_leave(nick)
                    del self.active_nicks[nick]
        return gone_nicks

    def sync_with_peerlist(self, directory: Hashable, active_nicks: Iterable[str]) -> None:
        for nick in active_nicks:
            self.mark_nick_present(nick, directory)
        for nick in list(self.active_nicks.keys()):
            if directory in self.active_nicks[nick] and nick not in active_nicks:
                self.mark_nick_gone(nick, directory)

    def __repr__(self) -> str:
        return f"NickTracker(active_nicks={len(self.get_all_active_nicks())})"
