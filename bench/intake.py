"""The `intake` benchmark: Alertmanager-style alerts posted to a running `bridge run` until
each is a ticket decision in the store, side by side with a real Alertmanager taking the same
alerts through its own API (it only keeps them: the established tool's ingest, no tickets).

Both sides get the same alerts on loopback, in batches of BATCH from CLIENTS concurrent
clients; a batch's answer comes once its alerts are stored (bridge: and their tickets
opened or joined), so its latency is the decision latency of its alerts.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import PeerMissingError, Report, Row

ALERTS, QUICK_ALERTS = 20_000, 2_000
DEVICES = 500
BATCH = 50
CLIENTS = 4
PEER = "prometheus-alertmanager /api/v2/alerts"
REPO_ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _deployment(root: Path, token: str) -> Path:
    for folder in ("config", "probes", "rules", "intake", "secrets"):
        (root / folder).mkdir()
    inventory = '[customers.acme]\nname = "Acme"\n'
    for i in range(DEVICES):  # loopback, pinged once an hour: the intake is what is measured
        inventory += (f'\n[devices.d{i}]\ncustomer = "acme"\naddress = "127.10.{i // 250}.'
                      f'{i % 250 + 1}"\nprobes = ["idle"]\n')
    (root / "config" / "inventory.toml").write_text(inventory)
    (root / "probes" / "idle.toml").write_text(
        '[probes.idle]\nkind = "icmp"\ninterval_s = 3600\ntimeout_s = 1\n')
    (root / "secrets" / "am.token").write_text(token + "\n")
    (root / "intake" / "prom.toml").write_text(
        '[sources.prom]\nkind = "alertmanager"\ntoken = "file:secrets/am.token"\n'
        'rate_per_s = 100000\nburst = 100000\n\n'  # throughput measured, not the limit
        '[[sources.prom.routes]]\ncustomer = "acme"\ndevice_label = "instance"\n')
    (root / "bridge.toml").write_text(
        '[storage]\nurl = "sqlite:///bridge.db"\n\n[http]\nlisten = "127.0.0.1:0"\n')
    return root / "bridge.toml"


def _alerts(count: int) -> list[dict[str, Any]]:
    start = datetime.now(UTC).replace(microsecond=0).isoformat()
    return [{"status": "firing", "fingerprint": f"{i:016x}", "startsAt": start,
             "labels": {"alertname": f"A{i % 20}", "instance": f"d{i % DEVICES}:9100"},
             "annotations": {"summary": f"alert {i}"}} for i in range(count)]


async def _post_all(url: str, headers: dict[str, str], bodies: list[bytes]) -> list[float]:
    """Post every body from CLIENTS clients; each answer's latency in seconds."""
    latencies: list[float] = []
    todo = iter(bodies)
    async with aiohttp.ClientSession(headers=headers) as session:
        async def client() -> None:
            for body in todo:
                t0 = time.perf_counter()
                async with session.post(url, data=body) as answer:
                    await answer.read()
                    if answer.status >= 300:
                        raise RuntimeError(f"{url}: {answer.status} {await answer.text()}")
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return latencies


def _timed(url: str, headers: dict[str, str], bodies: list[bytes]) -> tuple[float, float]:
    """(wall seconds, p99 latency seconds) of posting every body."""
    t0 = time.perf_counter()
    latencies = asyncio.run(_post_all(url, headers, bodies))
    wall = time.perf_counter() - t0
    latencies.sort()
    return wall, latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


def _wait(what: str, ready: Callable[[], bool], proc: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode})")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start")


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _bridge_side(root: Path, alerts: list[dict[str, Any]]) -> tuple[float, float]:
    token = secrets.token_urlsafe(24)
    config = _deployment(root, token)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "run", "-c", str(config),
                             "--listen", f"127.0.0.1:{port}"], cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait("bridge", lambda: _answers(f"http://127.0.0.1:{port}/healthz"), proc)
        bodies = [json.dumps({"version": "4", "status": "firing", "receiver": "bridge",
                              "groupKey": "{}", "alerts": alerts[i:i + BATCH]}).encode()
                  for i in range(0, len(alerts), BATCH)]
        return _timed(f"http://127.0.0.1:{port}/api/v1/intake/prom",
                      {"Authorization": f"Bearer {token}",
                       "Content-Type": "application/json"}, bodies)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _peer_side(binary: str, root: Path, alerts: list[dict[str, Any]]) -> tuple[float, float]:
    (root / "am.yml").write_text("route:\n  receiver: none\nreceivers:\n  - name: none\n")
    port = _free_port()
    proc = subprocess.Popen([binary, f"--config.file={root / 'am.yml'}",
                             f"--storage.path={root / 'am'}",
                             f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address="],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait("alertmanager", lambda: _answers(f"http://127.0.0.1:{port}/-/ready"), proc)
        plain = [{k: a[k] for k in ("labels", "annotations", "startsAt")} for a in alerts]
        bodies = [json.dumps(plain[i:i + BATCH]).encode() for i in range(0, len(plain), BATCH)]
        return _timed(f"http://127.0.0.1:{port}/api/v2/alerts",
                      {"Content-Type": "application/json"}, bodies)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(*, quick: bool) -> Report:
    """Post the same alerts to bridge and to Alertmanager; compare time and p99 latency."""
    binary = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
    if not os.path.exists(binary):
        raise PeerMissingError("prometheus-alertmanager is not installed "
                               "(apt-get install prometheus-alertmanager)")
    alerts = _alerts(QUICK_ALERTS if quick else ALERTS)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bridge").mkdir()
        (Path(tmp) / "peer").mkdir()
        wall, p99 = _bridge_side(Path(tmp) / "bridge", alerts)
        peer_wall, peer_p99 = _peer_side(binary, Path(tmp) / "peer", alerts)
    per_k = 1000 / len(alerts)
    rows = [Row("intake.s_per_1000_alerts", "s", wall * per_k, peer_wall * per_k, PEER),
            Row("intake.batch_p99", "s", p99, peer_p99, PEER)]
    rate = len(alerts) / wall
    notes = [f"{len(alerts)} distinct firing alerts over {DEVICES} devices, {BATCH} per post, "
             f"{CLIENTS} clients; bridge took {rate:.0f} alerts/s to ticket decisions on "
             "SQLite (goal: 2,000/s on 2 cores); Alertmanager only stores them"]
    if rate < 2000:
        notes.append(f"WARNING: {rate:.0f} alerts/s is under the goal of 2,000/s")
    return Report(rows, notes)
