"""deploy/ as Prometheus and Grafana read it: the rules pass promtool and their own unit
tests, the scrape job makes a valid config, and every expression names only metrics the
daemon exposes (its own, the service desk's and the outbox's)."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from bridge.availability.windows import Latest, WindowTallies
from bridge.core.availability import Tally
from bridge.core.results import ProbeResult, Series
from bridge.core.state import CheckKey, CheckState, StateType, Status
from bridge.daemon.desk_metrics import DeskCollector, DeskDurations
from bridge.daemon.metrics import DAEMON_VALUES, DaemonMetrics, Exposition
from bridge.daemon.monitor import Snapshot
from bridge.daemon.outbox_metrics import OutboxCollector
from bridge.desk.counters import DeskCounters
from tests.conftest import REPO
from tests.kits.engine import build_config, device

DEPLOY = REPO / "deploy"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
HISTOGRAM_PARTS = re.compile(r"_(bucket|sum|count)$")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60,
                          cwd=DEPLOY)


def test_alert_rules_are_valid_and_fire_when_they_should() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 13 rules found" in checked.stdout
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
    port, traffic = (("interface", "Gi1/0/1"),), (("interface", "Gi1/0/1"), ("direction", "in"))
    # the series SNMP checks export (names the exposition does not know are dropped)
    series = (Series("bridge_interface_up", port, 1.0),
              Series("bridge_probe_empty_column", (("column", "ifInErrors"),), 1.0),
              Series("bridge_probe_value", (("object", "upsEstimatedMinutesRemaining"),), 45.0),
              *(Series(f"bridge_interface_{name}", traffic, 0.0) for name in (
                  "bits_per_second", "utilisation_ratio", "errors_per_second", "errors_ratio",
                  "discards_per_second", "discards_ratio")))
    last = ProbeResult(True, NOW, 0.01, "", {"rtt_avg_s": 0.001, "loss_ratio": 0.0},
                       series=series)
    states = {CheckKey("web", "ping"): CheckState(Status.UP, StateType.HARD, 0, NOW, Status.UP,
                                                  NOW, last)}
    metrics = DaemonMetrics(CollectorRegistry())
    metrics.probe_duration.labels("icmp").observe(0.01)
    metrics.incidents_opened.labels("acme").inc()
    metrics.incidents_resolved.labels("acme").inc()
    # the service desk's and the outbox's collectors, as the daemon registers them
    counters = DeskCounters({("acme", "reaction"): 1}, {("acme", "reaction"): 1})
    metrics.registry.register(DeskCollector(counters, lambda: {"acme": 1}))
    durations = DeskDurations(metrics.registry)
    counters.add_duration("reaction", "P2", 60.0)
    counters.add_duration("resolution", "P2", 600.0)
    durations.drain(counters)
    outbox = SimpleNamespace(counts=SimpleNamespace(pending={}, oldest_pending_at=None),
                             delivered_total=Counter[str](), dead_letters_total=Counter[str]())
    metrics.registry.register(OutboxCollector(outbox))  # type: ignore[arg-type]
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
    known = exposed_names(tmp_path)
    assert len(expressions()) > 40
    for where, expr in expressions():
        for name in re.findall(r"\bbridge_[a-z0-9_]+", expr):
            assert HISTOGRAM_PARTS.sub("", name) in known or name in known, (where, name)
        # selectors of other metrics: only Prometheus' own `up`
        others = set(re.findall(r"\b([a-z_][a-z0-9_]*)\{", expr)) - {"up"}
        assert not {o for o in others if not o.startswith("bridge_")}, (where, others)


def test_every_alert_links_to_its_section_of_the_deploy_readme() -> None:
    headings = re.findall(r"^#{2,3} (.+)$", (DEPLOY / "README.md").read_text(), re.M)
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    for rule in (r for g in rules["groups"] for r in g["rules"]):
        page, _, anchor = rule["labels"]["runbook"].partition("#")
        assert (page, anchor in anchors) == ("deploy/README.md", True), rule["alert"]
