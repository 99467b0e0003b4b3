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
               "outages_parent", "outages_maintenance", "mttr_minutes", "mtbf_hours")


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


def _outage_counts(figures: dict[str, Any]) -> str:
    counts = figures["outages"]
    return f"{counts['own']}/{counts['parent']}/{counts['maintenance']}"


def as_table(report: dict[str, Any]) -> str:
    """The report for a terminal."""
    zone, summary = report["timezone"], report["summary"]
    target = report["availability_target_pct"]
    period = report["period"]
    lines = [
        f"Availability report: {report['customer_name']} ({report['customer']}), "
        f"{report['month']}, times in {zone}",
        f"Period: {local_time(period['start'], zone)} to {local_time(period['end'], zone)}"
        + ("" if period["complete"] else f" (so far: until {local_time(period['until'], zone)})"),
        f"Availability: {cell(summary['availability_pct'])} %"
        + (f" (target {target:g} %, {'met' if summary['target_met'] else 'NOT met'})"
           if target is not None and summary["target_met"] is not None else ""),
        f"Downtime: {cell(summary['downtime_minutes'])} min (own "
        f"{cell(summary['own_downtime_minutes'])}, parent "
        f"{cell(summary['parent_downtime_minutes'])}); maintenance excluded "
        f"{cell(summary['maintenance_excluded_minutes'])} min",
        "",
    ]
    header = ("DEVICE", "AVAILABILITY_%", "TARGET_MET", "DOWNTIME_MIN", "PARENT_MIN",
              "MAINT_EXCL_MIN", "OUTAGES_OWN/PARENT/MAINT", "MTTR_MIN", "MTBF_H")
    rows = [[d["device"], cell(d["availability_pct"]), cell(d["target_met"]),
             cell(d["downtime_minutes"]), cell(d["parent_downtime_minutes"]),
             cell(d["maintenance_excluded_minutes"]), _outage_counts(d),
             cell(d["mttr_minutes"]), cell(d["mtbf_hours"])] for d in report["devices"]]
    lines += _table(header, rows)
    lines += ["", f"Outages ({len(report['outages'])}):"]
    outage_header = ("STARTED", "ENDED", "DEVICE", "CAUSE", "DOWNTIME_MIN", "MAINT_EXCL_MIN")
    rows = [[local_time(o["started_at"], zone), local_time(o["ended_at"], zone), o["device"],
             o["cause"] + (f" ({o['root']})" if o["root"] else ""),
             cell(o["downtime_minutes"]), cell(o["maintenance_excluded_minutes"])]
            for o in report["outages"]]
    lines += _table(outage_header, rows) if rows else ["  none"]
    if report["tickets"]:
        lines += ["", f"Tickets ({len(report['tickets'])}):"]
        keys = list(report["tickets"][0])
        lines += _table([k.upper() for k in keys],
                        [[cell(t.get(k)) for k in keys] for t in report["tickets"]])
    return "\n".join(lines) + "\n"


def as_csv(report: dict[str, Any]) -> str:
    """One row per device, then the customer's total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, figures in [*((d["device"], d) for d in report["devices"]),
                          ("TOTAL", report["summary"])]:
        counts = figures["outages"]
        writer.writerow([report["customer"], report["month"], name,
                         figures["availability_pct"], report["availability_target_pct"],
                         figures["target_met"], figures["counted_minutes"],
                         figures["downtime_minutes"], figures["own_downtime_minutes"],
                         figures["parent_downtime_minutes"],
                         figures["maintenance_excluded_minutes"], counts["own"],
                         counts["parent"], counts["maintenance"], figures["mttr_minutes"],
                         figures["mtbf_hours"]])
    return out.getvalue()
