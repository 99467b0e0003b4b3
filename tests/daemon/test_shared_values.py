"""Two `bridge run` on one PostgreSQL: the instance that does not poll a device shows the
values its owner's last check read (from the store), and never a community."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from bridge.core.shards import shard_of
from tests.kits.daemon import Bridge, wait_for, write_deployment
from tests.kits.snmp_agents import Agent
from tests.probes.snmp.test_probe import SNMP_PROBES as PROBES  # the 48-port switch check

SHARDS = 2
WAIT_S = 40.0  # a lease hand-over, a poll, the writer's batch, a fleet read; a loaded machine
COMMUNITY = "switch48"  # snmpsim's recording of a 48-port switch, Gi1/0/5 down


def deployment(root: Path, url: str, port: int) -> Path:
    config = write_deployment(root, {"lo": "127.0.0.1"})
    (root / "secrets" / "switch.community").write_text(f"{COMMUNITY}\n")
    (root / "probes" / "snmp.toml").write_text(PROBES)
    with (root / "config" / "inventory.toml").open("a") as inventory:
        inventory.write(
            f'\n[devices.sw48]\ncustomer = "acme"\naddress = "127.0.0.1"\nprobes = ["ifaces"]\n'
            f'snmp = {{ version = "2c", community = "file:../secrets/switch.community", '
            f'port = {port} }}\n')
    config.write_text(config.read_text().replace('url = "sqlite:///var/bridge.db"',
                                                 f'url = "{url}"')
                      + f"\n[cluster]\nshards = {SHARDS}\nlease_s = 3.0\n")
    return config


def owners(url: str) -> dict[int, int]:
    """The pid owning each shard under an unexpired lease."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        found = conn.execute("SELECT shard, owner FROM shard_lease WHERE shard >= 0 "
                             "AND owner IS NOT NULL AND expires_at > now()").fetchall()
    return {int(shard): int(str(owner).split(":")[1]) for shard, owner in found}


def stored_text(url: str) -> str:
    """Everything check_state holds as text."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        return str(conn.execute("SELECT check_state::text FROM check_state").fetchall())


def switch_check(bridge: Bridge) -> dict[str, Any] | None:
    devices = bridge.get("/api/v1/devices")["devices"]
    return next((c for d in devices if d["id"] == "sw48" for c in d["checks"]
                 if c["probe"] == "ifaces"), None)


def test_an_instance_shows_the_values_of_a_device_another_instance_polls(
        tmp_path: Path, pg_url: str, snmpsim: Agent) -> None:
    config = deployment(tmp_path, pg_url, snmpsim.port)
    first = Bridge(config)
    second: Bridge | None = None
    try:
        wait_for("the first instance to poll the switch",
                 lambda: (switch_check(first) or {}).get("values"), timeout_s=WAIT_S)
        second = Bridge(config)
        instances = {first.proc.pid: first, second.proc.pid: second}
        held = wait_for("the shards split between the two", lambda: (
            found if len(found := owners(pg_url)) == SHARDS
            and set(found.values()) == set(instances) else None), timeout_s=WAIT_S)
        split_at = time.time()
        poller = instances[held[shard_of("sw48", SHARDS)]]
        [other] = [b for b in instances.values() if b is not poller]

        def shown() -> dict[str, Any] | None:
            check = switch_check(other)
            if check is None or check["last_check_at"] is None \
                    or datetime.fromisoformat(check["last_check_at"]).timestamp() < split_at:
                return None  # a result the poller had before the split
            return check if "values" in check else None

        check = wait_for("the other instance to show the poller's values", shown,
                         timeout_s=WAIT_S)
        assert check["values"]["interface Gi1/0/5"] == "down"
        assert "sysName" in check["values"]
        assert COMMUNITY not in str(other.get("/api/v1/devices"))
        assert COMMUNITY not in stored_text(pg_url)
    finally:
        if second is not None:
            assert second.stop() == 0
        assert first.stop() == 0
