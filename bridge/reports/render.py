"""A monthly report (its JSON shape) as a table for people or CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

CSV_COLUMNS = ("customer", "month", "device", "availability_pct", "target_pct", "target_met",
               "counted_minutes", "downtime_minutes", "own_downtime_minutes",
               "parent_downtime_minutes", "maintenance_excluded_minutes", "outages_own",
               "outages_parent", "outages_maintenance", "mttr_minutes", "mtbf_hours",
               "not_counted_reason", "coverage_calendar", "coverage_hours", "coverage_timezone",
               "covered_minutes")
# The tickets section's columns, as people read them (the JSON keeps the field names).
TICKET_COLUMNS = (("id", "Ticket"), ("priority", "Priority"), ("status", "Status"),
                  ("device", "Device"), ("opened", "Opened"), ("reaction_min", "Reaction min"),
                  ("reaction_target_min", "Reaction target min"),
                  ("resolution_min", "Resolution min"),
                  ("resolution_target_min", "Resolution target min"),
                  ("breached", "SLA breached"))


def local_time(text: str | None, zone: str) -> str:
    """An ISO instant as the customer's wall-clock time, to the minute."""
    if text is None:
        return "-"
    return datetime.fromisoformat(text).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def cell(value: Any) -> str:
    """A value as a table shows it."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            for line in [header, *rows]]


def hours_text(coverage: dict[str, Any]) -> str:
    """A calendar as one phrase: '24x7 (every hour of every day)', or
    'office: mon-fri 08:00-18:00 (Europe/Helsinki), less holidays 2026-12-24'."""
    if coverage["always"]:
        return f"{coverage['calendar']} (every hour of every day)"
    holidays = coverage.get("holidays") or []
    return (f"{coverage['calendar']}: {', '.join(coverage['hours'])} ({coverage['timezone']})"
            + (f", less holidays {', '.join(holidays)}" if holidays else ""))


def ticket_cell(key: str, ticket: dict[str, Any], zone: str) -> str:
    """A ticket's value as the table and the page show it: local times, 'no' for no breach."""
    value = ticket.get(key)
    if key == "opened":
        return local_time(value, zone)
    if key == "breached":
        return value or "no"
    if key == "device":
        return value or "-"  # a ticket the customer reported without one
    return cell(value)


def _outage_counts(figures: dict[str, Any]) -> str:
    counts = figures["outages"]
    return f"{counts['own']}/{counts['parent']}/{counts['maintenance']}"


def _headline(summary: dict[str, Any], target_pct: float | None) -> str:
    """The customer's availability against the target, or why there is none."""
    if summary["not_counted_reason"] is not None:
        return f"not counted, {summary['not_counted_reason']}"
    if target_pct is None or summary["target_met"] is None:
        return f"{cell(summary['availability_pct'])} %"
    verdict = "met" if summary["target_met"] else "NOT met"
    return f"{cell(summary['availability_pct'])} % (target {target_pct:g} %, {verdict})"


def as_table(report: dict[str, Any]) -> str:
    """The report for a terminal."""
    zone, summary, coverage = report["timezone"], report["summary"], report["coverage"]
    target = report["availability_target_pct"]
    period = report["period"]
    so_far = "" if period["complete"] else " so far"
    lines = [
        f"Availability report: {report['customer_name']} ({report['customer']}), "
        f"{report['month']}, times in {zone}",
        f"Period: {local_time(period['start'], zone)} to {local_time(period['end'], zone)}"
        + ("" if period["complete"] else f" (so far: until {local_time(period['until'], zone)})"),
        f"Coverage hours: {hours_text(coverage)}; {cell(coverage['covered_minutes'])} min in "
        f"this period{so_far}",
        f"Availability: {_headline(summary, target)}",
        f"Downtime: {cell(summary['downtime_minutes'])} min (own "
        f"{cell(summary['own_downtime_minutes'])}, parent "
        f"{cell(summary['parent_downtime_minutes'])}); maintenance excluded "
        f"{cell(summary['maintenance_excluded_minutes'])} min",
        "",
    ]
    header = ("Device", "Availability %", "Target met", "Counted min", "Down min",
              "Behind parent min", "Maint. excl. min", "Outages own/parent/maint", "MTTR min",
              "MTBF h")
    rows = [[d["device"], cell(d["availability_pct"]), cell(d["target_met"]),
             cell(d["counted_minutes"]), cell(d["downtime_minutes"]),
             cell(d["parent_downtime_minutes"]), cell(d["maintenance_excluded_minutes"]),
             _outage_counts(d), cell(d["mttr_minutes"]), cell(d["mtbf_hours"])]
            for d in report["devices"]]
    lines += _table(header, rows)
    lines += [f"  {d['device']}: not counted, {d['not_counted_reason']}" for d in report["devices"]
              if d["not_counted_reason"] not in (None, summary["not_counted_reason"])]
    lines += ["", f"Outages ({len(report['outages'])}):"]
    outage_header = ("Started", "Ended", "Device", "Cause", "Down min", "Maint. excl. min")
    rows = [[local_time(o["started_at"], zone), local_time(o["ended_at"], zone), o["device"],
             o["cause"] + (f" ({o['root']})" if o["root"] else ""),
             cell(o["downtime_minutes"]), cell(o["maintenance_excluded_minutes"])]
            for o in report["outages"]]
    lines += _table(outage_header, rows) if rows else ["  none"]
    lines += ["", f"Tickets ({len(report['tickets'])}), reaction and resolution in minutes of "
                  f"the SLA hours, {hours_text(report['sla_coverage'])}:"]
    rows = [[ticket_cell(key, t, zone) for key, _ in TICKET_COLUMNS] for t in report["tickets"]]
    lines += _table([label for _, label in TICKET_COLUMNS], rows) if rows else ["  none"]
    return "\n".join(lines) + "\n"


def csv_cell(value: Any) -> Any:
    """A value as a spreadsheet reads it: true/false, not Python's True/False."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def as_csv(report: dict[str, Any]) -> str:
    """One row per device, then the customer's total; every row says which hours counted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    coverage = report["coverage"]
    hours = "; ".join(coverage["hours"])
    for name, figures in [*((d["device"], d) for d in report["devices"]),
                          ("TOTAL", report["summary"])]:
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
