"""A monthly report as one self-contained HTML page: inline styles and an inline SVG chart,
nothing fetched from anywhere, readable by the customer it is for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bridge.reports.render import cell, local_time

CHART_W, CHART_H, MARGIN_L, MARGIN_B = 720, 220, 56, 28


@dataclass(frozen=True)
class Bar:
    """One day's bar of the chart."""

    x: float
    y: float
    width: float
    height: float
    label: str  # day of month
    title: str  # tooltip
    below_target: bool


@dataclass(frozen=True)
class Chart:
    """Daily availability as bars over a floor that makes small differences visible."""

    bars: list[Bar]
    floor_pct: float
    target_y: float | None
    width: int = CHART_W
    height: int = CHART_H
    left: int = MARGIN_L
    bottom: int = CHART_H - MARGIN_B


def chart(days: list[dict[str, Any]], target_pct: float | None) -> Chart:
    """Bars for every day with counted time; the floor sits below the lowest day and target."""
    known = [d for d in days if d["availability_pct"] is not None]
    lowest = min([d["availability_pct"] for d in known] + ([target_pct] if target_pct else []),
                 default=100.0)
    floor = max(0.0, min(99.0, lowest - max(0.5, (100 - lowest) * 0.25)))
    plot_h = CHART_H - MARGIN_B - 10
    slot = (CHART_W - MARGIN_L - 10) / max(len(days), 1)

    def y_of(pct: float) -> float:
        return CHART_H - MARGIN_B - plot_h * (max(pct, floor) - floor) / (100 - floor)

    bars = []
    for i, day in enumerate(days):
        pct = day["availability_pct"]
        if pct is None:
            continue
        top = y_of(pct)
        bars.append(Bar(MARGIN_L + i * slot + slot * 0.15, top, slot * 0.7,
                        CHART_H - MARGIN_B - top, str(date.fromisoformat(day["date"]).day),
                        f"{day['date']}: {pct:g} %, {day['downtime_minutes']:g} min down",
                        target_pct is not None and pct < target_pct))
    return Chart(bars, round(floor, 2), y_of(target_pct) if target_pct is not None else None)


def as_html(report: dict[str, Any]) -> str:
    """The report as a page."""
    environment = Environment(loader=PackageLoader("bridge.reports", "templates"),
                              autoescape=select_autoescape(["html"]), trim_blocks=True,
                              lstrip_blocks=True)
    environment.filters["cell"] = cell
    environment.filters["local"] = lambda text: local_time(text, report["timezone"])
    page = environment.get_template("report.html")
    return page.render(r=report, chart=chart(report["days"], report["availability_target_pct"]))
