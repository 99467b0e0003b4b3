"""Live state around the engine: results in, decisions to the writer, history for metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.config.model import Config
from bridge.core.availability import Change
from bridge.core.decisions import (
    AttachToIncident,
    Decision,
    RecordChange,
    SetFlapping,
    Suppressed,
)
from bridge.core.engine import RuleEngine
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState

log = logging.getLogger(__name__)

HISTORY_S = 31 * 86400  # enough for the longest availability window (30 d)


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of live state for one metrics scrape or API call."""

    config: Config
    states: dict[CheckKey, CheckState]
    history: dict[CheckKey, tuple[Change, ...]]
    open_incidents: dict[tuple[str, str, int], int]


class Monitor:
    """Feeds the engine and hands its decisions on; remembers recent history."""

    def __init__(
        self,
        engine: RuleEngine,
        history: dict[CheckKey, list[Change]],
        submit: Callable[[list[Decision]], None],
        recheck: Callable[[set[CheckKey]], None],
    ) -> None:
        self.engine = engine
        self._history = history
        self._submit = submit
        self._recheck = recheck
        self.open_incidents: dict[tuple[str, str, int], int] = {}

    @property
    def config(self) -> Config:
        """The config the engine runs."""
        return self.engine.config

    def apply_config(self, config: Config, now: datetime) -> None:
        """Swap in a new config; checks that still exist keep their state."""
        self._hand_on(self.engine.apply_config(config, now))
        for key in [k for k in self._history if k not in self.engine.states]:
            del self._history[key]

    def record(self, key: CheckKey, result: ProbeResult) -> float | None:
        """Apply one result; the delay until the check runs again (None: check removed)."""
        decisions, delay_s = self.engine.on_result(key, result)
        self._hand_on(decisions)
        return delay_s

    def tick(self, now: datetime) -> None:
        """Let the engine re-judge held and waiting checks."""
        self._hand_on(self.engine.on_tick(now))

    def _hand_on(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if isinstance(d, RecordChange):
                self._remember(d.key, d.at, d)
                log.info("check %s: %s -> %s (%s): %s", d.key, d.old, d.new, d.reason, d.output)
            elif isinstance(d, Suppressed):
                log.info("check %s: no ticket: %s", d.key, d.reason)
            elif isinstance(d, AttachToIncident | SetFlapping):
                log.info("%s", d.summary)
        if decisions:
            self._submit(decisions)
        rechecks = self.engine.take_rechecks()
        if rechecks:
            self._recheck(rechecks)

    def _remember(self, key: CheckKey, at: datetime, change: RecordChange) -> None:
        history = self._history.setdefault(key, [])
        history.append((at, change.new))
        cutoff = at - timedelta(seconds=HISTORY_S)
        # keep one change before the cutoff: it is the status at the window's start
        while len(history) > 1 and history[1][0] < cutoff:
            history.pop(0)

    def snapshot(self) -> Snapshot:
        """Copy references to the current state; the values are immutable."""
        return Snapshot(
            self.config,
            dict(self.engine.states),
            {k: tuple(v) for k, v in self._history.items()},
            dict(self.open_incidents),
        )
