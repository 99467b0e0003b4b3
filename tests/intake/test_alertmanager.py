"""A real Alertmanager (Debian's prometheus-alertmanager), and a real Prometheus with a rule
that fires, route alerts to a running bridge on loopback: the ticket opens, and resolves
when the alert does."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kits.daemon import Bridge, free_port, http_request, running, wait_for
from tests.kits.intake import AM_TOKEN, intake_deployment

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"


class Alertmanager:
    """prometheus-alertmanager on a loopback port, its one receiver the bridge's intake."""

    def __init__(self, root: Path, bridge_url: str, token_file: Path) -> None:
        config = {
            "route": {"receiver": "bridge", "group_by": ["alertname"], "group_wait": "0s",
                      "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "bridge", "webhook_configs": [{
                "url": f"{bridge_url}/api/v1/intake/prom", "send_resolved": True,
                "http_config": {"authorization": {"type": "Bearer",
                                                  "credentials_file": str(token_file)}}}]}],
        }
        (root / "alertmanager.yml").write_text(yaml.safe_dump(config))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = (root / "alertmanager.log").open("w")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={root / 'alertmanager.yml'}",
             f"--storage.path={root / 'data'}", f"--web.listen-address={self.url[7:]}",
             "--cluster.listen-address="], stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("alertmanager to be ready", self._ready)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError("alertmanager exited: " + Path(self.log.name).read_text())
        try:
            return http_request("GET", self.url + "/-/ready", {}, None)[0] == 200
        except OSError:
            return False

    def post(self, alerts: list[dict[str, Any]]) -> None:
        status, body = http_request("POST", self.url + "/api/v2/alerts",
                                    {"Content-Type": "application/json"},
                                    json.dumps(alerts).encode())
        assert status == 200, body

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[tuple[Bridge, Alertmanager]]:
    if not Path(ALERTMANAGER).exists():
        pytest.fail("prometheus-alertmanager is not installed (apt-get install "
                    "prometheus-alertmanager; .ci/run does)")
    config = intake_deployment(tmp_path / "bridge")
    with running(config) as bridge:
        (tmp_path / "am").mkdir()
        manager = Alertmanager(tmp_path / "am", bridge.url,
                               tmp_path / "bridge" / "secrets" / "am.token")
        try:
            yield bridge, manager
        finally:
            manager.stop()


def _db1_tickets(bridge: Bridge) -> list[dict[str, Any]]:
    return list(bridge.get("/api/v1/incidents?device=db-1")["incidents"])


def test_alertmanager_opens_and_resolves_a_ticket(peers: tuple[Bridge, Alertmanager]) -> None:
    bridge, manager = peers
    assert AM_TOKEN in (bridge.config.parent / "secrets" / "am.token").read_text()
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    alert = {"labels": {"alertname": "DiskFull", "team": "acme", "instance": "db-1:9100",
                        "severity": "critical"},
             "annotations": {"summary": "disk / is 97% full"},
             "startsAt": started.isoformat()}
    manager.post([alert])
    [ticket] = wait_for("bridge to open the ticket", lambda: _db1_tickets(bridge))
    assert ticket["summary"] == "DiskFull: disk / is 97% full"
    assert ticket["priority"] == "P1"
    assert datetime.fromisoformat(ticket["started_at"]) == started
    manager.post([{**alert, "endsAt": datetime.now(UTC).isoformat()}])
    wait_for("bridge to resolve the ticket",
             lambda: [t for t in _db1_tickets(bridge) if t["status"] == "resolved"])
    assert len(_db1_tickets(bridge)) == 1
    shown = bridge.get(f"/api/v1/incidents/{ticket['id']}")
    payloads = [json.loads(e["message"]) for e in shown["timeline"]
                if e["kind"] == "alert_payload"]
    assert [p["status"] for p in payloads] == ["firing", "resolved"]
    assert payloads[0]["fingerprint"]  # Alertmanager's own, the alert's key


PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
RULES = {"groups": [{"name": "exporters", "rules": [{
    "alert": "ExporterDown", "expr": 'up{job="node"} == 0', "for": "0s",
    "labels": {"team": "acme", "severity": "critical"},
    "annotations": {"summary": "the exporter on {{ $labels.instance }} does not answer"}}]}]}


class _Exporter:
    """A /metrics endpoint on the device's own address that can be switched on later."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.server: http.server.HTTPServer | None = None

    def start(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"# TYPE x gauge\nx 1\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(self.address, Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def test_a_prometheus_rule_that_fires_and_stops(peers: tuple[Bridge, Alertmanager],
                                                tmp_path: Path) -> None:
    """Prometheus -> Alertmanager -> bridge: a scrape target on db-1's address is down (the
    rule fires: a ticket), then answers (the rule stops: the ticket resolves)."""
    bridge, manager = peers
    exporter = _Exporter("127.0.0.5", free_port())
    root = tmp_path / "prometheus"
    root.mkdir()
    (root / "rules.yml").write_text(yaml.safe_dump(RULES))
    (root / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "scrape_timeout": "500ms",
                   "evaluation_interval": "1s"},
        "rule_files": [str(root / "rules.yml")],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [manager.url.removeprefix("http://")]}]}]},
        "scrape_configs": [{"job_name": "node", "static_configs": [
            {"targets": [f"{exporter.address[0]}:{exporter.address[1]}"]}]}]}))
    url = f"127.0.0.1:{free_port()}"
    log = (root / "prometheus.log").open("w")
    prometheus = subprocess.Popen(
        [PROMETHEUS, f"--config.file={root / 'prometheus.yml'}",
         f"--storage.tsdb.path={root / 'data'}", f"--web.listen-address={url}",
         "--rules.alert.resend-delay=1s"], stdout=log, stderr=subprocess.STDOUT)
    try:
        [ticket] = wait_for("the rule's ticket", lambda: _db1_tickets(bridge), timeout_s=60)
        assert ticket["summary"].startswith("ExporterDown: the exporter on 127.0.0.5:")
        assert ticket["priority"] == "P1"
        exporter.start()
        wait_for("the ticket to resolve when the rule stops firing",
                 lambda: [t for t in _db1_tickets(bridge) if t["status"] == "resolved"],
                 timeout_s=60)
        assert len(_db1_tickets(bridge)) == 1
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=10)
        log.close()
        exporter.stop()
