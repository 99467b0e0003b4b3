"""Three `bridge run` on one PostgreSQL share the devices, and take over from each other.

The daemons run in a network namespace (their failing devices are loopback addresses
whose pings the namespace drops) and reach PostgreSQL over its Unix socket. Bounds are
bounds: lease + one interval + slack, never a measured performance.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bridge.core.decisions import (
    Decision,
    OpenIncident,
    ResolveIncident,
    SaveState,
    SetFlapping,
)
from bridge.core.engine import RuleEngine
from bridge.core.results import ProbeResult
from bridge.core.shards import shard_of
from bridge.core.state import CheckKey, CheckState, StateType, Status
from bridge.daemon import restore as restore_module
from bridge.daemon.monitor import Monitor
from bridge.daemon.restore import Handover, restore_engine
from bridge.store import BatchWriter, Database
from bridge.store.decisions import apply_batch
from bridge.store.reads import load_check_tickets, load_states
from tests.kits import engine as engine_kit
from tests.kits.daemon import Bridge, wait_for, write_deployment
from tests.kits.engine import T0
from tests.kits.netns import Namespace
from tests.kits.pg import scratch_database
from tests.kits.sockproxy import CuttableProxy

SHARDS = 8
LEASE_S = 3.0
INTERVAL_S = 1.0
DEVICES = {f"sw-{n:02d}": f"127.0.0.{10 + n}" for n in range(24)}
FAILING = ["sw-00", "sw-05", "sw-10", "sw-15", "sw-20"]
SLACK_S = 10.0  # start-up of a check, the writer's batch, a loaded CI machine


@dataclass(frozen=True)
class Store:
    """A scratch database as the daemons (Unix socket) and the test (psycopg) reach it."""

    name: str
    socket_dir: str
    port: int
    url: str  # for psycopg, from the test

    def daemon_url(self, socket_dir: str | None = None) -> str:
        return (f"postgresql+psycopg://postgres@/{self.name}"
                f"?host={socket_dir or self.socket_dir}&port={self.port}")


@pytest.fixture
def store(pg_admin_url: str) -> Iterator[Store]:
    with psycopg.connect(pg_admin_url) as conn:
        folders = conn.execute("SHOW unix_socket_directories").fetchone()
        port = conn.execute("SHOW port").fetchone()
    assert folders is not None
    assert port is not None
    with scratch_database(pg_admin_url, f"bridge_shards_{uuid.uuid4().hex[:12]}") as url:
        yield Store(url.rsplit("/", 1)[1], str(folders[0]).split(",")[0].strip(),
                    int(port[0]), url.replace("postgresql+psycopg://", "postgresql://", 1))


def deployment(root: Path, daemon_url: str, lease_s: float = LEASE_S) -> Path:
    """Acme's tickets notify a webhook at HOOK_PORT (in the daemons' namespace)."""
    config = write_deployment(root, DEVICES, interval_s=INTERVAL_S, max_attempts=2)
    text = config.read_text().replace('url = "sqlite:///var/bridge.db"', f'url = "{daemon_url}"')
    (root / "secrets" / "hook.secret").write_text("hook-secret\n")
    config.write_text(text + f"\n[cluster]\nshards = {SHARDS}\nlease_s = {lease_s}\n"
                      '\n[notifications]\noperators = ["webhook:hook"]\ngroup_window_s = 0\n'
                      'max_per_receiver_per_hour = 1000\n'
                      "\n[notifications.webhooks.hook]\n"
                      f'url = "http://127.0.0.1:{HOOK_PORT}/hook"\n'
                      'secret = "file:secrets/hook.secret"\n')
    inventory = root / "config" / "inventory.toml"
    inventory.write_text(inventory.read_text().replace(
        '[customers.acme]\nname = "Acme"\n',
        '[customers.acme]\nname = "Acme"\n\n[customers.acme.contract]\n'
        'notify = ["webhook:hook"]\n'))
    return config


# A webhook receiver in the namespace: it writes each Idempotency-Key it accepts to a file.
RECEIVER = """
import http.server, sys
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "a") as keys:
            keys.write(self.headers.get("Idempotency-Key", "") + "\\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hook)
print("ready", flush=True)
server.serve_forever()
"""
HOOK_PORT = 18080


@contextlib.contextmanager
def hook_receiver(netns: Namespace, keys: Path) -> Iterator[Path]:
    """The receiver, running until the block ends; yields the file of accepted keys."""
    keys.touch()
    proc = subprocess.Popen(["ip", "netns", "exec", netns.name, sys.executable, "-c", RECEIVER,
                             str(HOOK_PORT), str(keys)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield keys
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


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


def leader_pid(url: str) -> int | None:
    """The process holding the leader's lease, if anyone holds it now."""
    found = rows(url, "SELECT owner FROM shard_lease WHERE shard = -1 AND owner IS NOT NULL "
                      "AND expires_at > now()")
    return pid_of(str(found[0][0])) if found else None


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


def api_down(bridge: Bridge) -> list[str]:
    """The devices an instance's API says are hard down."""
    devices = bridge.get("/api/v1/devices")["devices"]
    return sorted(d["id"] for d in devices
                  if any(c["hard_status"] == "down" for c in d["checks"]))


def api_checked_since(bridge: Bridge, since: float) -> bool:
    """Whether an instance's API shows every check of every device checked after `since`."""
    checks = [c for d in bridge.get("/api/v1/devices")["devices"] for c in d["checks"]]
    return bool(checks) and all(
        c["last_check_at"] is not None
        and datetime.fromisoformat(c["last_check_at"]).timestamp() > since for c in checks)


def drop_only(netns: Namespace, names: list[str]) -> None:
    """Drop pings to exactly these devices from now on (one nft transaction: the others
    never see a moment without their faults)."""
    rules = "".join(f"; add rule inet faults in ip daddr {DEVICES[n]} icmp type echo-request "
                    "drop" for n in names)
    netns.run("nft", f"flush chain inet faults in{rules}")


def devices_of(shards: set[int]) -> set[str]:
    return {d for d in DEVICES if shard_of(d, SHARDS) in shards}


@pytest.mark.timeout(300)  # bounds of waits, summed, on a loaded machine
def test_three_instances_share_the_devices_and_take_over(tmp_path: Path, netns: Namespace,
                                                         store: Store) -> None:
    url = store.url
    config = deployment(tmp_path, store.daemon_url())
    for name in FAILING:
        netns.drop_icmp_to(DEVICES[name])
    hook = contextlib.ExitStack()
    received = hook.enter_context(hook_receiver(netns, tmp_path / "received-keys"))
    bridges = [Bridge(config, netns=netns.name) for _ in range(3)]
    try:
        by_pid = {b.proc.pid: b for b in bridges}
        split = wait_for("the shards split three ways",
                         lambda: split_between(url, set(by_pid), most=3), timeout_s=60)
        assert wait_for("a ticket per failing device",
                        lambda: open_tickets(url) == FAILING or None, timeout_s=30)
        assert leader_pid(url) == bridges[0].proc.pid  # the first one up leads
        wait_for("every device's live state from every instance (owned or not)",
                 lambda: all(api_down(b) == FAILING for b in bridges), timeout_s=15)
        shown_from = time.time()  # and each one's last check, as its owner stored it
        wait_for("every device's last check since then, from every instance",
                 lambda: all(api_checked_since(b, shown_from) for b in bridges),
                 timeout_s=INTERVAL_S + SLACK_S)

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
        assert wait_for("a survivor to lead (the desk clock, availability)",
                        lambda: leader_pid(url) in survivors, timeout_s=LEASE_S + SLACK_S)

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
        wait_for("the thawed instance's API to show the recoveries it did not see",
                 lambda: api_down(frozen) == still_failing or None, timeout_s=15)
        assert open_tickets(url) == still_failing  # nothing reopened with a stale epoch
        assert_one_ticket_per_problem(url)
        wait_for("the thawed instance to take its share again", lambda: frozen.proc.pid in {
            pid_of(o) for o in owners(url).values()}, timeout_s=30)
        assert other.get("/readyz")["status"] == "ready"

        # Once settled, a device failing in one instance's shard is down in both APIs:
        # the other reads it from the store, with no handover to load it.
        wait_for("the shards split two ways again", lambda: split_between(
            url, {frozen.proc.pid, other.proc.pid}, most=4), timeout_s=30)
        drop_only(netns, [*still_failing, "sw-01"])
        wait_for("a new failure shown by both instances", lambda: all(
            api_down(b) == sorted([*still_failing, "sw-01"]) for b in (frozen, other)),
                 timeout_s=15)
        wait_for("every notice delivered", lambda: rows(
            url, "SELECT count(*) FROM outbox WHERE status != 'sent'") == [(0,)], timeout_s=30)
    finally:
        for bridge in bridges:
            if bridge.proc.poll() is None:
                bridge.signal(signal.SIGCONT)
                bridge.stop()
        hook.close()
    assert_one_ticket_per_problem(url)
    keys = received.read_text().split()
    stored = {str(k) for (k,) in rows(url, "SELECT idempotency_key FROM outbox")}
    assert len(keys) >= len(FAILING)  # an opened notice per ticket at least
    assert sorted(keys) == sorted(set(keys))  # each notice once per key
    assert set(keys) <= stored
    assert rows(url, "SELECT count(*) FROM shard_lease WHERE owner IS NOT NULL") == [(0,)]


def readyz(bridge: Bridge) -> tuple[int, dict[str, object]]:
    status, body = bridge.request("GET", "/readyz", token=None)
    assert isinstance(body, dict)
    return status, body


def readyz_notes(bridge: Bridge) -> str | None:
    """What /readyz notes, if anything."""
    notes = readyz(bridge)[1].get("notes")
    return str(notes) if notes else None


def leases_expired(bridge: Bridge) -> str | None:
    """/readyz's problems once it is 503 because the leases ran out."""
    status, body = readyz(bridge)
    problems = str(body.get("problems"))
    return problems if status == 503 and "leases expired" in problems else None


@pytest.mark.timeout(300)
def test_an_instance_cut_off_from_the_database_stops_by_itself(tmp_path: Path, netns: Namespace,
                                                               store: Store) -> None:
    lease_s = 9.0  # its leases stay valid 7.2 s after the last renewal: time to read /readyz
    (tmp_path / "pg").mkdir()
    proxy = CuttableProxy(tmp_path / "pg", store.port,
                          f"{store.socket_dir}/.s.PGSQL.{store.port}")
    for name in FAILING:
        netns.drop_icmp_to(DEVICES[name])
    cut = Bridge(deployment(tmp_path / "a", store.daemon_url(str(tmp_path / "pg")), lease_s),
                 netns=netns.name)
    direct = Bridge(deployment(tmp_path / "b", store.daemon_url(), lease_s), netns=netns.name)
    try:
        split = wait_for("the shards split two ways", lambda: split_between(
            store.url, {cut.proc.pid, direct.proc.pid}, most=4), timeout_s=60)
        assert wait_for("a ticket per failing device",
                        lambda: open_tickets(store.url) == FAILING or None, timeout_s=30)
        orphaned = {s for s, o in split.items() if pid_of(o) == cut.proc.pid}
        cut_at = time.time()
        proxy.cut()
        notes = wait_for("the cut-off instance to say it runs on valid leases",
                         lambda: readyz_notes(cut), timeout_s=lease_s)
        assert "cut off from the store" in notes
        assert "on leases valid for" in notes
        wait_for("its leases to run out (503)", lambda: leases_expired(cut),
                 timeout_s=lease_s + SLACK_S)
        # /readyz reads the lease's age when asked; the keeper's loop logs at its next turn
        wait_for("the cut-off instance to log that it stopped",
                 lambda: "stopped probing and writing" in cut.log(), timeout_s=SLACK_S)
        wait_for("its devices checked by the other instance",
                 lambda: checked_since(store.url, devices_of(orphaned), cut_at + lease_s),
                 timeout_s=2 * lease_s + INTERVAL_S + SLACK_S)
        proxy.restore()
        wait_for("it to take a share again and be ready", lambda: (
            readyz(cut)[0] == 200 and cut.proc.pid in {
                pid_of(o) for o in owners(store.url).values()}), timeout_s=60)
        # Every connection of both terminated (a PostgreSQL restart, an administrator):
        # they reconnect within a renewal round and keep their leases.
        wait_for("the split to settle", lambda: split_between(
            store.url, {cut.proc.pid, direct.proc.pid}, most=4), timeout_s=60)
        losses = cut.log().count("stopped probing and writing")
        rows(store.url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                        "datname = current_database() AND pid <> pg_backend_pid()")
        time.sleep(lease_s)
        assert split_between(store.url, {cut.proc.pid, direct.proc.pid}, most=4)
        assert cut.log().count("stopped probing and writing") == losses
        assert readyz(cut)[0] == 200
        assert open_tickets(store.url) == FAILING
        assert_one_ticket_per_problem(store.url)
    finally:
        for bridge in (cut, direct):
            bridge.stop()
        proxy.close()


# ---- a handover in one process: the gained checks continue, the kept ones keep their memory

HANDOVER_SHARDS = 4
KEPT, GAINED = ("core-a", "sw-a"), ("core-b", "sw-b")  # shards 2 and 0 of 4
OTHERS = "edge-b"  # shard 1: another instance's


def _ping(device: str, second: float, ok: bool) -> tuple[CheckKey, ProbeResult]:
    return CheckKey(device, "ping"), ProbeResult(ok, T0 + timedelta(seconds=second), 0.0,
                                                 "ok" if ok else "no reply")


def _flap(record: Callable[[CheckKey, ProbeResult], object], device: str, start_s: float,
          pattern: str) -> float:
    """Feed '+'/'-' results 2 s apart; the second after the last."""
    for i, ch in enumerate(pattern):
        record(*_ping(device, start_s + 2 * i, ch == "+"))
    return start_s + 2 * len(pattern)


def _ticket_actions(decisions: list[Decision], device: str) -> list[str]:
    problem = f"check:{device}/ping"
    actions = []
    for d in decisions:
        if isinstance(d, OpenIncident) and d.problem_key == problem:
            actions.append("open-flapping" if d.flapping else "open")
        elif isinstance(d, ResolveIncident) and d.problem_key == problem:
            actions.append("resolve")
        elif isinstance(d, SetFlapping) and d.problem_key == problem:
            actions.append("flapping" if d.flapping else "steady")
    return actions


async def test_a_gained_shard_continues_where_its_owner_left_it_and_the_kept_keep_theirs(
        tmp_path: Path, db: Database) -> None:
    devices = "".join(engine_kit.device(name) for name in (*KEPT, *GAINED, OTHERS))
    config = engine_kit.build_config(tmp_path, devices)  # max_attempts 2
    assert {shard_of(d, HANDOVER_SHARDS) for d in KEPT} == {2}
    assert {shard_of(d, HANDOVER_SHARDS) for d in GAINED} == {0}
    assert shard_of(OTHERS, HANDOVER_SHARDS) == 1
    # The old owner of shard 0: core-b flaps (one ticket, flapping), sw-b failed once (soft).
    old = RuleEngine(config)
    written: list[Decision] = []
    _flap(lambda k, r: written.extend(old.on_result(k, r)[0]), "core-b", 0, "+-" * 10)
    written += old.on_result(*_ping("sw-b", 40, False))[0]
    assert _ticket_actions(written, "core-b") == ["open-flapping"]
    apply_batch(db.writer, written, "INC", T0 + timedelta(seconds=40))

    # This instance owns shard 2: core-a flaps too, sw-a failed once; then it gains shard 0.
    decided: list[Decision] = []
    writer = BatchWriter(db, "INC", 0.1, 1000, lambda outcomes: None)
    monitor = Monitor(restore_engine(db.reader, config, T0), lambda d: (
        decided.extend(d), writer.submit(d)), lambda keys: None)
    _flap(monitor.record, "core-a", 0, "+-" * 10)
    monitor.record(*_ping("sw-a", 40, False))
    assert _ticket_actions(decided, "core-a") == ["open-flapping"]
    # Meanwhile the owner of shard 1 saw edge-b go down.
    down = CheckState(Status.DOWN, StateType.HARD, 2, T0, Status.DOWN, T0)
    apply_batch(db.writer, [SaveState(CheckKey(OTHERS, "ping"), down)], "INC", T0)
    replanned: list[bool] = []
    rechecked: set[CheckKey] = set()
    resumed: dict[CheckKey, float] = {}
    handover = Handover(writer, monitor, db.reader, lambda: config,
                        lambda: T0 + timedelta(seconds=41), lambda: replanned.append(True),
                        lambda device: shard_of(device, HANDOVER_SHARDS),
                        lambda device: shard_of(device, HANDOVER_SHARDS) in {0, 2},
                        rechecked.update, resumed.update)
    try:
        await handover({0}, set())
    finally:
        writer.close()
    assert replanned == [True]
    # failures between attempts (the last of core-b's flapping, sw-b's first) retried now
    assert rechecked == {CheckKey("core-b", "ping"), CheckKey("sw-b", "ping")}
    assert not set(resumed) & rechecked  # those are retried, not resumed at their slot
    # The others' checks are not read at a handover: the fleet view (daemon/fleet.py)
    # keeps them, from the store, every few seconds.
    assert monitor.engine.states[CheckKey(OTHERS, "ping")] == CheckState()
    monitor.observe_states(load_states(db.reader, devices={OTHERS}))
    monitor.observe_tickets(*load_check_tickets(db.reader), lambda device: device == OTHERS)
    assert monitor.engine.states[CheckKey(OTHERS, "ping")] == down

    # Both go on flapping: still one flapping ticket each, never "steady", never resolved.
    decided.clear()
    for device in ("core-a", "core-b"):
        _flap(monitor.record, device, 42, "+-+-")
    assert _ticket_actions(decided, "core-a") == []
    assert _ticket_actions(decided, "core-b") == []
    # Both failed once before; the second failure makes them hard down, with a ticket each.
    for device in ("sw-a", "sw-b"):
        monitor.record(*_ping(device, 50, False))
    assert _ticket_actions(decided, "sw-a") == ["open"]
    assert _ticket_actions(decided, "sw-b") == ["open"]
    opened = {d.key.device: d.started_at for d in decided
              if isinstance(d, OpenIncident) and d.key is not None}
    # dated from the first failure, on the old owner for sw-b
    assert opened == {"sw-a": T0 + timedelta(seconds=40), "sw-b": T0 + timedelta(seconds=40)}


async def test_a_state_the_fleet_view_takes_in_during_a_hand_over_is_not_put_back_older(
        tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hand-over takes its checks up in steps, the loop running between them; a piece of
    the fleet view landing between two steps keeps its newer states."""
    others = [f"edge-{n}" for n in range(restore_module._ADOPT_STEP + 200)]
    config = engine_kit.build_config(tmp_path, "".join(
        engine_kit.device(name) for name in ("sw-b", *others)))
    gained = shard_of("sw-b", HANDOVER_SHARDS)
    theirs = [d for d in others if shard_of(d, HANDOVER_SHARDS) != gained]
    writer = BatchWriter(db, "INC", 0.1, 1000, lambda outcomes: None)
    monitor = Monitor(restore_engine(db.reader, config, T0), writer.submit, lambda keys: None)
    engine = monitor.engine
    checks = engine.keys()
    late = [k for k in checks if k.device in theirs][-1]  # taken up in a later step
    newer = CheckState(Status.DOWN, StateType.HARD, 2, T0, Status.DOWN, T0)
    adopt, steps = engine.adopt, []

    def adopt_then_a_fleet_piece(keys: list[CheckKey], stored: Any) -> None:
        adopt(keys, stored)
        steps.append(len(keys))
        if len(steps) == 1:  # between the first step and the next: the others' newer state
            monitor.observe_states({late: newer})

    monkeypatch.setattr(engine, "adopt", adopt_then_a_fleet_piece)
    handover = Handover(writer, monitor, db.reader, lambda: config, lambda: T0,
                        lambda: None, lambda device: shard_of(device, HANDOVER_SHARDS),
                        lambda device: shard_of(device, HANDOVER_SHARDS) == gained,
                        lambda keys: None, lambda checked_ago_s: None)
    try:
        await handover({gained}, set())
    finally:
        writer.close()
    assert len(steps) >= 2
    assert engine.states[late] == newer


@pytest.mark.timeout(300)
def test_a_lone_instance_whose_store_outlasts_its_leases_loses_no_decision(
        tmp_path: Path, netns: Namespace, store: Store) -> None:
    """One instance on PostgreSQL, nobody to take its shards over: the store goes away, a
    device fails hard while the leases are still valid (decided, not written), the leases
    run out, the device recovers while nobody looks, the store comes back. What was
    decided before is in the store (the failure's state change and its ticket), not
    dropped with the leases as the new owner's to decide: the new owner is this instance,
    and it never saw the failure."""
    lease_s = 15.0  # still valid 7-12 s after the cut: time for the failure to go hard
    victim = "sw-03"
    (tmp_path / "pg").mkdir()
    proxy = CuttableProxy(tmp_path / "pg", store.port,
                          f"{store.socket_dir}/.s.PGSQL.{store.port}")
    lone = Bridge(deployment(tmp_path / "a", store.daemon_url(str(tmp_path / "pg")), lease_s),
                  netns=netns.name)
    try:
        wait_for("every shard held", lambda: split_between(store.url, {lone.proc.pid},
                                                           most=SHARDS), timeout_s=60)
        wait_for("every device checked", lambda: len(rows(
            store.url, "SELECT 1 FROM check_state WHERE status::text ILIKE 'up'")) == len(DEVICES)
            or None, timeout_s=60)
        proxy.cut()
        drop_only(netns, [victim])
        wait_for("the failure decided", lambda: f"check {victim}/ping: up -> down (hard_down)"
                 in lone.log(), timeout_s=lease_s)
        wait_for("its leases to run out", lambda: "stopped probing and writing" in lone.log(),
                 timeout_s=lease_s + SLACK_S)
        drop_only(netns, [])  # back while nobody probes it
        proxy.restore()
        wait_for("the failure's ticket", lambda: rows(
            store.url, f"SELECT id FROM incident WHERE device = '{victim}'") or None,
            timeout_s=60)
        changes = rows(store.url, "SELECT old_status::text, new_status::text FROM state_change "
                                  f"WHERE device = '{victim}' ORDER BY at, id")
        assert [(str(a).lower(), str(b).lower()) for a, b in changes][:2] == [
            ("unknown", "up"), ("up", "down")]
        assert "decisions made before the leases ran out are written now" in lone.log()
        assert_one_ticket_per_problem(store.url)
    finally:
        lone.stop()
        proxy.close()
