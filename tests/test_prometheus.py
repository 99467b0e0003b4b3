"""A real Prometheus (Debian's prometheus package) scrapes a running bridge on loopback, with
the shipped scrape job and alert rules, and PromQL returns the availability the history says."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.daemon import Bridge, free_port, http_request, wait_for
from tests.seeded import seeded_deployment

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


class Prometheus:
    """A Prometheus server scraping one target, with its own config and data folder."""

    def __init__(self, root: Path, target: str) -> None:
        shipped = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())
        [job] = shipped["scrape_configs"]
        job.update(scrape_interval="1s", scrape_timeout="1s",
                   static_configs=[{"targets": [target]}])
        config = {"global": {"evaluation_interval": "1s"}, "scrape_configs": [job],
                  "rule_files": [str(REPO / "deploy" / "alerts.yml")]}
        (root / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = (root / "prometheus.log").open("w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={root / 'prometheus.yml'}",
             f"--storage.tsdb.path={root / 'data'}",
             f"--web.listen-address={self.url.removeprefix('http://')}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("Prometheus to be ready", lambda: self._ready(), timeout_s=60)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError("prometheus exited: " + Path(self.log.name).read_text())
        try:
            return http_request("GET", self.url + "/-/ready", {}, None)[0] == 200
        except OSError:
            return False

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query through the HTTP API."""
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture
def bridge_and_prometheus(tmp_path: Path) -> Any:
    seeded = seeded_deployment(tmp_path / "bridge", datetime.now(UTC))
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


def dashboard_queries(customer: str, window: str) -> list[tuple[str, str]]:
    """Every panel query of the shipped dashboard with its variables as Grafana fills them."""
    dashboard = json.loads((REPO / "deploy" / "grafana-dashboard.json").read_text())
    return [(panel["title"], target["expr"].replace("$customer", customer)
             .replace("$window", window))
            for panel in dashboard["panels"] for target in panel.get("targets") or []]


def test_every_dashboard_query_runs_on_prometheus_and_the_overview_has_data(
    bridge_and_prometheus: tuple[Bridge, Prometheus],
) -> None:
    _, prometheus = bridge_and_prometheus
    wait_for("a scrape with availability",
             lambda: prometheus.query('bridge_customer_availability_ratio{window="30d"}'),
             timeout_s=60)
    # the customer picker's query (label_values(bridge_probe_success, customer))
    picker = prometheus.get("/api/v1/label/customer/values?"
                            + urllib.parse.urlencode({"match[]": "bridge_probe_success"}))
    assert picker["data"] == ["acme", "other"]  # the seeded deployment's customers
    answered: dict[str, bool] = {}
    for title, expr in dashboard_queries("acme", "30d"):
        series = prometheus.query(expr)  # a PromQL error fails in query()
        answered[title] = answered.get(title, False) or bool(series)
    # the panels an operator opens the dashboard for show this deployment's series
    assert answered["Availability by customer ($window)"]
    assert answered["Contract targets"]
    assert answered["Devices below their contract target ($window)"]
    # "All" customers is Grafana's regex .*: the same queries stay valid
    for _title, expr in dashboard_queries(".*", "1h"):
        prometheus.query(expr)
