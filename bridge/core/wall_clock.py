"""Local wall-clock times as instants, with one rule for the times a DST change skips or repeats.

A start time the clocks skip (03:30 on a spring-forward day in Helsinki, where 03:00 jumps
to 04:00) is taken at the jump (04:00 local), as cron does and as someone who booked "03:30
for an hour" expects. A time the clocks repeat (03:30 on a fall-back day) is its first
occurrence. Weekly and cron maintenance windows both start by this rule.

Recurring schedules are computed in wall time (naive datetimes, where no time repeats),
so stepping from one start to the next always moves forward; instants come last.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_DAY = timedelta(days=1)


def offset_at(at: datetime, zone: ZoneInfo) -> timedelta:
    """The zone's UTC offset at an aware instant."""
    offset = at.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def instant_of(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a naive local wall time stands for: a skipped time at the jump,
    a repeated one at its first occurrence."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # fold=0: the earlier offset
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # Skipped: read with the offset after the change (fold=1) it is an instant before the
    # jump, with the one before (fold=0) one after it. Bisect to the jump, at a whole
    # second: at most 17 steps, as no change skips more than a day.
    before = wall.replace(tzinfo=zone, fold=0).utcoffset()
    low = int(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if offset_at(datetime.fromtimestamp(middle, UTC), zone) == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def walls_around(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Naive wall times [low, high) that hold every wall time whose instant is in [start, end).

    A wall time is its instant plus the offset then; the offsets within a day of either end
    bound it, as no zone changes its offset twice in a day or by a day or more.
    """
    def offsets(at: datetime) -> list[timedelta]:
        return [offset_at(at + k * _DAY, zone) for k in (-1, 0, 1)]

    low = start.astimezone(UTC).replace(tzinfo=None) + min(offsets(start))
    high = end.astimezone(UTC).replace(tzinfo=None) + max(offsets(end))
    return low, high


def local_text(at: datetime, zone: ZoneInfo | str, *, seconds: bool = False) -> str:
    """An instant as people read it, in text and mail: local to `zone`, with its offset,
    to the minute (`2026-12-06 11:30 +02:00`) or the second; never microseconds.

    The offset, not the zone's abbreviation: "EET" or "+0330" tells a reader less, and
    an offset is unambiguous on the hour the clocks repeat.

    An instant the zone cannot show (past year 9999 there, as a time stored before bridge
    refused such times may be) is shown as it is, in its own offset: text never fails."""
    try:
        local = at.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone))
    except OverflowError:
        local = at
    offset = local.strftime("%z")
    # The year by hand: strftime's %Y writes year 1 as "1" (glibc).
    return (f"{local.year:04d}-{local:%m-%d %H:%M{':%S' if seconds else ''}} "
            f"{offset[:3]}:{offset[3:]}")
