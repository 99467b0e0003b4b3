"""A monthly report (its JSON shape) as a table for people or CSV for spreadsheets, in the
report's language; CSV values stay machine-readable (only its headers are translated)."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from typing import Any

from bridge.availability.text import (
    duration,
    hours_text,
    local_time,
    minutes,
    pct,
    reason_text,
    verdict,
    words_of,
)
from bridge.availability.words import Words

CSV_COLUMNS = ("customer", "month", "device", "availability_pct", "target_pct", "target_met",
               "counted_minutes", "downtime_minutes", "own_downtime_minutes",
               "parent_downtime_minutes", "maintenance_excluded_minutes", "outages_own",
               "outages_parent", "outages_maintenance", "mttr_minutes", "mtbf_hours",
               "not_counted_reason", "coverage_calendar", "coverage_hours", "coverage_timezone",
               "covered_minutes")
# The device column of the customer's total row (a value, so the same in every language).
CSV_TOTAL = "TOTAL"
# The tickets section's columns, as people read them (the JSON keeps the field names).
TICKET_COLUMNS = ("ticket", "priority", "status", "device", "opened", "reaction", "resolution",
                  "breached")


def ticket_seconds(ticket: dict[str, Any], clock: str) -> tuple[int | None, int | None]:
    """A ticket's (taken, target) seconds on one clock: 'reaction' or 'resolution'."""
    if f"{clock}_s" in ticket:
        return ticket[f"{clock}_s"], ticket[f"{clock}_target_s"]
    taken, target = ticket.get(f"{clock}_min"), ticket.get(f"{clock}_target_min")
    return (None if taken is None else round(taken * 60),
            None if target is None else round(target * 60))


def ticket_header(words: Words) -> list[str]:
    """The tickets section's column headers."""
    return [f"{words(c)} / {words('target_short')}" if c in ("reaction", "resolution")
            else words(c) for c in TICKET_COLUMNS]


def ticket_cells(ticket: dict[str, Any], zone: str, words: Words) -> list[str]:
    """A ticket's row as the table and the page show it (see TICKET_COLUMNS)."""
    clocks = []
    for clock in ("reaction", "resolution"):
        taken, target = ticket_seconds(ticket, clock)
        clocks.append(f"{duration(taken, words)} / {duration(target, words)}")
    breached = words("comma").join(words(kind).lower()
                                   for kind in ticket["breached"].split(", ") if kind)
    return [ticket["id"], ticket["priority"], words.status(ticket["status"]),
            ticket["device"] or "-", words.ltr(local_time(ticket["opened"], zone)),
            *clocks, breached or words("no_breach")]


def display_width(text: str) -> int:
    """How many columns a terminal gives a cell: direction isolates around a date and the
    zero-width non-joiner inside Persian words take none."""
    return sum(1 for c in text if unicodedata.category(c) not in ("Cf", "Mn", "Me"))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(display_width(line[i]) for line in [header, *rows])
              for i in range(len(header))]
    return ["  ".join(c + " " * (w - display_width(c))
                      for c, w in zip(line, widths, strict=True)).rstrip()
            for line in [header, *rows]]


def headline(summary: dict[str, Any], target_pct: float | None, words: Words) -> str:
    """The customer's availability against the target, or why there is none."""
    reason = reason_text(summary["not_counted_reason"], words)
    if reason is not None:
        return f"{words('not_counted')}: {reason}"
    shown = pct(summary["availability_pct"], words)
    if target_pct is None or summary["target_met"] is None:
        return shown
    return (f"{shown} ({words('target_short')} {pct(target_pct, words, 2)}{words('comma')}"
            f"{verdict(summary['target_met'], words)})")


def device_cells(d: dict[str, Any], words: Words) -> list[str]:
    """A device's figures as the table and the page show them."""
    counts = d["outages"]
    mtbf = None if d["mtbf_hours"] is None else d["mtbf_hours"] * 3600
    return [pct(d["availability_pct"], words), verdict(d["target_met"], words),
            minutes(d["counted_minutes"], words), minutes(d["downtime_minutes"], words),
            minutes(d["parent_downtime_minutes"], words),
            minutes(d["maintenance_excluded_minutes"], words),
            f"{counts['own']} / {counts['parent']} / {counts['maintenance']}",
            minutes(d["mttr_minutes"], words), duration(mtbf, words)]


