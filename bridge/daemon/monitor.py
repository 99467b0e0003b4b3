"""Live check state: applies results through the pure core and hands decisions to the writer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.config.model import Config
from bridge.core.availability import Change
from bridge.core.decisions import Decision, decide
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, Reason, apply_result, next_delay_s

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
    """Owns the live state of every configured check."""

    def __init__(
        self,
        config: Config,
        states: dict[CheckKey, CheckState],
        history: dict[CheckKey, list[Change]],
        submit: Callable[[list[Decision]], None],
    ) -> None:
        self.config = config
        self._states = states
        self._history = history
        self._submit = submit
        self.open_incidents: dict[tuple[str, str, int], int] = {}
        self.apply_config(config)

    def keys(self) -> list[CheckKey]:
        """Every configured check."""
        return [CheckKey(d, p) for d, device in self.config.devices.items() for p in device.probes]

    def apply_config(self, config: Config) -> None:
        """Swap in a new config; checks that still exist keep their state."""
        self.config = config
        keys = set(self.keys())
        for key in list(self._states):
            if key not in keys:
                del self._states[key]  # its metric series disappear with it
        for key in keys:
            self._states.setdefault(key, CheckState())

    def record(self, key: CheckKey, result: ProbeResult) -> float | None:
        """Apply one result; return the delay until the check's next run.

        None when a reload removed the check while it ran: the result is dropped.
        """
        old = self._states.get(key)
        if old is None:
            return None
        probe = self.config.probes[key.probe]
        transition = apply_result(old, result, probe.max_attempts)
        self._states[key] = transition.new
        decisions = decide(transition, key, self.config)
        self._submit(decisions)
        if transition.hard_changed and transition.new.hard_since is not None:
            self._remember(key, transition.new.hard_since, transition.new)
        if transition.reason not in (Reason.STILL_UP, Reason.STILL_DOWN):
            log.info("check %s: %s (attempt %d/%d): %s", key, transition.reason,
                     transition.new.attempts, probe.max_attempts, result.output)
        return next_delay_s(transition.new, probe.interval_s, probe.retry_interval_s)

    def _remember(self, key: CheckKey, at: datetime, state: CheckState) -> None:
        history = self._history.setdefault(key, [])
        history.append((at, state.hard_status))
        cutoff = at - timedelta(seconds=HISTORY_S)
        # keep one change before the cutoff: it is the status at the window's start
        while len(history) > 1 and history[1][0] < cutoff:
            history.pop(0)

    def snapshot(self) -> Snapshot:
        """Copy references to the current state; the values are immutable."""
        return Snapshot(
            self.config,
            dict(self._states),
            {k: tuple(v) for k, v in self._history.items()},
            dict(self.open_incidents),
        )
