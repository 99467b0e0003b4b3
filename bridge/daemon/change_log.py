"""The log lines of checks' hard changes and of failures that open no ticket: one line
per check, or grouped lines when many come at once (a mass outage, the first round
after a start).

A turn of the event loop that decided more than `ONE_BY_ONE` of them writes one line per
kind of change, naming up to `NAMES_PER_LINE` checks each: a burst of 10,000 is ~100
lines an operator can read (and grep for a check's name) instead of 10,000, and the
loop spends its time judging results rather than writing lines (~8 us each).
"""

from __future__ import annotations

import asyncio
import logging

from bridge.core.decisions import RecordChange, Suppressed

log = logging.getLogger("bridge.daemon.monitor")  # the Monitor's lines, as they always were

ONE_BY_ONE = 20  # up to this many in one turn: one line each, with the check's output
NAMES_PER_LINE = 100


class ChangeLog:
    """Collects the lines of one turn of the loop and writes them at its end."""

    def __init__(self) -> None:
        self._pending: list[RecordChange | Suppressed] = []

    def add(self, decision: RecordChange | Suppressed) -> None:
        """A line to write at the end of this turn (at once with no loop running)."""
        self._pending.append(decision)
        if len(self._pending) > 1:
            return
        try:
            asyncio.get_running_loop().call_soon(self.write)
        except RuntimeError:  # no loop: nothing to group with
            self.write()

    def write(self) -> None:
        """Write what was collected."""
        pending, self._pending = self._pending, []
        if len(pending) <= ONE_BY_ONE:
            for d in pending:
                _one(d)
            return
        groups: dict[tuple[str, ...], list[str]] = {}
        for d in pending:
            what: tuple[str, ...] = ((d.old, d.new, d.reason) if isinstance(d, RecordChange)
                    else ("no ticket", d.reason))
            groups.setdefault(what, []).append(str(d.key))
        for kind, names in groups.items():
            for start in range(0, len(names), NAMES_PER_LINE):
                chunk = names[start:start + NAMES_PER_LINE]
                if len(kind) == 3:
                    log.info("%d checks: %s -> %s (%s): %s", len(chunk), *kind,
                             ", ".join(chunk))
                else:
                    log.info("%d checks: no ticket: %s: %s", len(chunk), kind[1],
                             ", ".join(chunk))


def _one(d: RecordChange | Suppressed) -> None:
    if isinstance(d, RecordChange):
        log.info("check %s: %s -> %s (%s): %s", d.key, d.old, d.new, d.reason, d.output)
    else:
        log.info("check %s: no ticket: %s", d.key, d.reason)
