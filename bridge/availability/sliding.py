"""Rolling windows kept current by moving their edges, between computations from scratch.

A computation from scratch (windows.py) reads every device's history: about a second of
CPU at 10,000 devices. A minute later each window has moved by a minute: the slice that
left it at its start and the time that entered it at its end are all that changed. So
each window is kept as what it holds up to `settled_end`, a few minutes back, plus the
time since then (`fresh`), measured again on every refresh and shared by all windows.
The start moves by measuring the slice that left (slices.py: from where every check stood,
reading only the changes inside it) and taking it off; `settled_end` moves on now and then
by measuring the slice it passes and adding it. Recent time stays fresh because hard
changes are dated back (to the first failed check of a failure that became hard, or the
first success of a recovery), and a parent's failure counts from up to `parent_lead_s`
before it began: what is settled no longer changes.

Everything is computed from scratch again whenever that might not hold, so the numbers are
those windows.py gives (up to floating-point rounding): another config; days rolled up or
expired; a window's start within reach of its first rolled-up day (the day leaves the
window); or, in time already settled, a monitoring gap, an API maintenance window or a
stored hard change that was not there before (the changes stored there are counted on
every refresh). Each refresh reads one consistent snapshot of the store.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bridge.availability.inputs import Inventory
from bridge.availability.packed import PackedTallies, packed
from bridge.availability.settled import Watched
from bridge.availability.slices import Check, Edge, Slice, measure_slice
from bridge.availability.windows import (
    WindowTallies,
    days_rolled_for,
    measure_periods,
    rolling_periods,
)
from bridge.core.availability import Tally
from bridge.core.periods import ROLLING_WINDOWS
from bridge.core.spans import epoch, moment
from bridge.store import Connection, Engine
from bridge.store.db import snapshot
from bridge.store.history import changes_between

K = TypeVar("K", bound=Hashable)
MARGIN_S = 900.0  # recent time measured afresh on every refresh (twice this at most)


@dataclass
class _Window:
    """One rolling window between refreshes: its seconds up to `settled_end`, kept as what
    every device of a customer has in common plus what each device (and check) has beyond
    (as floats: packed.py)."""

    span_s: float
    edge: Edge  # where every check stood at the window's start
    first_days: dict[str, float]  # per customer: its first rolled-up day in the window
    common: dict[str, Tally]
    own: PackedTallies[str]
    own_checks: PackedTallies[Check]

    def add(self, inventory: Inventory, part: Slice, sign: float,
            only_measured: bool = False) -> None:
        """Add a slice (sign 1) or take it off (sign -1); `only_measured`: what its measured
        devices have beyond their customer's covered time."""
        for customer, covered in part.covered.items() if not only_measured else ():
            self.common[customer] = self.common[customer] + _scaled(covered, sign)
        own, own_index = self.own.floats, self.own.index
        checks, check_index = self.own_checks.floats, self.own_checks.index
        for name, measured in part.measured.items():
            covered = part.covered[inventory.places[name].customer]
            _shift(own, own_index[name], measured.tally, covered, sign)
            for probe, tally in measured.checks.items():
                _shift(checks, check_index[(name, probe)], tally, covered, sign)


def _scaled(tally: Tally, sign: float) -> Tally:
    return tally if sign > 0 else Tally() - tally


def _shift(floats: array[float], position: int, tally: Tally, covered: Tally,
           sign: float) -> None:
    """The packed tally at `position` plus (sign 1) or less (-1) what `tally` has beyond
    `covered`: `held + _scaled(tally - covered, sign)`, to the same floats."""
    at = position * 4
    counted_s, down_s = tally.counted_s - covered.counted_s, tally.down_s - covered.down_s
    parent_s = tally.parent_s - covered.parent_s
    maintenance_s = tally.maintenance_s - covered.maintenance_s
    if sign < 0:
        counted_s, down_s, parent_s, maintenance_s = (
            0.0 - counted_s, 0.0 - down_s, 0.0 - parent_s, 0.0 - maintenance_s)
    floats[at] += counted_s
    floats[at + 1] += down_s
    floats[at + 2] += parent_s
    floats[at + 3] += maintenance_s


