"""Run a timeline through the real rule engine, keeping tickets as the store would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.backtest.timeline import Timeline, events
from bridge.config.model import Config
from bridge.core.decisions import (
    AttachToIncident,
    Decision,
    OpenIncident,
    ResolveIncident,
    SetFlapping,
    Suppressed,
)
from bridge.core.engine import RuleEngine
from bridge.core.priority import Priority
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey


@dataclass
class Ticket:
    """A ticket as the replay saw it."""

    device: str
    probe: str | None
    priority: Priority
    started_at: datetime
    opened_at: datetime
    resolved_at: datetime | None = None
    reopened: bool = False
    flapping: bool = False
    attached: list[str] = field(default_factory=list)


@dataclass
class Replay:
    """Everything the engine decided over a timeline."""

    tickets: list[Ticket] = field(default_factory=list)
    suppressed: list[tuple[str, str, datetime]] = field(default_factory=list)
    by_problem: dict[str, Ticket] = field(default_factory=dict)

    def apply(self, decisions: list[Decision], now: datetime) -> None:
        """Carry out decisions the way the store does."""
        for d in decisions:
            if isinstance(d, OpenIncident):
                last = self.by_problem.get(d.problem_key)
                if d.reopen and last is not None and last.resolved_at is not None:
                    last.resolved_at = None
                    last.reopened = True
                    last.flapping = last.flapping or d.flapping
                    continue
                device = d.key.device if d.key else "monitoring-gap"
                ticket = Ticket(device, d.key.probe if d.key else None, d.priority,
                                d.started_at, now, flapping=d.flapping)
                self.tickets.append(ticket)
                self.by_problem[d.problem_key] = ticket
            elif isinstance(d, ResolveIncident | AttachToIncident | SetFlapping):
                self._follow(d)
            elif isinstance(d, Suppressed):
                self.suppressed.append((d.key.device, d.reason, d.at))

    def _follow(self, d: ResolveIncident | AttachToIncident | SetFlapping) -> None:
        found = self.by_problem.get(d.problem_key)
        if found is None:
            return
        if isinstance(d, ResolveIncident):
            found.resolved_at = d.at
        elif isinstance(d, AttachToIncident):
            if d.key.device not in found.attached:
                found.attached.append(d.key.device)
        elif d.flapping:
            found.flapping = True


def replay(timeline: Timeline, config: Config) -> Replay:
    """Feed every result and a tick every `timeline.tick` seconds to a fresh engine."""
    engine = RuleEngine(config)
    out = Replay()
    items = events(timeline)
    start = items[0].at if items else timeline.start
    last = items[-1].at if items else timeline.start
    end = (timeline.start + timedelta(seconds=timeline.end) if timeline.end is not None
           else last + timedelta(seconds=60))
    tick = timedelta(seconds=timeline.tick)
    next_tick = start
    for event in items:
        while next_tick <= event.at:
            out.apply(engine.on_tick(next_tick), next_tick)
            next_tick += tick
        device = config.devices[event.device]
        for probe in ([event.probe] if event.probe else device.probes):
            result = ProbeResult(event.ok, event.at, 0.0, "ok" if event.ok else "failed",
                                 local=event.local)
            decisions, _ = engine.on_result(CheckKey(event.device, probe), result)
            out.apply(decisions, event.at)
        engine.take_rechecks()  # the timeline says when checks run
    while next_tick <= end:
        out.apply(engine.on_tick(next_tick), next_tick)
        next_tick += tick
    return out

