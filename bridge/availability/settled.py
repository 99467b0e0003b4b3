"""What time already settled was measured from, beyond the config: the sliding windows
(sliding.py) read it again on every refresh, and if any of it changed they are computed
from scratch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.core.spans import Span, Spans, clip, from_datetimes, moment
from bridge.store import Connection
from bridge.store.history import count_changes, load_gaps, load_windows
from bridge.store.maintenance import as_rule
from bridge.store.rollups import rollups_mark

# name, devices, tags, customers, and its time in the watched stretch
ApiWindow = tuple[str, frozenset[str], frozenset[str], frozenset[str], tuple[Span, ...]]


@dataclass(frozen=True)
class Watched:
    """Over [since, until): monitoring gaps, API maintenance windows and how many hard
    changes are stored; and the rolled-up days' mark (they change what a window reads from
    the rollups)."""

    since: float
    until: float
    rollups: tuple[int, datetime | None]
    gaps: Spans
    windows: tuple[ApiWindow, ...]
    changes: int

    @classmethod
    def read(cls, connection: Connection, since: float, until: float,
             now: datetime) -> Watched:
        """As the store has it now (an open gap lasts until `now`)."""
        begin, end = moment(since), moment(until)
        windows = []
        for row in load_windows(connection, begin, end):
            rule = as_rule(row)
            spans = clip(from_datetimes((w.start, w.end) for w in rule.windows(begin, end)),
                         since, until)
            windows.append((rule.name, rule.devices, rule.tags, rule.customers, tuple(spans)))
        return cls(since, until, rollups_mark(connection),
                   clip(load_gaps(connection, begin, end, now), since, until),
                   tuple(sorted(windows, key=lambda w: w[0])),
                   count_changes(connection, begin, end))
