"""Every device over a short slice of time, from where its checks stood when the slice began:
what the edges of a rolling window cost as they move, in proportion to what changed.

An `Edge` holds every check's last hard change before an instant and moves forward by the
changes in between; a slice is measured from one, reading only the changes inside it (and a
little after: a parent's failure counts from up to `parent_lead_s` before it began; and a
parent that recovered up to a check interval before it still decides whose its children's
down time is, so the edge remembers what a check was before its last change). Devices
with nothing happening in the slice (every check up at its start, no change, no maintenance
window) count their customer's covered time, as they do in a computation from scratch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bridge.availability.inputs import Inventory, histories
from bridge.core.availability import Measured, Scope, Tally, covered_time, measure_parts
from bridge.core.outages import StatusChange
from bridge.core.spans import Span, epoch, moment
from bridge.core.state import Status
from bridge.store import Connection
from bridge.store.history import Change, load_gaps, load_history, load_windows, up_since
from bridge.store.maintenance import as_rule

Check = tuple[str, str]  # device, probe


@dataclass
class Edge:
    """Every check's last hard change before `at`, an instant that only moves forward;
    `unsure` holds the checks of the inventory not up then (down, unknown, never seen);
    `before` the status before the last change, for changes in the recheck before `at`.
    Checks are held as the inventory's keys (`Inventory.checks`), if it has them."""

    at: float
    last: dict[Check, StatusChange]
    unsure: set[Check]
    before: dict[Check, Status] = field(default_factory=dict)
    keys: Mapping[Check, Check] = field(default_factory=dict)

    @classmethod
    def read(cls, connection: Connection, inventory: Inventory, at: datetime) -> Edge:
        """Where every check stood at `at`, as a computation from scratch reads it."""
        start, keys = epoch(at), inventory.checks
        last: dict[Check, StatusChange] = dict.fromkeys(
            (keys.get(check, check) for check in up_since(connection, at)), (start, Status.UP))
        before: dict[Check, Status] = {}
        for device, checks in load_history(connection, at - timedelta(
                seconds=inventory.recheck_s), at, changed_only=True).items():
            for probe, changes in checks.items():
                key = keys.get((device, probe), (device, probe))
                last[key] = changes[-1]
                if len(changes) > 1:
                    before[key] = changes[-2][1]
        unsure = {check for check in keys if last.get(check, _NEVER)[1] != Status.UP}
        return cls(start, last, unsure, before, keys)

    def advance(self, to: float, changes: Iterable[Change]) -> None:
        """Move on to `to`, given (at least) the changes in between, oldest first."""
        for device, probe, at, status in changes:
            if self.at <= at < to:
                check = self.keys.get((device, probe), (device, probe))
                if check in self.last:
                    self.before[check] = self.last[check][1]
                self.last[check] = (at, status)
                if status == Status.UP:
                    self.unsure.discard(check)
                else:
                    self.unsure.add(check)
        self.at = to


_NEVER: StatusChange = (0.0, Status.UNKNOWN)


@dataclass(frozen=True)
class Slice:
    """Every device over one slice: those with something happening in it measured, by name;
    what each of the others counts (each of its checks too), by customer."""

    measured: Mapping[str, Measured]
    covered: Mapping[str, Tally]


def measure_slice(connection: Connection, inventory: Inventory, edge: Edge,
                  changes: Sequence[Change], part: Span, end: float, now: datetime) -> Slice:
    """Every device over `part` ([the edge, stop)) as a timeline up to `end` (at or after
    stop) sees it, given (at least) the changes in [the edge, end), oldest first."""
    start, stop = part
    assert start == edge.at, "a slice begins at its edge"
    begin, until = moment(start), moment(end)
    config = inventory.config
    rules = (*config.maintenance, *(as_rule(r) for r in load_windows(connection, begin, until)))
    scope = Scope(start, end, load_gaps(connection, begin, until, now),
                  inventory.coverage_spans(config.customers, begin, until), start)
    inside: dict[Check, list[StatusChange]] = defaultdict(list)
    for device, probe, at, status in changes:
        if start <= at < end:
            inside[(device, probe)].append((at, status))
    # Checks back up shortly before the slice after being down: their recovery may still
    # make a child's down time in it the parent's. Their down time before is not counted
    # here: only that it ended then matters.
    recovered = {check: at for check, (at, status) in edge.last.items()
                 if status == Status.UP and at > start - inventory.recheck_s
                 and edge.before.get(check) == Status.DOWN}
    moving = ({device for device, _ in inside} | {device for device, _ in edge.unsure}
              | {device for device, _ in recovered})
    for rule in rules:
        if rule.windows(begin, until):
            moving.update(name for name, place in inventory.places.items()
                          if rule.covers(name, place.tags, place.customer))

    def history(device: str, probe: str) -> list[StatusChange]:
        opening = edge.last.get((device, probe))
        down: list[StatusChange] = ([(recovered[(device, probe)] - 1.0, Status.DOWN)]
                                    if (device, probe) in recovered else [])
        return down + ([] if opening is None else [opening]) + inside.get((device, probe), [])

    ordered = sorted((d for d in moving if d in inventory.places), key=inventory.order.__getitem__)
    found = measure_parts(histories(inventory, ordered, history, rules, begin, until), scope,
                          [part])
    covered = {customer: covered_time(replace(scope, end=stop), customer)
               for customer in config.customers}
    return Slice({name: parts[0] for name, parts in found.items()}, covered)
