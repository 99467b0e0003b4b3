"""Several bridge instances on a PostgreSQL store of their own, for `scale`, `failover` and
`outage`.

`scratch_store` makes a database on the local server (127.0.0.1:5432, user postgres; or
BRIDGE_BENCH_PG_ADMIN_URL) and drops it afterwards. `Fleet` starts N children running the
daemon (`bench.bridge_scale`, each with its own HTTP port), waits until each is READY and
the shards are split between them (every shard leased, each instance at most its fair
share), then opens every instance's measured window at once (SIGUSR1).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import psycopg

from bench.common import REPO_ROOT, PeerMissingError

ADMIN_URL = os.environ.get("BRIDGE_BENCH_PG_ADMIN_URL",
                           "postgresql://postgres@127.0.0.1:5432/postgres")
SHARDS = 64  # [cluster] shards, the default
SPLIT_TIMEOUT_S = 180.0


@contextlib.contextmanager
def scratch_store(admin_url: str = ADMIN_URL) -> Iterator[tuple[str, str]]:
    """A fresh database, dropped afterwards: (its name, its psycopg URL)."""
    name = f"bridge_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise PeerMissingError(f"several instances need PostgreSQL at {admin_url} "
                               f"(set BRIDGE_BENCH_PG_ADMIN_URL): {exc}") from None
    try:
        yield name, admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlalchemy_url(url: str) -> str:
    """The daemon's `[storage] url` for a psycopg URL."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def owners(url: str) -> dict[str, list[int]]:
    """Who holds which shard's lease now (by the database's clock; the leader's -1 left out)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT owner, shard FROM shard_lease WHERE shard >= 0 AND "
                            "owner IS NOT NULL AND expires_at > now()").fetchall()
    held: dict[str, list[int]] = {}
    for owner, shard in rows:
        held.setdefault(owner, []).append(shard)
    return held


def split(held: dict[str, list[int]], instances: int) -> bool:
    """Every shard leased, by `instances` owners, none above its fair share."""
    share = math.ceil(SHARDS / instances)
    return (len(held) == instances and sum(len(s) for s in held.values()) == SHARDS
            and all(len(s) <= share for s in held.values()))


class BackendCpu:
    """CPU of the PostgreSQL backends serving one database, from /proc (the server's shared
    processes, such as the WAL writer, serve every database and are left out)."""

    def __init__(self, url: str, database: str) -> None:
        self._url = url
        self._database = database

    def sample(self) -> dict[int, float]:
        """CPU seconds so far of each backend connected to the database now."""
        with psycopg.connect(self._url, autocommit=True) as conn:
            pids = [pid for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid()", (self._database,)).fetchall()]
        cpu = {}
        for pid in pids:
            with contextlib.suppress(OSError):
                cpu[pid] = _cpu_s(pid)
        return cpu


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_cpu_s(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU the backends used between two samples (one that started in between: all of it;
    one that ended in between is not seen, so this is a lower bound)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


class Fleet:
    """N daemons on one deployment (its store PostgreSQL), each a `bench.bridge_scale` child."""

    def __init__(self, root: Path, config: Path, instances: int, duration_s: float,
                 prefix: Sequence[str] = ()) -> None:
        self.root = root
        self.ready_files = [root / f"ready-{n}" for n in range(instances)]
        self._outs: list[IO[str]] = []
        self._errs: list[IO[str]] = []
        self.children: list[subprocess.Popen[str]] = []
        for n, ready in enumerate(self.ready_files):
            payload = {"config": str(config), "duration_s": duration_s,
                       "ready_file": str(ready)}
            out = (root / f"out-{n}.json").open("w+")
            err = (root / f"err-{n}.log").open("w")
            child = subprocess.Popen([*prefix, sys.executable, "-m", "bench.bridge_scale"],
                                     stdin=subprocess.PIPE, stdout=out, stderr=err, text=True,
                                     cwd=REPO_ROOT)
            assert child.stdin is not None
            child.stdin.write(json.dumps(payload))
            child.stdin.close()
            self._outs.append(out)
            self._errs.append(err)
            self.children.append(child)

    def pids(self) -> list[int]:
        """The daemons' process ids, read from their ready files (`ip netns exec` execs)."""
        return [int(ready.read_text()) for ready in self.ready_files]

    def wait_split(self, url: str, instances: int | None = None,
                   timeout_s: float = SPLIT_TIMEOUT_S) -> float:
        """Wait until every child is READY and the shards are split; seconds waited."""
        started = time.monotonic()
        want = len(self.children) if instances is None else instances
        while time.monotonic() - started < timeout_s:
            self._check_alive()
            if all(ready.exists() for ready in self.ready_files) and split(owners(url), want):
                return time.monotonic() - started
            time.sleep(0.5)
        raise RuntimeError(f"the shards were not split between {want} instances within "
                           f"{timeout_s:g} s: {dict((o, len(s)) for o, s in owners(url).items())}")

    def _check_alive(self) -> None:
        for n, child in enumerate(self.children):
            if child.poll() is not None and child.returncode != -signal.SIGKILL:
                raise RuntimeError(f"instance {n} exited {child.returncode}:\n"
                                   + (self.root / f"err-{n}.log").read_text()[-3000:])

    def open_windows(self) -> None:
        """Start every instance's measured window now."""
        for pid in self.pids():
            os.kill(pid, signal.SIGUSR1)

    def finish(self, timeout_s: float) -> list[dict[str, Any]]:
        """Each surviving instance's answer once its window closed (a killed one: {})."""
        answers: list[dict[str, Any]] = []
        for n, child in enumerate(self.children):
            code = child.wait(timeout=timeout_s)
            if code == -signal.SIGKILL:
                answers.append({})
                continue
            if code != 0:
                raise RuntimeError(f"instance {n} failed ({code}):\n"
                                   + (self.root / f"err-{n}.log").read_text()[-3000:])
            self._outs[n].seek(0)
            answers.append(json.loads(self._outs[n].read()))
        return answers

    def close(self) -> None:
        """Stop whatever still runs (SIGTERM: the daemons hand their leases back)."""
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        for child in self.children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for out in [*self._outs, *self._errs]:
            out.close()