DEVICE_COLUMNS = ("availability", "target_short", "counted_time", "downtime", "behind_parent",
                  "maintenance_excluded", "outages_columns", "mttr", "mtbf")


def outage_cause(outage: dict[str, Any], words: Words) -> str:
    """Whose an outage was, as a customer reads it."""
    if outage["cause"] == "parent":
        return words("unreachable", root=outage["root"])
    return words("own_failure")


def as_table(report: dict[str, Any]) -> str:
    """The report for a terminal."""
    words = words_of(report)
    zone, summary, period = report["timezone"], report["summary"], report["period"]
    provider = report.get("provider", {}).get("name")
    covered = minutes(report["coverage"]["covered_minutes"], words)
    coverage = hours_text(report["coverage"], words)
    lines = [
        f"{words('title')}: {report['customer_name']} ({report['customer']})"
        + (f" — {words('prepared_by', provider=provider)}" if provider else ""),
        words("period", month=report["month"], start=local_time(period["start"], zone),
              end=local_time(period["end"], zone), zone=zone)
        + ("" if period["complete"]
           else f" ({words('so_far', until=local_time(period['until'], zone))})"),
        words("coverage" if period["complete"] else "coverage_so_far", hours=coverage,
              covered=covered),
        f"{words('availability')}: {headline(summary, report['availability_target_pct'], words)}",
        f"{words('downtime')}: {minutes(summary['downtime_minutes'], words)} ("
        + words("own_parent", own=minutes(summary["own_downtime_minutes"], words),
                parent=minutes(summary["parent_downtime_minutes"], words))
        + f"){words('semicolon')}{words('maintenance_excluded')}: "
        f"{minutes(summary['maintenance_excluded_minutes'], words)}",
        "",
    ]
    rows = [[d["device"], *device_cells(d, words)] for d in report["devices"]]
    lines += _table([words("device"), *(words(c) for c in DEVICE_COLUMNS)], rows)
    lines += [f"  {d['device']}: {words('not_counted')}{words('comma')}"
              f"{reason_text(d['not_counted_reason'], words)}" for d in report["devices"]
              if d["not_counted_reason"] not in (None, summary["not_counted_reason"])]
    lines += ["", f"{words('outages')} ({len(report['outages'])}):"]
    rows = [[local_time(o["started_at"], zone),
             local_time(o["ended_at"], zone) if o["ended_at"] else words("still_down"),
             o["device"], outage_cause(o, words), minutes(o["downtime_minutes"], words),
             minutes(o["maintenance_excluded_minutes"], words)] for o in report["outages"]]
    header = [words(k) for k in ("started", "ended", "device", "cause", "downtime",
                                 "maintenance_excluded")]
    lines += _table(header, rows) if rows else [f"  {words('no_outages')}"]
    lines += ["", f"{words('tickets')} ({len(report['tickets'])}): "
                  + words("tickets_note", hours=hours_text(report["sla_coverage"], words))]
    rows = [ticket_cells(t, zone, words) for t in report["tickets"]]
    lines += (_table(ticket_header(words), rows) if rows
              else [f"  {words('no_tickets')}"])
    return "\n".join(lines) + "\n"


def csv_cell(value: Any) -> Any:
    """A value as a spreadsheet reads it: true/false, not Python's True/False."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def as_csv(report: dict[str, Any]) -> str:
    """One row per device, then the customer's total; every row says which hours counted.
    Headers are in the report's language (English ones are the stable names); values are
    not, so the total row is marked TOTAL in every language for a program to find it."""
    words = words_of(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([words.csv_header(c) for c in CSV_COLUMNS])
    coverage = report["coverage"]
    hours = "; ".join(coverage["hours"])
    for name, figures in [*((d["device"], d) for d in report["devices"]),
                          (CSV_TOTAL, report["summary"])]:
        counts = figures["outages"]
        writer.writerow([csv_cell(v) for v in (
            report["customer"], report["month"], name, figures["availability_pct"],
            report["availability_target_pct"], figures["target_met"],
            figures["counted_minutes"], figures["downtime_minutes"],
            figures["own_downtime_minutes"], figures["parent_downtime_minutes"],
            figures["maintenance_excluded_minutes"], counts["own"], counts["parent"],
            counts["maintenance"], figures["mttr_minutes"], figures["mtbf_hours"],
            figures["not_counted_reason"], coverage["calendar"], hours, coverage["timezone"],
            coverage["covered_minutes"])])
    return out.getvalue()
