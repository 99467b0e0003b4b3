"""deploy/ as Prometheus and Grafana read it: the rules pass promtool and their own unit
tests, the scrape job makes a valid config, and every expression names only metrics the
daemon exposes."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from bridge.core.availability import Tally
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, StateType, Status
from bridge.daemon.availability import Latest
from bridge.daemon.metrics import DAEMON_VALUES, DaemonMetrics, Exposition
from bridge.daemon.monitor import Snapshot
from bridge.reports.windows import WindowTallies
from tests.conftest import REPO
from tests.engine_kit import build_config, device

DEPLOY = REPO / "deploy"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
# Exposed by the SLA and notification work (tickets under contract), named here so the
# rules and the dashboard can use them already.
SLA_AND_OUTBOX = {
    "bridge_sla_breaches_total", "bridge_sla_warnings_total", "bridge_incidents_sla_at_risk",
    "bridge_sla_reaction_seconds", "bridge_sla_resolution_seconds", "bridge_outbox_pending",
    "bridge_outbox_oldest_pending_age_seconds", "bridge_outbox_dead_letters_total",
    "bridge_outbox_delivered_total",
}
HISTOGRAM_PARTS = re.compile(r"_(bucket|sum|count)$")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60,
                          cwd=DEPLOY)


def test_alert_rules_are_valid_and_fire_when_they_should() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_scrape_job_and_the_rules_make_a_valid_prometheus_config(tmp_path: Path) -> None:
    shipped = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    config = {"global": {"scrape_interval": "15s"}, **shipped,
              "rule_files": [str(DEPLOY / "alerts.yml")]}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert shipped["scrape_configs"][0]["job_name"] == "bridge"  # what alerts.yml expects


def exposed_names(tmp_path: Path) -> set[str]:
    """Every metric name a daemon with one device, a ticket and availability exposes."""
    config = build_config(tmp_path, device("web"),
                          extra="\n[customers.acme.contract]\navailability_target_pct = 99\n")
    last = ProbeResult(True, NOW, 0.01, "", rtt_avg_s=0.001, loss_ratio=0.0)
    states = {CheckKey("web", "ping"): CheckState(Status.UP, StateType.HARD, 0, NOW, Status.UP,
                                                  NOW, last)}
    metrics = DaemonMetrics(CollectorRegistry())
    metrics.probe_duration.labels("icmp").observe(0.01)
    metrics.incidents_opened.labels("acme").inc()
    metrics.incidents_resolved.labels("acme").inc()
    latest = Latest({"1h": WindowTallies(NOW, NOW, {"web": Tally(3600, 0)})}, NOW)
    text = Exposition(metrics.registry).render(
        Snapshot(config, states, {("acme", "P2", 1): 1}), latest,
        dict.fromkeys(DAEMON_VALUES, 1.0)).decode()
    names = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    return {HISTOGRAM_PARTS.sub("", n) for n in names} | names


def expressions() -> list[tuple[str, str]]:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    found = [(f"panel {p['title']!r}", t["expr"]) for p in dashboard["panels"]
             for t in p.get("targets") or []]
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    found += [(f"alert {r['alert']}", r["expr"]) for g in rules["groups"] for r in g["rules"]]
    return found


def test_every_expression_names_metrics_the_daemon_exposes(tmp_path: Path) -> None:
    known = exposed_names(tmp_path) | SLA_AND_OUTBOX
    assert len(expressions()) > 40
    for where, expr in expressions():
        for name in re.findall(r"\bbridge_[a-z0-9_]+", expr):
            assert HISTOGRAM_PARTS.sub("", name) in known or name in known, (where, name)
        # selectors of other metrics: only Prometheus' own `up`
        others = set(re.findall(r"\b([a-z_][a-z0-9_]*)\{", expr)) - {"up"}
        assert not {o for o in others if not o.startswith("bridge_")}, (where, others)


@pytest.mark.parametrize("variable", ["customer", "window", "datasource"])
def test_the_dashboard_is_one_valid_grafana_document(variable: str) -> None:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    assert dashboard["uid"] == "bridge-overview"
    assert variable in {v["name"] for v in dashboard["templating"]["list"]}
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert all(t["datasource"]["uid"] == "${datasource}"
               for p in dashboard["panels"] for t in p.get("targets") or [])
