"""The engine's watch over its own blindness: a monitoring gap, or the suspicion of one,
and the new tickets held while it is only suspected.

Suspicion holds new tickets for up to `gap_grace_s` counted from its start, which the
store keeps: a bridge restarting again and again in a mass outage holds them once, not
at every start. The hold and its end are told (in `SuspectGap.note`) so that a ticket
that waits is never a mystery in the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from bridge.core.check_states import CheckStates
from bridge.core.decisions import (
    GAP_PROBLEM,
    OPERATOR_CUSTOMER,
    Decision,
    OpenIncident,
    RecordGap,
    ResolveIncident,
    SuspectGap,
)
from bridge.core.engine_config import GapSettings
from bridge.core.gap import GapPolicy, assess
from bridge.core.priority import Priority
from bridge.core.state import CheckKey


class GapWatch:
    """Whether the bridge is blind, or may be going blind, and what waits for it."""

    def __init__(self, suspect_since: datetime | None = None) -> None:
        self.policy = GapPolicy(frozenset())
        self.grace_s = 0.0
        self.gap: tuple[datetime, str] | None = None  # (start, reason)
        self.suspect_since = suspect_since
        self._evidence = ""
        self._held: set[CheckKey] = set()
        self._reported = 0  # held tickets last told of
        self._canary_keys: list[CheckKey] = []

    def configure(self, monitoring: GapSettings, keys: Iterable[CheckKey]) -> None:
        """Take the thresholds of bridge.toml [monitoring]; `keys`: every configured check
        (the canaries' are looked at on their own)."""
        canaries = set(monitoring.canaries)
        self._canary_keys = [k for k in keys if k.device in canaries]
        self.policy = GapPolicy(frozenset(monitoring.canaries), monitoring.gap_failing_ratio,
                                monitoring.gap_min_customers, monitoring.gap_min_checks)
        self.grace_s = monitoring.gap_grace_s

    def judge(self, now: datetime, states: CheckStates, blind: Iterable[CheckKey],
              customer_of: Mapping[str, str]) -> tuple[list[Decision], bool]:
        """Weigh the evidence now; the decisions, and whether a gap just ended."""
        canaries = [states[k] for k in self._canary_keys if k in states]
        found = assess(states, states.failing, canaries, blind, customer_of, self.policy,
                       self.gap is not None)
        self._evidence = found.evidence or found.gap or ""
        out: list[Decision] = []
        if found.suspect and self.suspect_since is None:
            self.suspect_since = now
            out.append(SuspectGap(now, now))
        elif not found.suspect and self.suspect_since is not None:
            self.suspect_since = None
            out.append(SuspectGap(None, now))
        if found.gap is not None and self.gap is None:
            self.gap = (now, found.gap)
            out += [RecordGap(now, None, found.gap),
                    OpenIncident(GAP_PROBLEM, None, OPERATOR_CUSTOMER, Priority.P1,
                                 "monitoring-gap", now, f"monitoring gap: {found.gap}")]
        elif found.gap is None and self.gap is not None:
            started, _ = self.gap
            self.gap = None
            out += [RecordGap(started, now, ""), ResolveIncident(
                GAP_PROBLEM, now, "the bridge can see again; monitoring gap ended")]
            return out, True
        return out, False

    def _waiting(self, now: datetime) -> bool:
        since = self.suspect_since
        return (self.gap is None and since is not None
                and (now - since).total_seconds() < self.grace_s)

    def hold(self, key: CheckKey, now: datetime) -> bool:
        """Whether `key`'s new ticket waits now for the suspicion's verdict."""
        if self._waiting(now):
            self._held.add(key)
            return True
        return False

    def forget(self, keys: Iterable[CheckKey]) -> None:
        """These checks recovered or left the config: nothing of theirs is held."""
        self._held.difference_update(keys)

    def report(self, now: datetime) -> list[Decision]:
        """Tell of the held tickets when they first wait (again each time their number
        doubles) and once when they stop waiting."""
        held, since = len(self._held), self.suspect_since
        if not held or (self._waiting(now) and held < 2 * self._reported):
            return []
        if self._waiting(now) and since is not None:
            self._reported = held
            left_s = self.grace_s - (now - since).total_seconds()
            return [SuspectGap(since, now, f"holding {held} new tickets: monitoring gap "
                                           f"suspected ({self._evidence}); up to "
                                           f"{left_s:.0f} s more")]
        self._held.clear()
        self._reported = 0
        if self.gap is not None:
            note = f"monitoring gap confirmed: {held} held tickets wait for its end"
        elif since is None:
            note = f"released {held} held tickets: a monitoring gap is no longer suspected"
        else:
            note = f"released {held} held tickets: no monitoring gap after {self.grace_s:g} s"
        return [SuspectGap(since, now, note)]
