"""The scale workload: thousands of pinged devices, some also SNMP-polled, as a deployment.

Every address is in 127.0.0.0/8: ping-only devices at 127.0.x.y, SNMP devices at
127.1.x.y, where the benchmark's snmpd agents listen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from bench.ping_work import loopback_targets, require_loopback
from bench.snmp_work import COMMUNITY

CUSTOMERS = 20


@dataclass(frozen=True)
class ScaleWork:
    """What one instance holds: the issue's 10,000 pinged devices (3 packets every 30 s),
    2,000 of them also SNMP-polled every 60 s (one GET of sysUpTime, sysName, sysDescr)."""

    ping_devices: int = 10_000
    snmp_devices: int = 2_000  # of the ping devices, these are also polled
    ping_interval_s: float = 30.0
    snmp_interval_s: float = 60.0
    count: int = 3
    packet_interval_s: float = 0.2
    ping_timeout_s: float = 1.0
    snmp_timeout_s: float = 1.0
    snmp_retries: int = 1
    duration_s: float = 180.0
    max_concurrent: int = 1000  # the daemon's default global bound

    def ping_addresses(self) -> list[str]:
        """Every pinged address: the ping-only devices, then the SNMP devices."""
        ping_only = self.ping_devices - self.snmp_devices
        return (loopback_targets(ping_only) if ping_only else []) + self.snmp_addresses()

    def snmp_addresses(self) -> list[str]:
        """Where the SNMP devices' agents listen: 127.1.0.1 upwards."""
        addresses = [f"127.1.{i // 250}.{1 + i % 250}" for i in range(self.snmp_devices)]
        require_loopback(addresses)
        return addresses

    def expected_runs(self, interval_s: float) -> float:
        """How often one check runs in `duration_s`: each check keeps its slot."""
        return self.duration_s / interval_s


def device_name(index: int) -> str:
    """The name of the `index`th device of `ping_addresses()`."""
    return f"d{index:05d}"


def checks(work: ScaleWork) -> dict[str, list[str]]:
    """Every check as "device/probe", by probe: all devices pinged, the last
    `snmp_devices` (those of `snmp_addresses()`) also polled."""
    first_snmp = work.ping_devices - work.snmp_devices
    names = [device_name(i) for i in range(work.ping_devices)]
    return {"ping": [f"{name}/ping" for name in names],
            "system": [f"{name}/system" for name in names[first_snmp:]]}


QUICK = ScaleWork(ping_devices=300, snmp_devices=30, ping_interval_s=2.0, snmp_interval_s=4.0,
                  duration_s=6.0)


def write_deployment(root: Path, work: ScaleWork, snmp_port: int,
                     storage_url: str = "sqlite:///var/bridge.db") -> Path:
    """A deployment in `root` (SQLite store unless told, no HTTP port taken) for `work`; its
    bridge.toml. The API token exists already: several instances start at once."""
    for folder in ("config", "probes", "rules", "secrets", "var"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "secrets" / "community").write_text(COMMUNITY + "\n")
    token = root / "secrets" / "operator.token"
    token.write_text(secrets.token_urlsafe(32) + "\n")
    token.chmod(0o600)
    (root / "bridge.toml").write_text(
        f'[storage]\nurl = "{storage_url}"\n\n[http]\nlisten = "127.0.0.1:0"\n\n'
        f"[daemon]\nmax_concurrent_checks = {work.max_concurrent}\n\n"
        '[[api.tokens]]\nname = "operator"\nrole = "operator"\n'
        'secret = "file:secrets/operator.token"\ncreate = true\n')
    (root / "probes" / "scale.toml").write_text(
        f'[probes.ping]\nkind = "icmp"\ninterval_s = {work.ping_interval_s}\n'
        f"timeout_s = {work.ping_timeout_s}\ncount = {work.count}\n"
        f"packet_interval_s = {work.packet_interval_s}\n\n"
        f'[probes.system]\nkind = "snmp"\ninterval_s = {work.snmp_interval_s}\n'
        f"timeout_s = {work.snmp_timeout_s}\nretries = {work.snmp_retries}\n"
        'get = ["sysName", "sysDescr"]\n')
    (root / "rules" / "default.toml").write_text('[rules.down]\npriority = "P3"\n')
    lines = [f'[customers.c{n:02d}]\nname = "Customer {n}"\n' for n in range(CUSTOMERS)]
    snmp = set(work.snmp_addresses())
    for i, address in enumerate(work.ping_addresses()):
        probes = '["ping", "system"]' if address in snmp else '["ping"]'
        lines.append(f'[devices.{device_name(i)}]\ncustomer = "c{i % CUSTOMERS:02d}"\n'
                     f'address = "{address}"\nprobes = {probes}\n')
        if address in snmp:
            lines.append(f'[devices.{device_name(i)}.snmp]\nport = {snmp_port}\n'
                         'community = "file:../secrets/community"\n')
    (root / "config" / "devices.toml").write_text("\n".join(lines))
    return root / "bridge.toml"
