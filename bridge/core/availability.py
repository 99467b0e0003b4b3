"""Availability as the contract counts it: time-weighted, per check, device and customer.

Counted time is the time a device's state was known, inside the contract's coverage,
outside its maintenance windows and outside monitoring gaps (the bridge itself blind).
Down time is counted time while any of the device's checks was hard down: from the first
failed check of a failure that became hard, until the first success that ended it.
Availability = 1 - down / counted. A customer's availability weighs every device by its
counted time. See outages.py for how down time is split between a device and its parents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bridge.core.outages import (
    Cause,
    DeviceTimeline,
    Segment,
    StatusChange,
    outage_runs,
    parent_runs,
    parents_first,
    timeline,
)
from bridge.core.spans import Span, Spans, clip, intersect, subtract, total, union
from bridge.core.state import Status


@dataclass(frozen=True, slots=True)
class DeviceHistory:
    """What the computation needs about one device: its checks' hard changes and its place."""

    device: str
    customer: str
    checks: Mapping[str, Sequence[StatusChange]]  # probe -> changes, oldest first
    reachability: tuple[str, ...]  # the probes that say whether children can be reached
    parents: tuple[str, ...] = ()
    redundant_parents: bool = False
    parent_lead_s: float = 0.0  # see outages.py
    recheck_s: float = 0.0  # its longest check interval: see outages.py
    maintenance: Spans = field(default_factory=list)  # windows that cover this device


@dataclass(frozen=True)
class Scope:
    """The period measured, [start, end), and what is excluded from it.

    History from `lookback_start` on decides in which period an outage began; `coverage`
    maps a customer to its covered spans over [lookback_start, end); absent means 24/7.
    """

    start: float
    end: float
    gaps: Spans = field(default_factory=list)
    coverage: Mapping[str, Spans] = field(default_factory=dict)
    lookback_start: float | None = None

    @property
    def first(self) -> float:
        """Where the computation starts looking."""
        return self.start if self.lookback_start is None else min(self.lookback_start, self.start)


@dataclass(frozen=True, slots=True)
class Tally:
    """Seconds of one device or check (or a sum of them) over a period."""

    counted_s: float = 0.0
    down_s: float = 0.0
    parent_s: float = 0.0  # of down_s: while a parent was down
    maintenance_s: float = 0.0  # down time not counted because a maintenance window covered it

    @property
    def ratio(self) -> float | None:
        """Availability as a share, or None when no time was counted."""
        return 1.0 - self.down_s / self.counted_s if self.counted_s > 0 else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.counted_s + other.counted_s, self.down_s + other.down_s,
                     self.parent_s + other.parent_s, self.maintenance_s + other.maintenance_s)

    def __sub__(self, other: Tally) -> Tally:
        return Tally(self.counted_s - other.counted_s, self.down_s - other.down_s,
                     self.parent_s - other.parent_s, self.maintenance_s - other.maintenance_s)


@dataclass(frozen=True, slots=True)
class Outage:
    """One stretch of a device's down time with one cause, as seen from one period.

    `started` (with the device) identifies it across periods; `ended` is None while it
    lasts beyond the period. `counted_begins`: its counted down time begins in this period,
    so the period counts it; `maintenance_begins` likewise for time a window excluded.
    """

    device: str
    cause: Cause
    root: str | None
    started: float
    ended: float | None
    down_s: float
    maintenance_s: float
    counted_begins: bool
    maintenance_begins: bool


@dataclass(frozen=True, slots=True)
class Measured:
    """A device's tally, its checks' tallies and its outages over one period."""

    device: str
    customer: str
    tally: Tally
    checks: Mapping[str, Tally]
    outages: tuple[Outage, ...]


def measure(histories: Sequence[DeviceHistory], scope: Scope,
            until: float | None = None) -> dict[str, Measured]:
    """Every device measured over the scope, with its outages; parents are measured
    before their children. With `until`, the period ends there and the timeline looks on
    to the scope's end: a child's recovery just after the period decides whose its last
    seconds in it were."""
    period = (scope.start, scope.end if until is None else until)
    return {name: found[0] for name, found
            in _measure(histories, scope, [period], True).items()}


def measure_parts(histories: Sequence[DeviceHistory], scope: Scope,
                  parts: Sequence[Span]) -> dict[str, list[Measured]]:
    """Every device's tallies over each part [start, end) of the scope, in that order, as
    the scope's timeline sees it: a part that ends with the scope is what `measure` gives
    over a scope starting there (the rolling windows all end now); one that ends earlier
    still sees its parents' failures that begin after it (up to each device's
    `parent_lead_s`)."""
    return _measure(histories, scope, parts, False)


