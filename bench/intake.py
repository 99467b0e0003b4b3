"""The `intake` benchmark: Alertmanager-style alerts posted to a running `bridge run` until
each is a ticket decision in the store, side by side with a real Alertmanager taking the same
alerts through its own API (it only keeps them: the established tool's ingest, no tickets).

Both sides get the same alerts on loopback, in batches of BATCH from CLIENTS concurrent
clients; a batch's answer comes once its alerts are stored (bridge: and their tickets
opened or joined), so its latency is the decision latency of its alerts. bridge runs on
SQLite, and again on PostgreSQL when a server answers at PG_ADMIN_URL (a scratch database
of its own, dropped afterwards).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import psycopg

from bench.common import PeerMissingError, Report, Row, process_cpu_s

ALERTS, QUICK_ALERTS = 20_000, 2_000
DEVICES = 500
BATCH = 50
CLIENTS = 4
PEER = "prometheus-alertmanager /api/v2/alerts"
REPO_ROOT = Path(__file__).resolve().parents[1]
GOAL_PER_S = 2000  # alerts a second to ticket decisions, on the 2 cores of the machine
PG_ADMIN_URL = os.environ.get("BRIDGE_BENCH_PG_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "bridge_bench_intake"


@dataclass(frozen=True)
class Side:
    """One side's run: wall time, each batch's answer time, the server's CPU."""

    wall_s: float
    latencies_s: list[float]  # sorted
    cpu_s: float

    def quantile_s(self, q: float) -> float:
        """The q-quantile of the batches' answer times (nearest rank)."""
        return self.latencies_s[min(len(self.latencies_s) - 1, int(len(self.latencies_s) * q))]


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


def _timed(url: str, headers: dict[str, str], bodies: list[bytes], pid: int) -> Side:
    """Post every body; the wall time, the sorted answer times and process `pid`'s CPU."""
    cpu_before_s = process_cpu_s(pid)
    t0 = time.perf_counter()
    latencies = asyncio.run(_post_all(url, headers, bodies))
    wall = time.perf_counter() - t0
    return Side(wall, sorted(latencies), process_cpu_s(pid) - cpu_before_s)


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


@contextlib.contextmanager
def _pg_store() -> Iterator[str | None]:
    """A fresh database on the PostgreSQL server at PG_ADMIN_URL (its SQLAlchemy URL), or
    None when no server answers there."""
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        try:
            base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            yield f"{base}/{PG_DATABASE}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def _bridge_side(root: Path, alerts: list[dict[str, Any]], store_url: str | None) -> Side:
    token = secrets.token_urlsafe(24)
    config = _deployment(root, token)
    port = _free_port()
    store = ["--db", store_url] if store_url else []
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "run", "-c", str(config),
                             "--listen", f"127.0.0.1:{port}", *store], cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait("bridge", lambda: _answers(f"http://127.0.0.1:{port}/healthz"), proc)
        bodies = [json.dumps({"version": "4", "status": "firing", "receiver": "bridge",
                              "groupKey": "{}", "alerts": alerts[i:i + BATCH]}).encode()
                  for i in range(0, len(alerts), BATCH)]
        return _timed(f"http://127.0.0.1:{port}/api/v1/intake/prom",
                      {"Authorization": f"Bearer {token}",
                       "Content-Type": "application/json"}, bodies, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _peer_side(binary: str, root: Path, alerts: list[dict[str, Any]]) -> Side:
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
                      {"Content-Type": "application/json"}, bodies, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _rows(prefix: str, side: Side, peer: Side, count: int) -> list[Row]:
    per_k = 1000 / count
    return [Row(f"{prefix}.s_per_1000_alerts", "s", side.wall_s * per_k, peer.wall_s * per_k,
                PEER),
            Row(f"{prefix}.cpu_s_per_1000_alerts", "s", side.cpu_s * per_k, peer.cpu_s * per_k,
                PEER),
            Row(f"{prefix}.batch_p50", "s", side.quantile_s(0.5), peer.quantile_s(0.5), PEER),
            Row(f"{prefix}.batch_p99", "s", side.quantile_s(0.99), peer.quantile_s(0.99), PEER)]


def _verdict(store: str, side: Side, count: int) -> list[str]:
    rate = count / side.wall_s
    met = "met" if rate >= GOAL_PER_S else "NOT met"
    notes = [f"bridge on {store}: {rate:.0f} alerts/s to ticket decisions, decision p50 "
             f"{side.quantile_s(0.5) * 1000:.0f} ms, p99 {side.quantile_s(0.99) * 1000:.0f} ms, "
             f"{side.cpu_s:.1f} CPU s in all; goal {GOAL_PER_S:,}/s on 2 cores: {met}"]
    if rate < GOAL_PER_S:
        notes.append(f"WARNING: {rate:.0f} alerts/s on {store} is under the goal of "
                     f"{GOAL_PER_S:,}/s")
    return notes


def run(*, quick: bool) -> Report:
    """Post the same alerts to bridge (SQLite, then PostgreSQL if one answers) and to
    Alertmanager; compare time, CPU and answer times."""
    binary = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
    if not os.path.exists(binary):
        raise PeerMissingError("prometheus-alertmanager is not installed "
                               "(apt-get install prometheus-alertmanager)")
    alerts = _alerts(QUICK_ALERTS if quick else ALERTS)
    load_1m = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ("bridge", "bridge-pg", "peer"):
            (Path(tmp) / folder).mkdir()
        sqlite = _bridge_side(Path(tmp) / "bridge", alerts, None)
        with _pg_store() as pg_url:
            pg = _bridge_side(Path(tmp) / "bridge-pg", alerts, pg_url) if pg_url else None
        peer = _peer_side(binary, Path(tmp) / "peer", alerts)
    rows = _rows("intake", sqlite, peer, len(alerts))
    notes = [f"{len(alerts)} distinct firing alerts over {DEVICES} devices, {BATCH} per post, "
             f"{CLIENTS} clients (a batch's answer time is its alerts' decision latency); "
             f"Alertmanager only stores them; load average {load_1m:.1f} on "
             f"{os.cpu_count()} cores at the start", *_verdict("SQLite", sqlite, len(alerts))]
    if pg is not None:
        rows += _rows("intake.postgresql", pg, peer, len(alerts))
        notes += _verdict("PostgreSQL", pg, len(alerts))
    else:
        where = urlsplit(PG_ADMIN_URL)._replace(netloc=urlsplit(PG_ADMIN_URL).hostname or "")
        notes.append(f"PostgreSQL: not measured (no server answers at {where.geturl()}; "
                     "BRIDGE_BENCH_PG_URL names another)")
    return Report(rows, notes)
