"""A real Prometheus (Debian's prometheus package) scrapes a running bridge on loopback, with
the shipped scrape job and alert rules, and PromQL returns the availability the history says;
every query of the shipped dashboard runs there, on a bridge that also polls a switch."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.kits.daemon import Bridge, wait_for
from tests.kits.prometheus import Prometheus
from tests.kits.seeded import seeded_deployment
from tests.kits.snmp_agents import Agent

# a switch whose traffic grows (tests/data/snmp/busy-switch.snmprec); port Gi1/0/3 is down,
# it has no UCD-SNMP load table to hold the threshold, and 3 interfaces (ifNumber)
SWITCH_PROBE = """
[probes.ports]
kind = "snmp"
interval_s = 2
timeout_s = 0.2
retries = 1
retry_interval_s = 0.3
max_attempts = 2

[probes.ports.interfaces]
rates = true

[[probes.ports.thresholds]]
oid = "laLoadInt"
critical = "> 400"

[[probes.ports.thresholds]]
oid = "ifNumber"
warning = "< 1"
"""


@pytest.fixture
def bridge_and_prometheus(tmp_path: Path, snmpsim: Agent) -> Any:
    root = tmp_path / "bridge"
    seeded = seeded_deployment(root, datetime.now(UTC))
    (root / "secrets" / "bsw.community").write_text("busy-switch\n")
    (root / "probes" / "snmp.toml").write_text(SWITCH_PROBE)
    with (root / "config" / "inventory.toml").open("a") as inventory:
        inventory.write(f'\n[devices.bsw]\ncustomer = "acme"\naddress = "127.0.0.1"\n'
                        f'probes = ["ports"]\nsnmp = {{ version = "2c", community = '
                        f'"file:../secrets/bsw.community", port = {snmpsim.port} }}\n')
    bridge = Bridge(seeded.config)
    try:
        (tmp_path / "prometheus").mkdir()
        prometheus = Prometheus(tmp_path / "prometheus", bridge.url.removeprefix("http://"))
        try:
            yield bridge, prometheus
        finally:
            prometheus.stop()
    finally:
        assert bridge.stop() == 0


def test_prometheus_scrapes_the_availability_the_history_says(
    bridge_and_prometheus: tuple[Bridge, Prometheus],
) -> None:
    _, prometheus = bridge_and_prometheus
    query = 'bridge_availability_ratio{job="bridge",device="gw",window="30d"}'
    [sample] = wait_for("the 30-day availability in Prometheus", lambda: prometheus.query(query),
                        timeout_s=60)
    # 6 hours down in the last 30 days, monitored all along (24/7 contract)
    assert float(sample["value"][1]) == pytest.approx(1 - 6 / 720, abs=1e-9)
    assert sample["metric"]["customer"] == "acme"
    [up] = prometheus.query('up{job="bridge"}')
    assert up["value"][1] == "1"
    # the alert rule's own expression, on live data: acme (99.17 %) is below its 99.9 %
    below = prometheus.query('bridge_customer_availability_ratio{window="30d"} < on (instance, '
                             "customer) group_left bridge_availability_target_ratio")
    assert [s["metric"]["customer"] for s in below] == ["acme"]
    groups = prometheus.get("/api/v1/rules")["data"]["groups"]
    assert {g["name"] for g in groups} == {"bridge-health", "bridge-sla", "bridge-notifications"}
    assert all(r["health"] == "ok" for g in groups for r in g["rules"]), groups


DASHBOARD = json.loads((REPO / "deploy" / "grafana-dashboard.json").read_text())
VARIABLE = re.compile(r"\$(?:(\w+)|\{(\w+)\})")
# the pickers as Grafana fills a multi-value variable: one value, several (a regex), All
ONE = {"customer": "acme", "device": "bsw", "interface": "Gi1/0/1", "window": "30d"}
SEVERAL = {"customer": "(acme|other)", "device": "(bsw|gw)", "interface": "(Gi1/0/1|Gi1/0/3)",
           "window": "1h"}
ALL = {"customer": ".*", "device": ".*", "interface": ".*", "window": "7d"}
# panels with nothing to show on this deployment, and why
QUIET = {
    "Packet loss (worst checks)": "it shows only loss, and loopback loses nothing",
    "Reaction and resolution time p90 by priority": "no ticket was assigned or resolved",
    "SLA breaches and warnings (per day)": "no SLA was breached or warned about",
}


def fill(expr: str, values: dict[str, str]) -> str:
    """`expr` with its template variables as Grafana fills them."""
    def value(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        assert name in values, f"${name} is no variable of the dashboard: {expr}"
        return values[name]
    return VARIABLE.sub(value, expr)


def run(prometheus: Prometheus, values: dict[str, str]) -> dict[str, list[Any]]:
    """Every panel query with `values` filled in, sent as Grafana sends it (an instant
    query for tables, a range query otherwise): the series each panel got."""
    answered: dict[str, list[Any]] = {}
    for panel in DASHBOARD["panels"]:
        for target in panel.get("targets") or []:
            expr = fill(target["expr"], values)
            got = prometheus.query(expr) if target.get("instant") else \
                prometheus.query_range(expr)  # a PromQL error fails in either
            answered.setdefault(panel["title"], []).extend(got)
    return answered


def offered(prometheus: Prometheus, variable: str, values: dict[str, str]) -> list[str]:
    """What a label_values(selector, label) picker offers, given the other pickers."""
    [picker] = [v for v in DASHBOARD["templating"]["list"] if v["name"] == variable]
    found = re.fullmatch(r"label_values\((.+), (\w+)\)", picker["definition"])
    assert found, picker
    selector, label = found.groups()
    answer = prometheus.get(f"/api/v1/label/{label}/values?"
                            + urllib.parse.urlencode({"match[]": fill(selector, values)}))
    values_: list[str] = answer["data"]
    return values_


def test_every_dashboard_query_runs_on_prometheus_and_every_panel_has_data(
    bridge_and_prometheus: tuple[Bridge, Prometheus],
) -> None:
    _, prometheus = bridge_and_prometheus
    wait_for("a scrape with availability, the switch's traffic rates and its down port",
             lambda: all(prometheus.query(q) for q in (
                 'bridge_customer_availability_ratio{window="30d"}',
                 'bridge_interface_errors_ratio{device="bsw"}',
                 'bridge_check_down{device="bsw"} == 1',
                 "rate(bridge_scheduler_lag_seconds_count[5m])")), timeout_s=60)
    assert offered(prometheus, "customer", ALL) == ["acme", "other"]  # the seeded customers
    assert offered(prometheus, "device", ONE) == ["bsw", "gw", "sw"]  # acme's devices
    assert offered(prometheus, "interface", ONE) == ["Gi1/0/1", "Gi1/0/2", "Gi1/0/3"]
    for values in (ONE, SEVERAL):
        run(prometheus, values)
    # every panel but the quiet ones has data once the daemon has measured a while (a busy
    # machine may take a few scrapes; a quiet panel may still show something, e.g. loss)
    def all_but_quiet_have_data() -> dict[str, list[Any]] | None:
        got = run(prometheus, ALL)
        return None if any(not series and t not in QUIET for t, series in got.items()) else got

    answered = wait_for("data in every panel but the quiet ones", all_but_quiet_have_data,
                        timeout_s=60)
    assert set(QUIET) <= set(answered)
    # what an operator reads there: the switch is down now, in the table's named columns
    rows = answered["Down now"]  # the check's down state and attempts, merged by labels
    assert {(r["metric"]["customer"], r["metric"]["device"], r["metric"]["probe"])
            for r in rows} == {("acme", "bsw", "ports")}
    down = rows[0]["metric"]
    [table] = [p for p in DASHBOARD["panels"] if p["title"] == "Down now"]
    renamed = table["transformations"][-1]["options"]["renameByName"]
    assert {"customer", "device", "probe"} <= set(renamed) <= set(down) | {"Value #B"}
    [port] = [row["metric"] for row in answered["Judged interfaces down now"]]
    assert (port["device"], port["interface"]) == ("bsw", "Gi1/0/3")
    [empty] = [row["metric"] for row in answered["Thresholds that judged nothing (empty columns)"]]
    [judged] = answered["Values SNMP thresholds judge (UPS minutes left, disks %, CPU …)"]
    assert (judged["metric"]["object"], judged["values"][-1][1]) == ("ifNumber", "3")
    assert (empty["device"], empty["probe"], empty["column"]) == ("bsw", "ports", "laLoadInt")
    # Gi1/0/1 carries 100 Mbit/s in (10 % of its 1G) and 500 out; 10 errors/s in 10,000 packets
    picked = run(prometheus, ONE)
    last = {(s["metric"]["__name__"], s["metric"]["direction"]): float(s["values"][-1][1])
            for title in ("Interface utilisation (in up, out down; the 20 busiest)",
                          "Interface errors and discards, % of packets (worst 20)")
            for s in picked[title]}
    assert last[("bridge_interface_utilisation_ratio", "in")] == pytest.approx(0.1, rel=0.2)
    assert last[("bridge_interface_utilisation_ratio", "out")] == pytest.approx(0.5, rel=0.2)
    assert last[("bridge_interface_errors_ratio", "in")] == pytest.approx(1e-3, rel=0.2)
    assert last[("bridge_interface_discards_ratio", "out")] == pytest.approx(1e-3, rel=0.2)
