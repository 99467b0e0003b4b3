"""Live state around the engine: results in, decisions to the writer, snapshots out."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bridge.config.model import Config
from bridge.core.decisions import (
    OPERATOR_CUSTOMER,
    AttachToIncident,
    Decision,
    RecordChange,
    SetFlapping,
    Suppressed,
    SuspectGap,
)
from bridge.core.engine import RuleEngine
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, Judged, judged_part
from bridge.daemon.change_log import ChangeLog
from bridge.daemon.heap import untrack

log = logging.getLogger(__name__)

IncidentCounts = dict[tuple[str, str, int], int]  # (customer, priority, tier) -> open tickets


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of live state for one metrics scrape or API call."""

    config: Config
    states: dict[CheckKey, CheckState]
    open_incidents: IncidentCounts
    monitoring_gap: bool = False


class Monitor:
    """Feeds the engine and hands its decisions on."""

    def __init__(
        self,
        engine: RuleEngine[Config],
        submit: Callable[[list[Decision]], None],
        recheck: Callable[[set[CheckKey]], None],
    ) -> None:
        self.engine = engine
        self._submit = submit
        self._recheck = recheck
        self.open_incidents: IncidentCounts = {}
        self._changes = ChangeLog()

    def set_open_incidents(self, counts: IncidentCounts) -> None:
        """New counts of open tickets. A label set whose last ticket closed reads 0 (a
        series that vanished would leave graphs at their last value), until its customer
        leaves the config."""
        zeros = {key: 0 for key in self._known(self.open_incidents)}
        self.open_incidents = {**zeros, **counts}

    def _known(self, counts: IncidentCounts) -> IncidentCounts:
        known = {*self.config.customers, OPERATOR_CUSTOMER}
        return {key: n for key, n in counts.items() if key[0] in known}

    @property
    def config(self) -> Config:
        """The config the engine runs."""
        return self.engine.config

    def apply_config(self, config: Config, now: datetime) -> None:
        """Swap in a new config; checks that still exist keep their state."""
        self._hand_on(self.engine.apply_config(config, now))
        self.open_incidents = self._known(self.open_incidents)

    def record(self, key: CheckKey, result: ProbeResult) -> float | None:
        """Apply one result; the delay until the check runs again (None: check removed)."""
        decisions, delay_s = self.engine.on_result(key, result)
        state = self.engine.states.get(key)
        if state is not None:  # kept until the check's next result: out of collections
            flaps = self.engine.flap_state(key)
            _untrack(state)
            untrack(flaps, flaps and flaps.results)
        self._hand_on(decisions)
        return delay_s

    def observe_states(self, states: Mapping[CheckKey, CheckState]) -> None:
        """Other instances' checks as their owners last stored them: known (for the API,
        parents, gap evidence), never judged here. Checks the config lacks are left out."""
        known = self.engine.states
        for key, state in states.items():
            if key in known:
                known[key] = state
                _untrack(state)

    def settled(self, key: CheckKey, judged: Judged) -> bool:
        """Whether the engine knows another instance's check with that state already, and
        wants no newer result of it: a parent's results are wanted, as a child failing here
        is judged on a parent's result newer than its failure (core/dependencies.py). The
        fleet view builds nothing of such a row, so its reads leave no objects for the
        garbage collector to walk (each one a pause of the event loop; the API reads the
        others' last results from the store). Asked on a reader thread."""
        state = self.engine.states.get(key)
        return (state is not None and state.last is not None
                and not self.engine.is_parent(key.device) and judged_part(state) == judged)

    def observe_tickets(self, open_problems: Mapping[str, bool],
                        attached: Mapping[CheckKey, str], theirs: Callable[[str], bool]) -> None:
        """Their checks' tickets (a parent's ticket for a child here to attach to)."""
        self.engine.observe_tickets(open_problems, attached, theirs)

    def tick(self, now: datetime) -> None:
        """Let the engine re-judge held and waiting checks."""
        self._hand_on(self.engine.on_tick(now))

    def _hand_on(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if isinstance(d, RecordChange | Suppressed):
                self._changes.add(d)
            elif isinstance(d, AttachToIncident | SetFlapping):
                log.info("%s", d.summary)
            elif isinstance(d, SuspectGap) and d.note:
                log.warning("%s", d.note)
        if decisions:
            self._submit(decisions)
        rechecks = self.engine.take_rechecks()
        if rechecks:
            self._recheck(rechecks)

    def snapshot(self) -> Snapshot:
        """Copy references to the current state; the values are immutable."""
        return Snapshot(self.config, dict(self.engine.states), dict(self.open_incidents),
                        self.engine.in_gap)


def _untrack(state: CheckState) -> None:
    """Take a check's state and its last result, with everything in it, out of the garbage
    collector's lists (heap.untrack): immutable, and holding only atoms and such values."""
    untrack(state)
    last = state.last
    if last is not None:
        untrack(last, last.values, last.series, last.events, *last.series)
        if type(last.measurements) is dict:  # CPython tracks it again if a container goes in
            untrack(last.measurements)
