"""Coverage calendars: which moments count on an SLA clock, exact across DST changes.

A calendar covers local wall-clock spans on weekdays ("mon-fri 08:00-18:00") in one time
zone, minus whole-day holidays. A moment is covered when the zone's wall clock shows a
covered time at that moment, so coverage is counted in real elapsed seconds: 08:00-18:00
is 10 h on every day, a span across a spring-forward change is an hour shorter and one
across a fall-back change an hour longer (the repeated hour counts twice, as it is lived
twice), and a full local day lasts 23 or 25 h when the clocks change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bridge.core.maintenance import WEEKDAYS, parse_days

Interval = tuple[datetime, datetime]

_DAY = timedelta(days=1)
_MINUTES_PER_DAY = 24 * 60
# Every UTC offset is within these bounds, so an instant whose wall time falls on a local
# day lies within [day 00:00 - 14 h, next day 00:00 + 12 h] read as UTC.
_MAX_EAST = timedelta(hours=14)
_MAX_WEST = timedelta(hours=12)
_END_OF_TIME = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)
_SPAN = re.compile(r"^\s*(\S+)\s+(\d{1,2}):(\d\d)\s*-\s*(\d{1,2}):(\d\d)\s*$")


@dataclass(frozen=True, order=True)
class Span:
    """Covered wall-clock time on one weekday: minutes [start_min, end_min) after midnight."""

    weekday: int  # 0 = Monday
    start_min: int
    end_min: int  # up to 1440 (24:00)

    def __post_init__(self) -> None:
        if not (0 <= self.weekday < 7 and 0 <= self.start_min < self.end_min <= _MINUTES_PER_DAY):
            raise ValueError(f"invalid span {self}")


def _spans_error(entry: str) -> ValueError:
    return ValueError(f"expected 'DAYS HH:MM-HH:MM' such as 'mon-fri 08:00-18:00' or "
                      f"'sat,sun 10:00-14:00', got {entry!r}")


def _parse_days(text: str, entry: str) -> list[int]:
    try:
        return parse_days(text)
    except ValueError:
        raise _spans_error(entry) from None


def parse_spans(entry: str) -> tuple[Span, ...]:
    """'mon-fri 08:00-18:00' -> one Span per day; raises ValueError saying what is expected."""
    m = _SPAN.match(entry)
    if m is None:
        raise _spans_error(entry)
    days = _parse_days(m.group(1), entry)
    start_h, start_m, end_h, end_m = (int(g) for g in m.groups()[1:])
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h * 60 + end_m > _MINUTES_PER_DAY:
        raise _spans_error(entry)
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if end <= start:
        raise ValueError(f"{entry!r}: the end must be after the start; a span may not cross "
                         "midnight (split it: 'mon 22:00-24:00' and 'tue 00:00-06:00')")
    return tuple(Span(day, start, end) for day in days)


@dataclass(frozen=True)
class Coverage:
    """When SLA clocks run: weekly wall-clock spans in a zone, minus holidays (local dates).

    Intervals are half-open [start, end) and returned as UTC-aware datetimes.
    """

    zone: ZoneInfo
    spans: tuple[Span, ...]
    holidays: frozenset[date] = frozenset()
    _by_weekday: tuple[tuple[Span, ...], ...] = field(init=False, repr=False, compare=False)
    # Asked on every SLA sum and due time (a storm's tickets ask thousands of times).
    _full: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.spans:
            raise ValueError("a calendar needs at least one covered span")
        by_day = tuple(_joined(sorted(s for s in self.spans if s.weekday == d)) for d in range(7))
        object.__setattr__(self, "_by_weekday", by_day)
        object.__setattr__(self, "_full", all(spans == (Span(day, 0, _MINUTES_PER_DAY),)
                                              for day, spans in enumerate(by_day)))

    @classmethod
    def always(cls) -> Coverage:
        """24x7: every moment is covered."""
        return cls(ZoneInfo("UTC"), tuple(Span(day, 0, _MINUTES_PER_DAY) for day in range(7)))

    def weekly_hours(self) -> tuple[str, ...]:
        """The covered hours as a person reads them: ('mon-fri 08:00-18:00', 'sat 09:00-13:00')."""
        hours: list[str] = []
        day = 0
        while day < 7:
            spans = self._by_weekday[day]
            last = day
            while last + 1 < 7 and _times(self._by_weekday[last + 1]) == _times(spans):
                last += 1
            days = WEEKDAYS[day] if last == day else f"{WEEKDAYS[day]}-{WEEKDAYS[last]}"
            hours += [f"{days} {_clock(s.start_min)}-{_clock(s.end_min)}" for s in spans]
            day = last + 1
        return tuple(hours)

    def is_always(self) -> bool:
        """Whether every moment is covered (full days all week, no holidays)."""
        return not self.holidays and self._full_week()

    def _full_week(self) -> bool:
        return self._full

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """The covered intervals within [start, end), in time order."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return []
        if self.is_always():
            return [(start, end)]
        found = []
        for covered_start, covered_end in self._covered_from(start):
            if covered_start >= end:
                break
            found.append((max(covered_start, start), min(covered_end, end)))
        return found

    def covered_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds of coverage in [start, end); 0 if end <= start."""
        return sum((e - s).total_seconds() for s, e in self.intervals(start, end))

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` of coverage have elapsed since `start`.

        Adding 0 gives `start` itself, covered or not.
        """
        start = _utc(start)
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")
        remaining = timedelta(seconds=seconds)
        if seconds == 0 or self.is_always():
            return start + remaining
        for covered_start, covered_end in self._covered_from(start):
            begin = max(covered_start, start)
            if remaining <= covered_end - begin:
                return begin + remaining
            remaining -= covered_end - begin
        raise AssertionError("unreachable: coverage repeats every week")

    def is_covered(self, at: datetime) -> bool:
        """Whether the moment `at` is covered."""
        return self.next_covered(at) == _utc(at)

    def next_covered(self, at: datetime) -> datetime:
        """The first covered moment at or after `at` (a close, 17:00, is not covered)."""
        at = _utc(at)
        if self.is_always():
            return at
        covered_start, _ = next(self._covered_from(at))
        return max(covered_start, at)

    def _covered_from(self, start: datetime) -> Iterator[Interval]:
        """Merged covered intervals that end after `start`, in time order, without end."""
        day = start.astimezone(self.zone).date() - _DAY
        # With every day covered, the last holiday begins coverage without end.
        endless_after = max(self.holidays) if self._full_week() else date.max
        pending: list[Interval] = []
        while True:
            pending = _merged(sorted(pending + self._day_intervals(day)))
            if day > endless_after:
                yield pending[0][0], _END_OF_TIME
                return
            day += _DAY
            # No later local day has a moment before this, so what ends earlier is final.
            horizon = datetime.combine(day, time(), UTC) - _MAX_EAST
            while pending and pending[0][1] < horizon:
                interval = pending.pop(0)
                if interval[1] > start:
                    yield interval

    def _day_intervals(self, day: date) -> list[Interval]:
        """The instants whose wall time falls in a span of local day `day`."""
        spans = self._by_weekday[day.weekday()]
        if not spans or day in self.holidays:
            return []
        midnight = datetime.combine(day, time(), UTC)  # the wall clock, read as if UTC
        found = []
        for piece_start, piece_end, offset in _offset_pieces(self.zone, day):
            for span in spans:
                begin = max(midnight + timedelta(minutes=span.start_min) - offset, piece_start)
                end = min(midnight + timedelta(minutes=span.end_min) - offset, piece_end)
                if begin < end:
                    found.append((begin, end))
        return found


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"expected a time-zone-aware datetime, got {at!r}")
    return at.astimezone(UTC)


