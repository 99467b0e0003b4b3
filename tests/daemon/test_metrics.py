"""The /metrics exposition as Prometheus reads it: parsed back by prometheus-client's parser,
linted by promtool, removed devices gone, and a closed last ticket reading 0."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from bridge.availability.windows import Latest, WindowTallies
from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.engine import RuleEngine
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, StateType, Status
from bridge.daemon.exposition import label_set
from bridge.daemon.metrics import DaemonMetrics, Exposition
from bridge.daemon.monitor import Monitor, Snapshot
from tests.kits.engine import build_config, device

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def config(tmp_path: Path, *names: str) -> Config:
    return build_config(tmp_path, "".join(device(n) for n in names),
                        extra="\n[customers.acme.contract]\navailability_target_pct = 99.5\n")


def state(ok: bool, hard: Status, rtt_s: float | None) -> CheckState:
    measured = {"loss_ratio": 0.0 if ok else 1.0} | ({} if rtt_s is None else {"rtt_avg_s": rtt_s})
    last = ProbeResult(ok, NOW, 0.01, "", measured)
    return CheckState(hard, StateType.HARD, 0 if ok else 3, NOW, hard, NOW, last)


def exposition(cfg: Config, latest: Latest, gap: bool = False) -> str:
    states = {CheckKey("web", "ping"): state(True, Status.UP, 0.0021),
              CheckKey("db", "ping"): state(False, Status.DOWN, None),
              CheckKey("gone", "ping"): state(True, Status.UP, 0.001)}  # removed from config
    snapshot = Snapshot(cfg, states, {("acme", "P2", 1): 1}, gap)
    text = Exposition(DaemonMetrics(CollectorRegistry()).registry).render(snapshot, latest, {
        "bridge_store_batches_total": 7.0, "bridge_store_up": 1.0})
    return text.decode()


def test_live_series_read_back_exactly(tmp_path: Path) -> None:
    day = WindowTallies(NOW, NOW, {"web": Tally(86400, 864), "db": Tally(86400, 8640),
                                   "gone": Tally(86400, 0), "new": Tally(0, 0)})
    text = exposition(config(tmp_path, "web", "db", "new"), Latest({"1d": day}, NOW))
    got = samples(text)

    def check(name: str, dev: str) -> float:
        return got[(name, (("customer", "acme"), ("device", dev), ("probe", "ping")))]

    assert (check("bridge_probe_success", "web"), check("bridge_probe_success", "db")) == (1, 0)
    assert check("bridge_probe_rtt_seconds", "web") == 0.0021
    assert (check("bridge_check_down", "db"), check("bridge_check_attempts", "db")) == (1, 3)
    assert check("bridge_probe_loss_ratio", "db") == 1.0
    ratio = {labels: v for (name, labels), v in got.items() if name == "bridge_availability_ratio"}
    assert ratio == {(("customer", "acme"), ("device", "web"), ("window", "1d")): 0.99,
                     (("customer", "acme"), ("device", "db"), ("window", "1d")): 0.9}
    assert got[("bridge_customer_availability_ratio",
                (("customer", "acme"), ("window", "1d")))] == pytest.approx(0.945)
    assert got[("bridge_availability_target_ratio", (("customer", "acme"),))] == 0.995
    assert got[("bridge_incidents_open", (("customer", "acme"), ("priority", "P2"),
                                          ("tier", "1")))] == 1
    assert got[("bridge_monitoring_gap", ())] == 0
    assert got[("bridge_store_batches_total", ())] == 7
    # a removed device leaves no series, and every series names its check
    assert sorted(dict(labels)["device"] for (name, labels) in got
                  if name == "bridge_probe_success") == ["db", "web"]
    lint = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=30)
    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")


def test_the_gap_gauge_and_a_fresh_computation(tmp_path: Path) -> None:
    cfg = config(tmp_path, "web")
    exp = Exposition(DaemonMetrics(CollectorRegistry()).registry)
    snap = Snapshot(cfg, {}, {}, True)
    first = Latest({"1h": WindowTallies(NOW, NOW, {"web": Tally(3600, 36)})}, NOW)
    assert samples(exp.render(snap, first, {}).decode())[("bridge_monitoring_gap", ())] == 1
    second = Latest({"1h": WindowTallies(NOW, NOW, {"web": Tally(3600, 360)})}, NOW)
    got = samples(exp.render(snap, second, {}).decode())  # the kept text is not reused
    assert got[("bridge_availability_ratio", (("customer", "acme"), ("device", "web"),
                                              ("window", "1h")))] == 0.9


@pytest.mark.parametrize("value", ['a"b', "back\\slash", "not\\n a newline", "new\nline",
                                   "plain"])
def test_label_values_are_escaped(value: str) -> None:
    text = f"# TYPE x gauge\nx{label_set(customer=value)} 1.0\n"
    [family] = text_string_to_metric_families(text)
    assert family.samples[0].labels == {"customer": value}


def test_a_label_set_whose_last_ticket_closed_reads_zero(tmp_path: Path) -> None:
    gamma = '\n[customers.gamma]\nname = "Gamma"\n'
    cfg = build_config(tmp_path, device("web"), extra=gamma)
    monitor = Monitor(RuleEngine(cfg), lambda _: None, lambda _: None)
    monitor.set_open_incidents({("acme", "P2", 1): 2, ("gamma", "P1", 1): 1,
                                ("bridge", "P1", 1): 1})
    monitor.set_open_incidents({})  # the store counts only open tickets: none left
    assert monitor.open_incidents == {("acme", "P2", 1): 0, ("gamma", "P1", 1): 0,
                                      ("bridge", "P1", 1): 0}
    monitor.set_open_incidents({("acme", "P3", 2): 1})
    assert monitor.open_incidents[("acme", "P3", 2)] == 1
    assert monitor.open_incidents[("acme", "P2", 1)] == 0
    # a customer that leaves the config takes its series with it
    monitor.apply_config(build_config(tmp_path / "later", device("web")), NOW)
    assert sorted(monitor.open_incidents) == [("acme", "P2", 1), ("acme", "P3", 2),
                                              ("bridge", "P1", 1)]
