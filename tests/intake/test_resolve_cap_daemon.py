"""A source's max_resolves_per_min, as an operator runs it: `bridge run` takes a storm of
resolves, resolves the cap's worth of tickets at once and answers "deferred" for the rest;
the daemon is killed (kill -9); the restarted daemon resolves the rest by itself once the
minute has passed, each once, with the deferral visible in its metrics before the kill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.intake.test_webhooks import alert, webhook
from tests.kits.daemon import Bridge, http_request, metric, wait_for, write_deployment
from tests.kits.intake import AM_TOKEN

CAP = 3
STORM = 5
SOURCE = f'''
[sources.prom]
kind = "alertmanager"
token = "file:secrets/am.token"
max_resolves_per_min = {CAP}

[[sources.prom.routes]]
customer = "acme"
device_label = "instance"
'''
# The cap counts the last minute; the leader sweeps deferred resolves every 5 s.
WINDOW_S = 60.0
SWEEP_SLACK_S = 25.0


def post(bridge: Bridge, body: object) -> list[str]:
    status, raw = http_request("POST", bridge.url + "/api/v1/intake/prom", {
        "Content-Type": "application/json", "Authorization": f"Bearer {AM_TOKEN}"},
        json.dumps(body).encode())
    assert status == 200, raw
    answer: dict[str, Any] = json.loads(raw)
    return [a["action"] for a in answer["alerts"]]


def statuses(bridge: Bridge, devices: list[str]) -> dict[str, str]:
    found = {}
    for name in devices:
        [ticket] = bridge.get(f"/api/v1/incidents?device={name}")["incidents"]
        found[name] = ticket["status"]
    return found


def test_deferred_resolves_are_applied_by_the_restarted_daemon_once_the_cap_allows(
        tmp_path: Path) -> None:
    devices = {f"s-{i}": f"127.0.1.{i}" for i in range(1, STORM + 1)}
    names = list(devices)
    config = write_deployment(tmp_path, devices)
    (tmp_path / "secrets" / "am.token").write_text(AM_TOKEN + "\n")
    (tmp_path / "intake").mkdir()
    (tmp_path / "intake" / "sources.toml").write_text(SOURCE)
    bridge = Bridge(config)
    try:
        assert post(bridge, webhook(*[alert(f"fp-{n}", n) for n in names])) == ["opened"] * STORM
        resolves = webhook(*[alert(f"fp-{n}", n, "resolved") for n in names])
        assert post(bridge, resolves) == ["resolved"] * CAP + ["deferred"] * (STORM - CAP)
        # Alertmanager resends its resolves: they wait where they are, none resolved twice
        assert post(bridge, resolves) == ["unchanged"] * STORM
        first = statuses(bridge, names)
        assert list(first.values()).count("open") == STORM - CAP
        status, text = bridge.request("GET", "/metrics", token=None)
        assert status == 200
        assert metric(text, "bridge_intake_alerts_total", action="deferred",
                      source="prom") == STORM - CAP
    finally:
        bridge.kill()  # a crash: what waits is in the store
    bridge = Bridge(config)
    try:
        waiting = [n for n, s in first.items() if s == "open"]
        # Not before the minute of the cap has passed ...
        assert all(s == "open" for n, s in statuses(bridge, names).items() if n in waiting)
        wait_for("the deferred resolves applied", lambda: all(
            s != "open" for s in statuses(bridge, names).values()) or None,
            timeout_s=WINDOW_S + SWEEP_SLACK_S)
        for name in waiting:
            [ticket] = bridge.get(f"/api/v1/incidents?device={name}")["incidents"]
            found = bridge.get(f"/api/v1/incidents/{ticket['id']}")
            kinds = [entry["kind"] for entry in found["timeline"]]
            assert kinds.count("resolved") == 1, kinds
            assert "resolve_deferred" in kinds
        assert "deferred resolve of alert" in bridge.log()
    finally:
        assert bridge.stop() == 0
