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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.availability.inputs import Inventory
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

MARGIN_S = 900.0  # recent time measured afresh on every refresh (twice this at most)


@dataclass
class _Window:
    """One rolling window between refreshes: its seconds up to `settled_end`, kept as what
    every device of a customer has in common plus what each device (and check) has beyond."""

    span_s: float
    edge: Edge  # where every check stood at the window's start
    first_days: dict[str, float]  # per customer: its first rolled-up day in the window
    common: dict[str, Tally]
    own: dict[str, Tally]
    own_checks: dict[Check, Tally]

    def add(self, inventory: Inventory, part: Slice, sign: float,
            only_measured: bool = False) -> None:
        """Add a slice (sign 1) or take it off (sign -1); `only_measured`: what its measured
        devices have beyond their customer's covered time."""
        for customer, covered in part.covered.items() if not only_measured else ():
            self.common[customer] = self.common[customer] + _scaled(covered, sign)
        for name, measured in part.measured.items():
            covered = part.covered[inventory.places[name].customer]
            self.own[name] = self.own[name] + _scaled(measured.tally - covered, sign)
            for probe, tally in measured.checks.items():
                key = (name, probe)
                self.own_checks[key] = self.own_checks[key] + _scaled(tally - covered, sign)


def _scaled(tally: Tally, sign: float) -> Tally:
    return tally if sign > 0 else Tally() - tally


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
        result = measure_periods(connection, self.inventory.config, periods, now, checks=True,
                                 inventory=self.inventory, days=days)
        if not self._slides or any(end > settled_end for customer in self.inventory.config
                                   .customers for _, end in days.get(customer, ())):
            return None, result  # some rolled-up day ends in what would be fresh
        edge = Edge.read(connection, self.inventory, moment(settled_end))
        fresh = self._fresh(connection, edge, now)
        windows = {}
        for label, (start, _) in periods.items():
            first_days = {}  # the rolled-up days in the window all end before settled_end
            for customer in self.inventory.config.customers:
                inside = [a for a, _ in days.get(customer, ()) if a >= epoch(start)]
                if inside:
                    first_days[customer] = min(inside)
            window = windows[label] = _Window(
                t - epoch(start), Edge.read(connection, self.inventory, start), first_days,
                {c: Tally() - covered for c, covered in fresh.covered.items()},
                dict(result[label].devices), dict(result[label].checks))
            window.add(self.inventory, fresh, -1, only_measured=True)
        return _State(t, settled_end, edge, windows, watched), result

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
        """Each window: its settled seconds plus the fresh ones. Every device's are added up
        now (metrics read them all); every check's only when read (the API reads a few)."""
        customer_of = self._customer_of
        result = {}
        for label, window in state.windows.items():
            common = window.common
            base = {c: tally + fresh.covered[c] for c, tally in common.items()}
            devices = {name: own + base[customer_of[name]] for name, own in window.own.items()}
            for name, found in fresh.measured.items():  # the few with something happening
                devices[name] = window.own[name] + common[customer_of[name]] + found.tally
            checks = _CheckTallies(dict(window.own_checks), base, dict(common), fresh,
                                   customer_of)
            result[label] = WindowTallies(now - timedelta(seconds=window.span_s), now,
                                          devices, checks)
        return result


class _CheckTallies(Mapping[Check, Tally]):
    """A window's checks: settled seconds plus fresh ones, added up when read."""

    def __init__(self, own: dict[Check, Tally], base: Mapping[str, Tally],
                 common: Mapping[str, Tally], fresh: Slice,
                 customer_of: Mapping[str, str]) -> None:
        self._own, self._base, self._common = own, base, common
        self._fresh, self._customer_of = fresh, customer_of

    def __getitem__(self, key: Check) -> Tally:
        own = self._own[key]
        customer = self._customer_of[key[0]]
        found = self._fresh.measured.get(key[0])
        if found is None:
            return own + self._base[customer]
        return own + self._common[customer] + found.checks[key[1]]

    def __iter__(self) -> Iterator[Check]:
        return iter(self._own)

    def __len__(self) -> int:
        return len(self._own)
