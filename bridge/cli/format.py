"""How the API client verbs print: aligned tables, and times in the zone the user picked."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.core.instants import RANGE_TEXT
from bridge.core.wall_clock import instant_of, local_text

UTC_ZONE = ZoneInfo("UTC")
_RELATIVE = re.compile(r"^\+?(\d+(?:\.\d+)?)([mhd])$")
_UNITS_S = {"m": 60, "h": 3600, "d": 86400}


def zone(text: str) -> ZoneInfo:
    """An IANA time zone name (argparse type), e.g. Europe/Helsinki."""
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r}; give an IANA name such as Europe/Helsinki") from None


def shown(iso: str | None, in_zone: ZoneInfo) -> str:
    """An API time as the user reads it: local to `in_zone`, with its offset; '-' if none,
    and as sent if it is not a time (a listing never fails on one value)."""
    if not iso:
        return "-"
    try:
        return local_text(datetime.fromisoformat(iso), in_zone)
    except (ValueError, TypeError):
        return str(iso)


def entered(text: str, in_zone: ZoneInfo, since: str | None = None) -> str:
    """A time the user typed, for the API: ISO 8601 with a zone as given, `+90m` / `+4h` /
    `+2d` from `since` (an API time, e.g. a window's start) or else from now, or a local time
    in `in_zone` (a time the clocks skip is the jump, a repeated one its first occurrence,
    as for maintenance windows)."""
    match = _RELATIVE.match(text.strip())
    try:
        if match:
            base = datetime.fromisoformat(since) if since else datetime.now(UTC)
            at = base + timedelta(seconds=float(match[1]) * _UNITS_S[match[2]])
            return at.replace(microsecond=0).isoformat()
        local = datetime.fromisoformat(text)
        if local.tzinfo is not None:
            return local.isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time (2026-05-04T14:00, or with an offset: "
            f"2026-05-04T14:00+03:00) or +90m / +4h / +2d, got {text!r}") from None
    except OverflowError:  # +99999999d
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: times go {RANGE_TEXT}") from None
    try:
        return instant_of(local, in_zone).astimezone(UTC).isoformat()
    except OverflowError:  # no UTC for it: as typed, with the zone's offset, for the API to refuse
        return local.replace(tzinfo=in_zone).isoformat()


def minutes(seconds: float) -> str:
    """Coverage seconds as minutes, to the second: '30 min', '12.5 min'."""
    return f"{round(seconds / 60, 2):g} min"


def sla_verdict(outcome: dict[str, Any]) -> str:
    """One SLA clock for people: met or breached, and by how much, of its target."""
    spent = f"({round(outcome['elapsed_s'] / 60, 2):g} of {minutes(outcome['target_s'])})"
    margin = abs(outcome["margin_s"])
    if outcome["met"] is None:
        state = "paused" if outcome.get("paused") else "running"
        return f"{state}, {minutes(margin)} left {spent}"
    if outcome["met"]:
        return f"met, {minutes(margin)} to spare {spent}"
    return f"{'breached' if outcome['stopped'] else 'breached, running'}, " \
           f"{minutes(margin)} over {spent}"


def print_table(headers: list[str], rows: Sequence[Sequence[str | None]]) -> None:
    """Columns padded to their widest cell; the last one is left ragged. A cell the API left
    null (what a customer may not see: a shared window's reason) is shown as '-'."""
    cells = [["-" if cell is None else cell for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    widths[-1] = 0
    print("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
