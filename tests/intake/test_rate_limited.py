"""Sources over their rate limit: HTTP answers 429 with Retry-After and the reason, traps
are dropped and counted; nothing over the limit is stored, and the limit recovers."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.intake.test_traps import COMMUNITY, IF_INDEX, LINK_DOWN, free_udp_port
from tests.intake.test_webhooks import alert, webhook
from tests.kits.daemon import Bridge, metric, running, wait_for
from tests.kits.intake import AM_TOKEN, intake_deployment

TIGHT = '''
[sources.tight]
kind = "alertmanager"
token = "file:secrets/am.token"
rate_per_s = 2
burst = 3

[[sources.tight.routes]]
customer = "acme"
device_label = "instance"

[sources.tighttraps]
kind = "snmp_trap"
rate_per_s = 0.01
burst = 2

[sources.tighttraps.traps]
listen = "127.0.0.1:{port}"
community = "file:secrets/trap.community"

[[sources.tighttraps.traps.rules]]
trap = "linkDown"
key = "link {{ifIndex}}"

[[sources.tighttraps.routes]]
customer = "acme"
device_label = "agent"
'''


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bridge, int]]:
    root = tmp_path_factory.mktemp("limits")
    config = intake_deployment(root)
    port = free_udp_port()
    (root / "secrets" / "trap.community").write_text(COMMUNITY + "\n")
    (root / "intake" / "tight.toml").write_text(TIGHT.format(port=port))
    with running(config) as daemon:
        # no INFORM to find out (it would spend a token): the listener says it is bound
        wait_for("the trap listener", lambda: "traps tighttraps: listening on" in daemon.log())
        yield daemon, port


def send(url: str, body: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    req = urllib.request.Request(url, method="POST", data=json.dumps(body).encode(), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {AM_TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def taken(bridge: Bridge, source: str) -> float:
    """The source's alerts that reached the store, whatever they did there."""
    return sum(float(line.rpartition(" ")[2]) for line in bridge.get("/metrics").splitlines()
               if line.startswith("bridge_intake_alerts_total{")
               and f'source="{source}"' in line)


def stored(bridge: Bridge, device: str) -> list[dict[str, Any]]:
    return list(bridge.get(f"/api/v1/incidents?device={device}")["incidents"])


def test_a_burst_over_the_limit_is_429_then_the_refill_lets_it_in(
        limited: tuple[Bridge, int]) -> None:
    bridge, _ = limited
    url = bridge.url + "/api/v1/intake/tight"
    answers = [send(url, webhook(alert(f"fp-burst-{i}", "db-1", severity="x")))
               for i in range(5)]
    assert [a[0] for a in answers] == [200, 200, 200, 429, 429]
    _, body, headers = answers[3]
    assert headers["Retry-After"] == "1"
    assert "over the rate limit of source 'tight'" in body["error"]
    # the first three opened or joined one ticket on db-1; the refused ones are nowhere
    assert [a[1]["alerts"][0]["fingerprint"] for a in answers[:3]] == [
        "fp-burst-0", "fp-burst-1", "fp-burst-2"]
    assert len(stored(bridge, "db-1")) == 1
    assert taken(bridge, "tight") == 3
    # another source (and so another bucket) is not held back
    assert send(bridge.url + "/api/v1/intake/prom",
                webhook(alert("fp-other", "held-1")))[0] == 200
    time.sleep(0.6)  # 2 a second: one token back
    assert send(url, webhook(alert("fp-burst-5", "db-1", severity="x")))[0] == 200
    text = bridge.get("/metrics")
    assert metric(text, "bridge_intake_refused_total", reason="rate_limited",
                  source="tight") == 2


def test_traps_over_the_limit_are_dropped_and_counted(limited: tuple[Bridge, int]) -> None:
    bridge, port = limited
    for if_index in range(1, 6):
        sent = subprocess.run(
            ["snmptrap", "-v", "2c", "-c", COMMUNITY, "--clientaddr=127.0.0.6",
             f"127.0.0.1:{port}", "", LINK_DOWN, f"{IF_INDEX}.{if_index}", "i", str(if_index)],
            capture_output=True, text=True, timeout=30, env={**os.environ, "MIBS": ""})
        assert sent.returncode == 0, sent.stderr

    def dropped() -> float | None:
        found = metric(bridge.get("/metrics"), "bridge_intake_refused_total",
                       reason="rate_limited", source="tighttraps")
        return found if found is not None and found >= 3 else None
    assert wait_for("the traps over the limit counted", dropped) == 3
    # the two of the burst are in the store, and only they: one ticket, two alerts taken
    [ticket] = wait_for("the ticket of app-1's traps", lambda: [
        t for t in stored(bridge, "app-1") if t["rule"].startswith("intake:tighttraps")] or None)
    assert ticket["summary"] == "linkDown from 127.0.0.6 (link 1)"
    assert wait_for("the two traps taken", lambda: taken(bridge, "tighttraps") >= 2)
    assert taken(bridge, "tighttraps") == 2
