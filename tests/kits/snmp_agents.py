"""Real SNMP agents on loopback for the tests: snmpsim with recordings, Debian's snmpd.

Both bind 127.0.0.1 on a free port and are stopped at the end. As root, each drops
to nobody/nogroup, so their files live in world-readable temporary folders.
"""

from __future__ import annotations

import asyncio
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import snmpsim

from bridge.probes.snmp.discovery import discover_engine

DATA = Path(__file__).resolve().parents[1] / "data" / "snmp"
RECORDED = Path(snmpsim.__file__).resolve().parent / "data" / "recorded"
# Debian's faketime, whichever the architecture
FAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
# snmpsim drops privileges before it indexes its data and answers; modules it imports
# lazily then cannot be read from an interpreter under /root (mode 0700).
_SNMPSIM = ("import dbm.dumb, encodings.latin_1, sys;"
            "from snmpsim.commands.responder import main; sys.exit(main())")


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unprivileged() -> list[str]:
    return ["nobody", "nogroup"] if os.geteuid() == 0 else []


def _share(path: Path) -> Path:
    """Make `path` a folder the unprivileged agent can read and write."""
    path.mkdir(exist_ok=True)
    path.chmod(0o755)
    if os.geteuid() == 0:
        os.chown(path, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
    return path


def wait_until_answering(port: int, timeout_s: float = 60.0) -> None:
    """Block until an agent on 127.0.0.1:`port` answers SNMPv3 engine ID discovery."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            asyncio.run(discover_engine("127.0.0.1", port, 0.5, 0))
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no SNMP agent answered on 127.0.0.1:{port} in {timeout_s:g} s")


class Agent:
    """A running agent process."""

    def __init__(self, argv: list[str], port: int, home: Path, log_name: str) -> None:
        self.argv = argv
        self.port = port
        self.home = home
        self.log = home / log_name
        self.log.write_bytes(b"")
        self.start()

    def start(self) -> None:
        """Start the agent and wait until it answers."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         env={**os.environ, "MIBS": ""})
        try:
            wait_until_answering(self.port)
        except AssertionError:
            self.stop()
            raise AssertionError(f"{self.argv[0]} did not start:\n{self.log.read_text()}") \
                from None

    def stop(self) -> None:
        """Terminate the agent and wait for it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def close(self) -> None:
        """Stop and remove the agent's files."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def start_snmpsim() -> Agent:
    """snmpsim serving its own recordings (community `recorded/NAME`) and tests/data/snmp
    (community = file name without .snmprec)."""
    home = _share(Path(tempfile.mkdtemp(prefix="bridge-snmpsim-")))
    data = home / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.py"))
    shutil.copytree(RECORDED, data / "recorded")
    for path in data.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    _share(home / "cache")
    port = free_udp_port()
    user = _unprivileged()
    argv = [sys.executable, "-c", _SNMPSIM, f"--data-dir={data}", f"--cache-dir={home / 'cache'}",
            f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--logging-method=stderr"]
    if user:
        argv += [f"--process-user={user[0]}", f"--process-group={user[1]}"]
    return Agent(argv, port, home, "snmpsim.log")


class Snmpd(Agent):
    """Debian's snmpd, which keeps its engine ID and counts its boots in state/snmpd.conf."""

    def restart(self, new_engine_id: bool = False, engine_boots: int | None = None,
                clock_speed: int = 1) -> None:
        """Stop and start again: as after a reboot (same engine ID, engineBoots + 1); with
        `new_engine_id`, as after losing its state (unless snmpd.conf fixes the engine ID);
        with `engine_boots`, as an agent that lost count (it boots as `engine_boots` + 1,
        with its engine ID). `clock_speed` runs its clocks that many times faster
        (libfaketime), so that its engineTime is soon far past RFC 3414's 150 s window."""
        self.stop()
        state = self.home / "state" / "snmpd.conf"
        if new_engine_id:
            state.write_text("")
        elif engine_boots is not None:
            state.write_text(re.sub(r"^engineBoots \d+$", f"engineBoots {engine_boots}",
                                    state.read_text(), flags=re.MULTILINE))
        snmpd = self.argv[self.argv.index("snmpd"):]
        assert clock_speed == 1 or FAKETIME, "libfaketime is missing: apt-get install faketime"
        # env replaces itself with snmpd: the process to stop stays the agent
        self.argv = snmpd if clock_speed == 1 else [
            "env", f"LD_PRELOAD={FAKETIME}", f"FAKETIME=+0 x{clock_speed}", *snmpd]
        self.start()

    def wait_for_engine_time(self, past_s: int, timeout_s: float = 60.0) -> None:
        """Block until the agent's engineTime is past `past_s` (soon with a fast clock)."""
        deadline = time.monotonic() + timeout_s
        while asyncio.run(discover_engine("127.0.0.1", self.port, 0.5, 2)).time_s <= past_s:
            if time.monotonic() > deadline:
                raise AssertionError(f"snmpd's engineTime did not pass {past_s} s")
            time.sleep(0.05)


def start_snmpd(users: dict[str, tuple[str | None, str | None]], community: str = "public",
                engine_id: str | None = None, more: Sequence[str] = ()) -> Snmpd:
    """Debian's net-snmp snmpd with read-only v3 users {name: (SHA-256 key, AES key)};
    a None key lowers the user's level (no privacy, or no authentication either).
    `more`: further snmpd.conf lines (users of other protocols)."""
    home = _share(Path(tempfile.mkdtemp(prefix="bridge-snmpd-")))
    state = _share(home / "state") / "snmpd.conf"
    state.write_text("")  # snmpd keeps its engine ID and engineBoots here
    if os.geteuid() == 0:
        os.chown(state, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
    lines = [f"[snmp] persistentDir {home / 'state'}", f"rocommunity {community} 127.0.0.1",
             "sysName bridge-test-snmpd", "sysLocation loopback"]
    if engine_id:
        lines.append(f"engineID {engine_id}")
    for name, (auth_key, priv_key) in users.items():
        if auth_key is None:
            lines += [f"createUser {name}", f"rouser {name} noauth"]
        elif priv_key is None:
            lines += [f'createUser {name} SHA-256 "{auth_key}"', f"rouser {name} auth"]
        else:
            lines += [f'createUser {name} SHA-256 "{auth_key}" AES "{priv_key}"',
                      f"rouser {name} priv"]
    conf = home / "snmpd.conf"
    conf.write_text("\n".join([*lines, *more]) + "\n")
    conf.chmod(0o644)
    port = free_udp_port()
    user = _unprivileged()
    # -C: no configuration but ours, which lists the persistent file explicitly (it is
    # read from the configuration path only, and /etc/snmp is on that)
    argv = ["snmpd", "-f", "-Lo", "-C", "-c", f"{conf},{state}", "-m", ""]
    if user:
        argv += ["-u", user[0], "-g", user[1]]
    return Snmpd([*argv, f"udp:127.0.0.1:{port}"], port, home, "snmpd.log")
