"""A monthly report as one self-contained HTML page: inline styles and an inline SVG chart,
nothing fetched from anywhere, readable by the customer it is for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup

from bridge.availability.render import (
    DEVICE_COLUMNS,
    device_cells,
    outage_cause,
    ticket_cells,
    ticket_header,
)
from bridge.availability.text import (
    duration,
    hours_text,
    local_time,
    minutes,
    number,
    pct,
    reason_text,
    verdict,
    words_of,
)
from bridge.availability.words import Words, words_for

CHART_W, CHART_H, MARGIN_L, MARGIN_B, MARGIN_T = 960, 260, 96, 40, 14
# The y axis runs from a round floor to 100 %: (floor, gridline step, label decimals). The
# highest floor is taken under which the lowest day (or the target) still fills a quarter of
# the axis: a day at 51 % is a half-full bar on an axis from 0, not a sliver above 50 %.
AXES = ((99.9, 0.02, 2), (99.8, 0.05, 2), (99.5, 0.1, 1), (99.0, 0.2, 1), (98.0, 0.5, 1),
        (95.0, 1.0, 0), (90.0, 2.0, 0), (80.0, 5.0, 0), (50.0, 10.0, 0), (0.0, 20.0, 0))
LOWEST_SHARE = 0.25


@dataclass(frozen=True)
class Bar:
    """One day of the chart: a bar, or a mark for a day with no counted time."""

    x: float
    y: float
    width: float
    height: float
    label: str  # day of month
    title: str  # tooltip
    below_target: bool
    counted: bool


@dataclass(frozen=True)
class Gridline:
    """A labelled horizontal line of the y axis."""

    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Daily availability as bars on an axis from a round floor to 100 %, with gridlines."""

    bars: list[Bar]
    gridlines: list[Gridline]
    target_y: float | None
    width: int = CHART_W
    height: int = CHART_H
    left: int = MARGIN_L
    bottom: int = CHART_H - MARGIN_B


def axis(lowest_pct: float) -> tuple[float, float, int]:
    """The floor, gridline step and label decimals of the axis for a lowest value (a day or
    the target): its bar fills at least a quarter of the axis."""
    return next((a for a in AXES if lowest_pct - a[0] >= LOWEST_SHARE * (100 - a[0])),
                AXES[-1])


def chart(days: list[dict[str, Any]], target_pct: float | None,
          words: Words | None = None) -> Chart:
    """A bar for every day with counted time and a mark for the others, on an axis whose
    floor is a round number below the lowest day and the target."""
    known = [d["availability_pct"] for d in days if d["availability_pct"] is not None]
    lowest = min(known + ([target_pct] if target_pct is not None else []), default=0.0)
    floor, step, decimals = axis(lowest)
    words = words or words_for("en")
    bottom = CHART_H - MARGIN_B
    plot_h = bottom - MARGIN_T
    slot = (CHART_W - MARGIN_L - 10) / max(len(days), 1)

    def y_of(value: float) -> float:
        return bottom - plot_h * (max(value, floor) - floor) / (100 - floor)

    bars = []
    for i, day in enumerate(days):
        value = day["availability_pct"]
        label = str(date.fromisoformat(day["date"]).day)
        x, width = MARGIN_L + i * slot + slot * 0.15, slot * 0.7
        if value is None:
            bars.append(Bar(x, bottom - 2, width, 2, label,
                            f"{day['date']}: {words('nothing_counted')}", False, False))
            continue
        top = y_of(value)
        bars.append(Bar(x, top, width, bottom - top, label,
                        f"{day['date']}: {pct(value, words)}{words('comma')}"
                        f"{minutes(day['downtime_minutes'], words)}",
                        target_pct is not None and value < target_pct, True))
    count = round((100 - floor) / step)
    gridlines = [Gridline(y_of(floor + i * step), pct(floor + i * step, words, decimals))
                 for i in range(count + 1)]
    return Chart(bars, gridlines, y_of(target_pct) if target_pct is not None else None)


def target_line(report: dict[str, Any], words: Words) -> str:
    """Under the headline figure: the target and whether it was met, or why nothing counted."""
    summary, target = report["summary"], report["availability_target_pct"]
    reason = reason_text(summary["not_counted_reason"], words)
    if reason is not None:
        return f"{words('not_counted')}: {reason}"
    if target is None or summary["target_met"] is None:
        return ""
    met = verdict(summary["target_met"], words)
    return f"{words('target_short')} {pct(target, words, 2)}: {met}"


def _environment() -> Environment:
    return Environment(loader=PackageLoader("bridge.availability", "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


@cache
def _chart_template() -> Template:
    return _environment().get_template("chart_svg.html")


def chart_svg(drawn: Chart, words: Words) -> Markup:
    """The report's daily chart as SVG markup, for a page of its own (the portal's): the
    same drawing as the report's, coloured by the page's stylesheet (classes `bar`, `low`,
    `none`, `grid`)."""
    return Markup(_chart_template().render(chart=drawn, w=words))


def axis_floor(drawn: Chart, words: Words) -> str:
    """The lowest value of the chart's axis, as its caption says it."""
    return drawn.gridlines[0].label if drawn.gridlines else pct(0, words, 0)


def as_html(report: dict[str, Any]) -> str:
    """The report as a page, in the report's language, under the provider's name."""
    words = words_of(report)
    zone = report["timezone"]
    environment = _environment()
    environment.filters.update(
        local=lambda text: words.ltr(local_time(text, zone)), ltr=words.ltr,
        minutes=lambda v: minutes(v, words),
        pct=lambda v, decimals=3: pct(v, words, decimals),
        hours=lambda coverage: hours_text(coverage, words))
    drawn = chart(report["days"], report["availability_target_pct"], words)
    floor = axis_floor(drawn, words)
    page = environment.get_template("report.html")
    return page.render(
        r=report, w=words, chart=drawn, axis_floor=floor,
        provider=report.get("provider") or {},
        target_line=target_line(report, words),
        device_columns=[words(c) for c in DEVICE_COLUMNS],
        devices=[(d, device_cells(d, words)) for d in report["devices"]],
        cause=lambda o: outage_cause(o, words), ticket_header=ticket_header(words),
        tickets=[ticket_cells(t, zone, words) for t in report["tickets"]],
        number=lambda v, decimals: number(v, decimals, words),
        duration=lambda s: duration(s, words))
