"""A fleet at load, for `failover` and `outage`: snmpd agents for the SNMP devices, a scratch
PostgreSQL store, N daemons on the scale workload with their shards split; and what the
store says about the checks."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.fleet import Fleet, scratch_store, sqlalchemy_url
from bench.scale_work import ScaleWork, checks, write_deployment
from bench.snmp_work import Snmpd, free_udp_port

ADDRESSES_PER_AGENT = 500  # one snmpd's sockets stay well below select()'s 1024
FOREVER_S = 24 * 3600.0  # the instances' windows: they run until stopped


@dataclass
class Loaded:
    """A fleet that runs, its store and its workload."""

    fleet: Fleet
    url: str  # psycopg, for reading the store
    work: ScaleWork
    split_s: float


@contextlib.contextmanager
def loaded_fleet(work: ScaleWork, instances: int, prefix: Sequence[str] = (),
                 daemon_url: Callable[[str], str] = sqlalchemy_url,
                 window_s: float = FOREVER_S) -> Iterator[Loaded]:
    """`instances` daemons on `work`, shards split; stopped and dropped afterwards. `prefix`
    runs the agents and the daemons in a network namespace (`ip netns exec NS`), which reach
    the store at `daemon_url(url)`. Their windows, once opened, last `window_s`."""
    port = free_udp_port()
    addresses = work.snmp_addresses()
    root = Path(tempfile.mkdtemp(prefix="bridge-bench-fleet-"))
    agents: list[Snmpd] = []
    try:
        agents = [Snmpd(addresses[i:i + ADDRESSES_PER_AGENT], port, prefix)
                  for i in range(0, len(addresses), ADDRESSES_PER_AGENT)]
        with scratch_store() as (_, url):
            config = write_deployment(root, work, port, daemon_url(url))
            fleet = Fleet(root, config, instances, window_s, prefix)
            try:
                split_s = fleet.wait_split(url)
                yield Loaded(fleet, url, work, split_s)
            finally:
                fleet.close()
    finally:
        for agent in agents:
            agent.close()
        shutil.rmtree(root, ignore_errors=True)


def checked_since(url: str, keys: Sequence[str], since: datetime) -> int:
    """How many of the checks ("device/probe") the store has a result of at or after `since`
    (`check_state.last_at`: the result's time, written by the owner's next batch)."""
    devices = [key.split("/", 1)[0] for key in keys]
    probes = [key.split("/", 1)[1] for key in keys]
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM check_state c JOIN unnest(%s::text[], %s::text[]) AS k(d, p) "
            "ON c.device = k.d AND c.probe = k.p WHERE c.last_at >= %s",
            (devices, probes, since)).fetchone()
    return int(row[0]) if row else 0


def all_checks(work: ScaleWork) -> list[str]:
    """Every check of the workload, "device/probe"."""
    return [key for keys in checks(work).values() for key in keys]


def warm_up(url: str, work: ScaleWork) -> float:
    """Wait until every check has a result in the store dated from now on: each has been
    taken up and run by the instance that owns it now (a shard handed over runs its checks
    again within an interval of the hand-over, not at the old owner's slot). Seconds waited.
    """
    keys, started = all_checks(work), time.monotonic()
    since = datetime.now(UTC)
    limit_s = 3 * max(work.ping_interval_s, work.snmp_interval_s) + 30
    while checked_since(url, keys, since) < len(keys):
        if time.monotonic() - started > limit_s:
            raise RuntimeError(f"not every check ran within {limit_s:g} s of the split")
        time.sleep(1.0)
    return time.monotonic() - started
