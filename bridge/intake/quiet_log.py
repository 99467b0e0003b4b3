"""Log lines about bad input, at most one a minute per key: a flood of malformed or forged
datagrams costs a counter each, and the log one line with how many there were."""

from __future__ import annotations

import logging
import time

QUIET_S = 60.0  # one log line per key this often at most
_KEYS_MAX = 1000  # keys by trap OID: a sender choosing them cannot grow the memory


class QuietLog:
    """Log lines, at most one per key per QUIET_S (with how many were not), to `log`."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._last: dict[tuple[str, str], float] = {}
        self._skipped: dict[tuple[str, str], int] = {}

    def log(self, level: int, key: tuple[str, str], message: str, *args: object) -> None:
        """Log `message % args` unless a line of `key` was logged in the last QUIET_S."""
        now = time.monotonic()
        if now - self._last.get(key, -QUIET_S) < QUIET_S:
            self._skipped[key] = self._skipped.get(key, 0) + 1
            return
        if len(self._last) > _KEYS_MAX:
            self._last.clear()
            self._skipped.clear()
        self._last[key] = now
        skipped = self._skipped.pop(key, 0)
        self._log.log(level, message + (f" (and {skipped} more since the last)"
                                         if skipped else ""), *args)
