"""The SNMP workload every side runs, the agent they poll, and each side's tally."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import PeerMissingError

COMMUNITY = "bench-community"
# one SNMPv3 authPriv user, SHA-256 and AES-128, that bridge and snmp_exporter share
V3_USER, V3_AUTH_KEY, V3_PRIV_KEY = "bench-v3", "bench-auth-password", "bench-priv-password"
# sysUpTime.0, sysName.0, sysDescr.0: one GET of three scalars per poll
OIDS = ("1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.1.0")


@dataclass(frozen=True)
class SnmpWork:
    """Same agent, same three OIDs, same timeout for every side."""

    host: str
    port: int
    polls: int
    devices: int = 50  # bridge only: distinct checks polled concurrently, like a daemon's
    timeout_s: float = 1.0
    retries: int = 1
    version: str = "2c"  # or "3": the V3_USER, authPriv


@dataclass(frozen=True)
class SnmpTally:
    """One side's outcome for one round."""

    run_cpu_s: float  # CPU of the polls (bridge: without interpreter start-up)
    process_cpu_s: float  # CPU of the whole process (or processes), start-up included
    wall_s: float
    polls: int
    ok: int  # polls that returned all three values
    failures: tuple[str, ...] = ()


def require_loopback(host: str) -> None:
    """Benchmarks only ever poll loopback."""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"refusing to poll non-loopback address {host!r}")


def free_udp_port() -> int:
    """A free UDP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Snmpd:
    """Debian's net-snmp snmpd with a read-only v2c community, on 127.0.0.1 or on several
    loopback addresses (one port, the same on each)."""

    def __init__(self, addresses: Sequence[str] = ("127.0.0.1",), port: int | None = None,
                 prefix: Sequence[str] = ()) -> None:
        for address in addresses:
            require_loopback(address)
        path = shutil.which("snmpd") or ("/usr/sbin/snmpd" if Path("/usr/sbin/snmpd").exists()
                                         else None)
        if path is None:
            raise PeerMissingError("snmpd is not installed; install it with: "
                                   "apt-get install snmpd snmp")
        self.home = Path(tempfile.mkdtemp(prefix="bridge-bench-snmpd-"))
        self.home.chmod(0o755)
        state = self.home / "state"
        state.mkdir()
        if os.geteuid() == 0:
            shutil.chown(state, "nobody", "nogroup")
        conf = self.home / "snmpd.conf"
        conf.write_text(f"[snmp] persistentDir {state}\nrocommunity {COMMUNITY} 127.0.0.0/8\n"
                        "sysName bench-agent\n"
                        f'createUser {V3_USER} SHA-256 "{V3_AUTH_KEY}" AES "{V3_PRIV_KEY}"\n'
                        f"rouser {V3_USER} priv\n")
        conf.chmod(0o644)
        self.port = port or free_udp_port()
        self.addresses = tuple(addresses)
        self._prefix = list(prefix)  # e.g. ip netns exec NS: the agent in a namespace
        drop = ["-u", "nobody", "-g", "nogroup"] if os.geteuid() == 0 else []
        listen = ",".join(f"udp:{address}:{self.port}" for address in self.addresses)
        self.proc = subprocess.Popen(
            [*self._prefix, path, "-f", "-Lo", "-C", "-c", str(conf), "-m", "", *drop, listen],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "MIBS": ""})
        self._wait()

    def _wait(self) -> None:
        snmpget = shutil.which("snmpget")
        if snmpget is None:
            self.close()
            raise PeerMissingError("snmpget is not installed; "
                                   "install it with: apt-get install snmp")
        for _ in range(100):
            done = subprocess.run([*self._prefix, snmpget, "-v2c", "-c", COMMUNITY, "-t", "0.2",
                                   "-r", "0", f"{self.addresses[-1]}:{self.port}", OIDS[0]],
                                  capture_output=True, check=False, env={**os.environ, "MIBS": ""})
            if done.returncode == 0:
                return
            time.sleep(0.1)
        self.close()
        raise RuntimeError("snmpd did not answer on loopback")

    def close(self) -> None:
        """Stop the agent and remove its files."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)