def _measure(histories: Sequence[DeviceHistory], scope: Scope, parts: Sequence[Span],
             outages: bool) -> dict[str, list[Measured]]:
    by_name = {h.device: h for h in histories}
    timelines: dict[str, DeviceTimeline] = {}
    bases: dict[str, Spans] = {}
    results: dict[str, list[Measured]] = {}
    covered: dict[str, list[Tally]] = {}  # what a device up all along counts, per customer
    order = parents_first({h.device: h.parents for h in histories})
    for name in order:
        history = by_name[name]
        if history.customer not in bases:
            base = bases[history.customer] = _base(scope, history.customer)
            covered[history.customer] = [Tally(total(clip(base, *part))) for part in parts]
        if _steady_up(history, scope):
            timelines[name] = _NOTHING_DOWN
            results[name] = [_measure_steady(history, tally)
                             for tally in covered[history.customer]]
            continue
        runs = parent_runs(history.parents, history.redundant_parents, timelines)
        line = timeline(name, history.checks, history.reachability, runs,
                        history.parent_lead_s, scope.end, history.recheck_s)
        timelines[name] = line
        results[name] = _measure_device(history, line, bases[history.customer], scope,
                                        parts, outages)
    return results


_NOTHING_DOWN = DeviceTimeline([], [], {}, (), ())


def _steady_up(history: DeviceHistory, scope: Scope) -> bool:
    """Whether no check changed from the look-back on, none is down and no window applies:
    most devices over a short period, measured without any span arithmetic. A check seen
    down before is not steady: when it recovered decides whose its children's down time is."""
    for changes in history.checks.values():
        if changes and (changes[-1][0] > scope.first or changes[-1][1] != Status.UP
                        or any(status == Status.DOWN for _, status in changes)):
            return False
    return not any(start < scope.end and end > scope.first
                   for start, end in history.maintenance)


def _measure_steady(history: DeviceHistory, covered: Tally) -> Measured:
    checks = {probe: covered if changes else _NONE for probe, changes in history.checks.items()}
    device = covered if any(history.checks.values()) else _NONE
    return Measured(history.device, history.customer, device, checks, ())


_NONE = Tally()


def covered_time(scope: Scope, customer: str) -> Tally:
    """What a device up throughout the scope counts: the customer's covered time in it, less
    monitoring gaps."""
    return Tally(total(clip(_base(scope, customer), scope.start, scope.end)))


def _base(scope: Scope, customer: str) -> Spans:
    """Covered time of a customer, from the look-back on, minus monitoring gaps."""
    covered = scope.coverage.get(customer)
    window = [(scope.first, scope.end)]
    base = window if covered is None else intersect(covered, window)
    return subtract(base, scope.gaps)


def _measure_device(history: DeviceHistory, line: DeviceTimeline, base: Spans,
                    scope: Scope, parts: Sequence[Span],
                    with_outages: bool) -> list[Measured]:
    """Measured over each part of the scope; outages too, if asked (one part then)."""
    maintenance = union(history.maintenance)
    in_base = intersect(line.known, base)
    counted_all = subtract(in_base, maintenance)
    excluded_all = intersect(in_base, maintenance)
    parent_down = union((s.start, s.end) for s in line.segments if s.cause == Cause.PARENT)
    # A device's only check has the device's own spans.
    per_check = {probe: (subtract(intersect(known, base), maintenance), down)
                 for probe, (known, down) in line.checks.items()} if len(line.checks) > 1 else {}
    measured: list[Measured] = []
    for start, stop in parts:
        counted = clip(counted_all, start, stop)
        excluded = clip(excluded_all, start, stop)
        tally = Tally(total(counted), total(intersect(line.down, counted)),
                      total(intersect(parent_down, counted)),
                      total(intersect(line.down, excluded)))
        checks = dict.fromkeys(line.checks, Tally(tally.counted_s, tally.down_s))
        for probe, (check_counted_all, down) in per_check.items():
            check_counted = clip(check_counted_all, start, stop)
            checks[probe] = Tally(total(check_counted), total(intersect(down, check_counted)))
        outages = []
        for segment in outage_runs(line.segments) if with_outages else ():
            if segment.end <= start:
                continue
            outage = _outage(history.device, segment, (counted, counted_all),
                             (excluded, excluded_all), scope, stop)
            if outage is not None:
                outages.append(outage)
        measured.append(Measured(history.device, history.customer, tally, checks,
                                 tuple(outages)))
    return measured


def _outage(device: str, segment: Segment, counted: tuple[Spans, Spans],
            excluded: tuple[Spans, Spans], scope: Scope, stop: float) -> Outage | None:
    span = [(segment.start, segment.end)]
    down_s = total(intersect(span, counted[0]))
    maintenance_s = total(intersect(span, excluded[0]))
    if down_s == 0 and maintenance_s == 0:
        return None
    # Before the look-back nothing is known about exclusions: such an outage is taken to
    # have begun (and been counted) in an earlier period.
    seen_whole = segment.start >= scope.first
    return Outage(device, segment.cause, segment.root, segment.start,
                  segment.end if segment.end < scope.end else None, down_s, maintenance_s,
                  seen_whole and _begins(span, counted[1], scope.start, stop),
                  seen_whole and _begins(span, excluded[1], scope.start, stop))


def _begins(span: Spans, spans: Spans, start: float, stop: float) -> bool:
    inside = intersect(span, spans)
    return bool(inside) and start <= inside[0][0] < stop
