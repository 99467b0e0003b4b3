"""How a report's figures read in its language: percentages, durations, times, hours.

The JSON keeps machine values (minutes, seconds, UTC instants); the table and the page show
them the way a customer reads them: local time to the minute, availability to three
decimals, durations in the two largest units that matter ("1 h 15 min", "10 min 1 s").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bridge.availability.words import Words, words_for

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def words_of(report: dict[str, Any]) -> Words:
    """The words a report is rendered in (English for one made before reports had a
    language)."""
    return words_for(report.get("language", "en"))


def local_time(text: str | None, zone: str) -> str:
    """An ISO instant as the customer's wall-clock time, to the minute."""
    if text is None:
        return "-"
    return datetime.fromisoformat(text).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def number(value: float, decimals: int, words: Words) -> str:
    """A number with the language's decimal sign."""
    return f"{value:.{decimals}f}".replace(".", words("decimal"))


def pct(value: float | None, words: Words, decimals: int = 3) -> str:
    """A percentage ('99.832 %', fa '99.832%'); '-' for none."""
    return "-" if value is None else words("percent", value=number(value, decimals, words))


def duration(seconds: float | None, words: Words) -> str:
    """A duration in its two largest units: '45 s', '10 min 1 s', '2 h 5 min', '3 d 4 h'."""
    if seconds is None:
        return "-"
    left = round(seconds)
    parts: list[tuple[int, str]] = []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count or parts:
            parts.append((count, unit))
    shown = [f"{count} {words(unit)}" for count, unit in parts[:2] if count]
    return " ".join(shown) or f"0 {words('minute')}"


def minutes(value: float | None, words: Words) -> str:
    """A duration given in minutes (as the JSON gives most), as `duration` reads it."""
    return duration(None if value is None else value * 60, words)


def hours_text(coverage: dict[str, Any], words: Words) -> str:
    """A calendar as one phrase: '24x7 (every hour of every day)', or
    'office: mon-fri 08:00-18:00 (Europe/Helsinki), less holidays 2026-12-24'."""
    if coverage["always"]:
        return f"{coverage['calendar']} ({words('every_hour')})"
    holidays = coverage.get("holidays") or []
    comma = words("comma")
    return (f"{coverage['calendar']}: {comma.join(coverage['hours'])} ({coverage['timezone']})"
            + (comma + words("less_holidays", days=comma.join(holidays)) if holidays else ""))


def reason_text(reason: str | None, words: Words) -> str | None:
    """Why nothing was counted, in the report's language (the JSON gives it in English)."""
    if reason is None:
        return None
    key = "no_coverage" if reason.startswith("no coverage") else "no_results"
    return words(key + ("_so_far" if "so far" in reason else ""))


def verdict(met: bool | None, words: Words) -> str:
    """Whether a target was met: 'met', 'NOT met', or '-' without a target."""
    return "-" if met is None else words("met") if met else words("not_met")
