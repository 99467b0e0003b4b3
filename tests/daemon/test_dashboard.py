"""deploy/grafana-dashboard.json as Grafana reads it: one valid document on one data source,
panels that tile the grid without overlapping, customer, device and interface pickers that
every per-device panel follows, and tiles that turn red on trouble. (tests/daemon/test_prometheus.py
runs every panel query against a real Prometheus.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import REPO

DASHBOARD = json.loads((REPO / "deploy" / "grafana-dashboard.json").read_text())
PANELS: list[dict[str, Any]] = [*DASHBOARD["panels"], *(
    nested for p in DASHBOARD["panels"] for nested in p.get("panels") or [])]
VARIABLES = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
GRID_WIDTH = 24
# what Grafana colours a tile by when the JSON sets no thresholds: green, red from 80
GRAFANA_DEFAULT_THRESHOLDS = {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                            {"color": "red", "value": 80}]}
# the series with a device label (the metrics table in docs/operations.md)
PER_DEVICE = re.compile(r"\b(bridge_(?:probe_(?:success|warning|rtt_seconds|loss_ratio|"
                        r"jitter_seconds|empty_column|value)|check_down|check_attempts|"
                        r"availability_ratio|interface_[a-z_]+))\{([^}]*)\}")


def panel(title: str) -> dict[str, Any]:
    [found] = [p for p in PANELS if p["title"] == title]
    return found


def test_the_dashboard_is_one_valid_grafana_document() -> None:
    assert (DASHBOARD["uid"], DASHBOARD["schemaVersion"]) == ("bridge-overview", 39)
    ids = [p["id"] for p in PANELS]
    assert len(ids) == len(set(ids))
    # one data source, picked at import: the `datasource` variable, on panels and queries
    assert VARIABLES["datasource"]["type"] == "datasource"
    assert VARIABLES["datasource"]["query"] == "prometheus"
    for p in PANELS:
        if p["type"] != "row":
            assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
            assert p["targets"], p["title"]
        for target in p.get("targets") or []:
            assert target["datasource"]["uid"] == "${datasource}", p["title"]
            assert re.fullmatch(r"[A-Z]", target["refId"]), p["title"]


def test_the_panels_tile_the_grid_without_overlapping() -> None:
    taken: dict[tuple[int, int], str] = {}
    for p in PANELS:
        grid = p["gridPos"]
        assert min(grid["w"], grid["h"], grid["x"] + 1) > 0, p["title"]
        assert grid["x"] + grid["w"] <= GRID_WIDTH, p["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, (p["title"], "overlaps", taken[(x, y)])
                taken[(x, y)] = p["title"]


@pytest.mark.parametrize(("name", "query"), [
    ("customer", "label_values(bridge_probe_success, customer)"),
    ("device", 'label_values(bridge_probe_success{customer=~"$customer"}, device)'),
    ("interface", 'label_values(bridge_interface_up{customer=~"$customer",device=~"$device"}, '
                  "interface)"),
])
def test_the_pickers_offer_what_prometheus_has_several_at_once_or_all(name: str,
                                                                       query: str) -> None:
    picker = VARIABLES[name]
    assert (picker["type"], picker["definition"], picker["query"]["query"]) == (
        "query", query, query)
    assert (picker["multi"], picker["includeAll"], picker["allValue"]) == (True, True, ".*")
    assert picker["datasource"]["uid"] == "${datasource}"


def test_every_panel_over_device_series_follows_the_pickers() -> None:
    followed = 0
    for p in PANELS:
        for target in p.get("targets") or []:
            for name, selector in PER_DEVICE.findall(target["expr"]):
                assert 'customer=~"$customer"' in selector, (p["title"], name)
                assert 'device=~"$device"' in selector, (p["title"], name)
                if name.startswith("bridge_interface_"):
                    assert 'interface=~"$interface"' in selector, (p["title"], name)
                followed += 1
    assert followed >= 16


def shown(title: str, value: float) -> tuple[str | None, str]:
    """The text (None: the number) and colour a stat tile shows for `value`, as Grafana
    picks them: a value mapping's, else the colour of the highest threshold reached."""
    tile = panel(title)
    assert tile["type"] == "stat"
    # unset, Grafana colours the value by thresholds
    assert tile["options"].get("colorMode", "value") in {"background", "value"}, title
    defaults = tile["fieldConfig"]["defaults"]
    assert defaults.get("color", {"mode": "thresholds"})["mode"] == "thresholds", title
    for mapping in defaults.get("mappings") or []:
        if mapping["type"] == "value" and (hit := mapping["options"].get(f"{value:g}")):
            return hit["text"], hit["color"]
    steps = defaults.get("thresholds", GRAFANA_DEFAULT_THRESHOLDS)["steps"]
    return None, [s["color"] for s in steps if s["value"] is None or value >= s["value"]][-1]


@pytest.mark.parametrize(("title", "value", "expected"), [
    ("Monitoring gap", 1, ("BLIND", "red")),
    ("Monitoring gap", 0, ("seeing", "green")),
    ("Checks stalled", 1, ("STALLED", "red")),
    ("Checks stalled", 0, ("checking", "green")),
    ("Store writable", 0, ("FAILING", "red")),
    ("Store writable", 1, ("writable", "green")),
    ("Last reload succeeded", 0, ("FAILED", "red")),
    ("Last reload succeeded", 1, ("ok", "green")),
    ("Up", 0, ("DOWN", "red")),
    ("Up", 1, ("up", "green")),
    ("Dead letters (24 h)", 0, (None, "green")),
    ("Dead letters (24 h)", 1, (None, "orange")),
    ("Dead letters (24 h)", 25, (None, "red")),
    ("Checks down now", 0, (None, "green")),
    ("Checks down now", 3, (None, "red")),
    ("Tickets at risk of an SLA breach", 0, (None, "green")),
    ("Tickets at risk of an SLA breach", 2, (None, "orange")),
    ("Margin over the contract target ($window)", -0.0005, (None, "red")),
    ("Margin over the contract target ($window)", 0.0005, (None, "green")),
    ("Availability by customer ($window)", 0.95, (None, "red")),
    ("Availability by customer ($window)", 0.9995, (None, "green")),
])
def test_a_tile_shows_trouble_in_red_and_health_in_green(
    title: str, value: float, expected: tuple[str | None, str],
) -> None:
    assert shown(title, value) == expected


def test_every_stat_tile_sets_its_own_thresholds() -> None:
    """Grafana's default (green, red from 80) would show a 0/1 state always green."""
    tiles = [p for p in PANELS if p["type"] == "stat"]
    assert len(tiles) >= 12
    for tile in tiles:
        assert tile["fieldConfig"]["defaults"]["thresholds"]["steps"][0]["value"] is None, \
            tile["title"]