@dataclass
class _State:
    now: float
    settled_end: float
    edge: Edge  # where every check stood at settled_end
    windows: dict[str, _Window]
    watched: Watched  # of [the earliest window start, settled_end + lead)


class SlidingWindows:
    """Every rolling window of one inventory's devices and checks, kept current."""

    def __init__(self, inventory: Inventory, margin_s: float = MARGIN_S) -> None:
        self.inventory = inventory
        # How far past an instant changes still decide it: a parent's failure counts from its
        # lead before it began, a child's recovery up to its recheck after its parent's.
        self._lead_s = max((max(p.parent_lead_s, p.recheck_s)
                            for p in inventory.places.values()), default=0.0)
        self._margin_s = margin_s
        # Every window must hold the fresh time, and the time a slice looks ahead.
        self._slides = 2 * margin_s + self._lead_s <= min(
            span.total_seconds() for span in ROLLING_WINDOWS.values())
        self._state: _State | None = None
        self._customer_of = {name: place.customer for name, place in inventory.places.items()}
        self.computed_from_scratch = 0

    def refresh(self, engine: Engine, now: datetime) -> dict[str, WindowTallies]:
        """Every rolling window up to `now`."""
        with snapshot(engine) as connection:  # one snapshot for every query
            state, self._state = self._state, None  # dropped if anything fails half-way
            if state is not None and self._may_slide(connection, state, now):
                result = self._slide(connection, state, now)
            else:
                state, result = self._compute(connection, now)
            self._state = state
            return result

    def _compute(self, connection: Connection, now: datetime
                 ) -> tuple[_State | None, dict[str, WindowTallies]]:
        """From scratch, and what sliding from here on needs (None: sliding cannot)."""
        self.computed_from_scratch += 1
        periods = rolling_periods(now)
        since = min(start for start, _ in periods.values())
        t, settled_end = epoch(now), epoch(now) - self._margin_s
        watched = Watched.read(connection, epoch(since), settled_end + self._lead_s, now)
        days = days_rolled_for(connection, periods)
        result = self._packed(measure_periods(connection, self.inventory.config, periods, now,
                                              checks=True, inventory=self.inventory,
                                              days=days))
        if not self._slides or any(end > settled_end for customer in self.inventory.config
                                   .customers for _, end in days.get(customer, ())):
            return None, result  # some rolled-up day ends in what would be fresh
        edge = Edge.read(connection, self.inventory, moment(settled_end))
        fresh = self._fresh(connection, edge, now)
        windows: dict[str, _Window] = {}
        for label, (start, _) in periods.items():
            first_days = {}  # the rolled-up days in the window all end before settled_end
            for customer in self.inventory.config.customers:
                inside = [a for a, _ in days.get(customer, ()) if a >= epoch(start)]
                if inside:
                    first_days[customer] = min(inside)
            window = windows[label] = _Window(
                t - epoch(start), Edge.read(connection, self.inventory, start), first_days,
                {c: Tally() - covered for c, covered in fresh.covered.items()},
                _copied(result[label].devices), _copied(result[label].checks))
            window.add(self.inventory, fresh, -1, only_measured=True)
        return _State(t, settled_end, edge, windows, watched), result

    def _packed(self, windows: dict[str, WindowTallies]) -> dict[str, WindowTallies]:
        """The windows' tallies as floats, the keys of windows alike shared, each check's
        key the inventory's (one tuple per check, however often it is held)."""
        result: dict[str, WindowTallies] = {}
        for label, window in windows.items():
            like = next(iter(result.values()), None)
            result[label] = WindowTallies(
                window.start, window.end,
                packed(window.devices, like.devices if like else None),
                packed(window.checks, like.checks if like else None, self.inventory.checks))
        return result

    def _may_slide(self, connection: Connection, state: _State, now: datetime) -> bool:
        """Whether nothing that decides the settled time has changed, and no window's start
        is within reach of its first rolled-up day."""
        t, watched = epoch(now), state.watched
        if t < state.now:
            return False
        for window in state.windows.values():
            if any(t - window.span_s + self._lead_s > first
                   for first in window.first_days.values()):
                return False
        return Watched.read(connection, watched.since, watched.until, now) == watched

    def _slide(self, connection: Connection, state: _State,
               now: datetime) -> dict[str, WindowTallies]:
        t, inventory = epoch(now), self.inventory
        for window in state.windows.values():  # what left each window at its start
            edge, start = window.edge, t - window.span_s
            if start > edge.at:
                window.add(inventory, self._slice(connection, edge, start, now), -1)
        if t - state.settled_end >= 2 * self._margin_s:  # settle what is no longer recent
            end = t - self._margin_s
            passed = self._slice(connection, state.edge, end, now)
            for window in state.windows.values():
                window.add(inventory, passed, 1)
            state.settled_end = end
            state.watched = Watched.read(connection, state.watched.since,
                                         end + self._lead_s, now)
        state.now = t
        return self._assemble(state, self._fresh(connection, state.edge, now), now)

    def _slice(self, connection: Connection, edge: Edge, stop: float, now: datetime) -> Slice:
        """[edge, stop) as a timeline reaching `lead` past it sees it; the edge moves on."""
        end = stop + self._lead_s
        changes = changes_between(connection, moment(edge.at), moment(end))
        part = measure_slice(connection, self.inventory, edge, changes, (edge.at, stop), end,
                             now)
        edge.advance(stop, changes)
        return part

    def _fresh(self, connection: Connection, edge: Edge, now: datetime) -> Slice:
        """[settled_end, now): the edge stays."""
        changes = changes_between(connection, moment(edge.at), now)
        return measure_slice(connection, self.inventory, edge, changes, (edge.at, epoch(now)),
                             epoch(now), now)

    def _assemble(self, state: _State, fresh: Slice,
                  now: datetime) -> dict[str, WindowTallies]:
        """Each window: its settled seconds plus the fresh ones, every device's and check's
        (they are all sent to the daemon)."""
        customer_of = self._customer_of
        result = {}
        for label, window in state.windows.items():
            common = window.common
            base = {c: tally + fresh.covered[c] for c, tally in common.items()}
            devices = _sums(window.own, base, customer_of.__getitem__)
            checks = _sums(window.own_checks, base, lambda check: customer_of[check[0]])
            for name, found in fresh.measured.items():  # the few with something happening
                at, shared = window.own.index[name], common[customer_of[name]]
                _put(devices, at, window.own[name] + shared + found.tally)
                for probe, tally in found.checks.items():
                    check = (name, probe)
                    _put(checks, window.own_checks.index[check],
                         window.own_checks[check] + shared + tally)
            result[label] = WindowTallies(now - timedelta(seconds=window.span_s), now,
                                          PackedTallies(window.own.order, window.own.index,
                                                        devices),
                                          PackedTallies(window.own_checks.order,
                                                        window.own_checks.index, checks))
        return result


def _copied(tallies: Mapping[K, Tally]) -> PackedTallies[K]:
    """Packed tallies with floats of their own (the window's to change), the keys shared."""
    assert isinstance(tallies, PackedTallies)
    return PackedTallies(tallies.order, tallies.index, array("d", tallies.floats))


def _sums(own: PackedTallies[K], base: Mapping[str, Tally],
          customer: Callable[[K], str]) -> array[float]:
    """Each held tally plus its customer's base, as floats in the same order."""
    held, floats, at = own.floats, array("d", bytes(len(own.floats) * 8)), 0
    for key in own.order:
        add = base[customer(key)]
        floats[at] = held[at] + add.counted_s
        floats[at + 1] = held[at + 1] + add.down_s
        floats[at + 2] = held[at + 2] + add.parent_s
        floats[at + 3] = held[at + 3] + add.maintenance_s
        at += 4
    return floats


def _put(floats: array[float], position: int, tally: Tally) -> None:
    at = position * 4
    floats[at:at + 4] = array("d", (tally.counted_s, tally.down_s, tally.parent_s,
                                    tally.maintenance_s))
