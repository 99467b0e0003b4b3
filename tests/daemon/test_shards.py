"""Three `bridge run` on one PostgreSQL share the devices, and take over from each other.

The daemons run in a network namespace (their failing devices are loopback addresses
whose pings the namespace drops) and reach PostgreSQL over its Unix socket. Bounds are
bounds: lease + one interval + slack, never a measured performance.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bridge.core.shards import shard_of
from tests.kits.daemon import Bridge, wait_for, write_deployment
from tests.kits.netns import Namespace
from tests.kits.pg import scratch_database

SHARDS = 8
LEASE_S = 3.0
INTERVAL_S = 1.0
DEVICES = {f"sw-{n:02d}": f"127.0.0.{10 + n}" for n in range(24)}
FAILING = ["sw-00", "sw-05", "sw-10", "sw-15", "sw-20"]
SLACK_S = 10.0  # start-up of a check, the writer's batch, a loaded CI machine


@pytest.fixture
def store(pg_admin_url: str) -> Iterator[tuple[str, str]]:
    """(URL for the daemons over the Unix socket, psycopg URL for the test)."""
    with psycopg.connect(pg_admin_url) as conn:
        row = conn.execute("SHOW unix_socket_directories").fetchone()
    assert row is not None
    socket_dir = str(row[0]).split(",")[0].strip()
    with scratch_database(pg_admin_url, f"bridge_shards_{uuid.uuid4().hex[:12]}") as url:
        name = url.rsplit("/", 1)[1]
        yield (f"postgresql+psycopg://postgres@/{name}?host={socket_dir}",
               url.replace("postgresql+psycopg://", "postgresql://", 1))


def deployment(root: Path, daemon_url: str) -> Path:
    config = write_deployment(root, DEVICES, interval_s=INTERVAL_S, max_attempts=2)
    text = config.read_text().replace('url = "sqlite:///var/bridge.db"', f'url = "{daemon_url}"')
    config.write_text(text + f"\n[cluster]\nshards = {SHARDS}\nlease_s = {LEASE_S}\n")
    return config


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())


def owners(url: str) -> dict[int, str]:
    """The unexpired leases of shards (not the leader's), by the database's clock."""
    found = rows(url, "SELECT shard, owner FROM shard_lease WHERE shard >= 0 "
                      "AND owner IS NOT NULL AND expires_at > now()")
    return {int(str(s)): str(o) for s, o in found}


def split_between(url: str, pids: set[int], most: int) -> dict[int, str] | None:
    """The leases, once every shard is held, by exactly these instances, none above `most`."""
    held = owners(url)
    counts = [sum(1 for o in held.values() if pid_of(o) == p) for p in pids]
    if len(held) == SHARDS and {pid_of(o) for o in held.values()} == pids \
            and max(counts) <= most:
        return held
    return None


def pid_of(owner: str) -> int:
    return int(owner.split(":")[1])


def open_tickets(url: str) -> list[str]:
    return sorted(str(d) for (d,) in rows(url, "SELECT device FROM incident "
                                                 "WHERE status = 'open'"))


def assert_one_ticket_per_problem(url: str) -> None:
    assert rows(url, "SELECT problem_key, count(*) FROM incident GROUP BY problem_key "
                     "HAVING count(*) > 1") == []
    assert rows(url, "SELECT open_key, count(*) FROM incident WHERE open_key IS NOT NULL "
                     "GROUP BY open_key HAVING count(*) > 1") == []


def checked_since(url: str, devices: set[str], since: float) -> bool:
    found = rows(url, "SELECT device, extract(epoch FROM last_at) FROM check_state")
    latest = {str(d): float(str(at)) for d, at in found if at is not None}
    return all(latest.get(d, 0.0) > since for d in devices)


def drop_only(netns: Namespace, names: list[str]) -> None:
    """Drop pings to exactly these devices from now on (one nft transaction: the others
    never see a moment without their faults)."""
    rules = "".join(f"; add rule inet faults in ip daddr {DEVICES[n]} icmp type echo-request "
                    "drop" for n in names)
    netns.run("nft", f"flush chain inet faults in{rules}")


def devices_of(shards: set[int]) -> set[str]:
    return {d for d in DEVICES if shard_of(d, SHARDS) in shards}


def test_three_instances_share_the_devices_and_take_over(tmp_path: Path, netns: Namespace,
                                                         store: tuple[str, str]) -> None:
    daemon_url, url = store
    config = deployment(tmp_path, daemon_url)
    for name in FAILING:
        netns.drop_icmp_to(DEVICES[name])
    bridges = [Bridge(config, netns=netns.name) for _ in range(3)]
    try:
        by_pid = {b.proc.pid: b for b in bridges}
        split = wait_for("the shards split three ways",
                         lambda: split_between(url, set(by_pid), most=3), timeout_s=60)
        assert wait_for("a ticket per failing device",
                        lambda: open_tickets(url) == FAILING or None, timeout_s=30)
        leader = rows(url, "SELECT owner FROM shard_lease WHERE shard = -1")[0][0]
        assert pid_of(str(leader)) in by_pid

        # SIGKILL one: the others check its devices within lease + one interval.
        victim = bridges[0]
        orphaned = {s for s, o in split.items() if pid_of(o) == victim.proc.pid}
        killed_at = time.time()
        victim.kill()
        wait_for("the killed instance's devices checked by the others",
                 lambda: checked_since(url, devices_of(orphaned), killed_at),
                 timeout_s=LEASE_S + INTERVAL_S + SLACK_S)
        survivors = {b.proc.pid for b in bridges[1:]}
        assert {pid_of(o) for o in owners(url).values()} <= survivors

        # SIGSTOP one past its lease; a device of its recovers meanwhile; SIGCONT.
        held = owners(url)

        def failing_held_by(bridge: Bridge) -> int:
            shards = {s for s, o in held.items() if pid_of(o) == bridge.proc.pid}
            return len(devices_of(shards) & set(FAILING))

        frozen, other = sorted(bridges[1:], key=failing_held_by, reverse=True)
        theirs = {s for s, o in held.items() if pid_of(o) == frozen.proc.pid}
        recovering = sorted(devices_of(theirs) & set(FAILING))
        assert recovering  # 5 failing devices on 2 instances: one holds some
        frozen.signal(signal.SIGSTOP)
        drop_only(netns, [n for n in FAILING if n not in recovering])
        stopped_at = time.time()
        wait_for("the frozen instance's devices checked by the other",
                 lambda: checked_since(url, devices_of(theirs), stopped_at + LEASE_S),
                 timeout_s=2 * LEASE_S + INTERVAL_S + SLACK_S)
        still_failing = sorted(set(FAILING) - set(recovering))
        wait_for("the recovered devices' tickets resolved by the new owner",
                 lambda: open_tickets(url) == still_failing or None, timeout_s=30)
        frozen.signal(signal.SIGCONT)
        wait_for("the thawed instance to notice it lost its leases",
                 lambda: "stopped probing and writing" in frozen.log(), timeout_s=20)
        time.sleep(LEASE_S + 2 * INTERVAL_S)  # give a stale write every chance to land
        assert open_tickets(url) == still_failing  # nothing reopened with a stale epoch
        assert_one_ticket_per_problem(url)
        wait_for("the thawed instance to take its share again", lambda: frozen.proc.pid in {
            pid_of(o) for o in owners(url).values()}, timeout_s=30)
        assert other.get("/readyz")["status"] == "ready"
    finally:
        for bridge in bridges:
            if bridge.proc.poll() is None:
                bridge.signal(signal.SIGCONT)
                bridge.stop()
    assert_one_ticket_per_problem(url)
    assert rows(url, "SELECT count(*) FROM shard_lease WHERE owner IS NOT NULL") == [(0,)]