def _times(spans: tuple[Span, ...]) -> list[tuple[int, int]]:
    return [(s.start_min, s.end_min) for s in spans]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _joined(spans: list[Span]) -> tuple[Span, ...]:
    """One weekday's spans with overlapping and touching ones joined."""
    out: list[Span] = []
    for span in spans:
        if out and span.start_min <= out[-1].end_min:
            last = out.pop()
            span = Span(span.weekday, last.start_min, max(last.end_min, span.end_min))
        out.append(span)
    return tuple(out)


def _merged(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in intervals:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _offset_at(zone: ZoneInfo, seconds: int) -> timedelta:
    offset = datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _offset_pieces(zone: ZoneInfo, day: date) -> list[tuple[datetime, datetime, timedelta]]:
    """Stretches of constant UTC offset covering every instant whose wall time is on `day`.

    Assumes at most one offset change in those 38 hours, as in every zone's real rules.
    """
    low = int((datetime.combine(day, time(), UTC) - _MAX_EAST).timestamp())
    high = int((datetime.combine(day + _DAY, time(), UTC) + _MAX_WEST).timestamp())
    before, after = _offset_at(zone, low), _offset_at(zone, high)
    low_at, high_at = datetime.fromtimestamp(low, UTC), datetime.fromtimestamp(high, UTC)
    if before == after:
        return [(low_at, high_at, before)]
    while high - low > 1:  # the change is at a whole second: bisect to it
        middle = (low + high) // 2
        if _offset_at(zone, middle) == before:
            low = middle
        else:
            high = middle
    change = datetime.fromtimestamp(high, UTC)
    return [(low_at, change, before), (change, high_at, after)]
