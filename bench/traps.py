"""The `traps` benchmark: SNMPv2c linkDown traps sent to a running `bridge run` until each is
a ticket decision in the store, side by side with net-snmp's snmptrapd receiving the same
traps (it only logs them: the established tool's receive path, no tickets).

Both sides get the same datagrams on loopback, from DEVICES sender addresses, paced at
RATE_PER_S so neither loses any to a full socket buffer; the row is the receiving process's
CPU (user + system, from /proc) per trap.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench.common import PeerMissingError, Report, Row, process_cpu_s
from bridge.probes.snmp.ber import _integer, _tlv, encode_oid

TRAPS, QUICK_TRAPS = 20_000, 2_000
DEVICES = 50
RATE_PER_S = 2_000
COMMUNITY = b"bench-community"
PEER = "net-snmp snmptrapd"
REPO_ROOT = Path(__file__).resolve().parents[1]
_LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
_IF_INDEX = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)


def _free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _trap(request_id: int, if_index: int) -> bytes:
    """An SNMPv2c linkDown of one interface."""
    def varbind(oid: tuple[int, ...], value: bytes) -> bytes:
        return _tlv(0x30, encode_oid(oid) + value)
    varbinds = (varbind((1, 3, 6, 1, 2, 1, 1, 3, 0), _tlv(0x43, b"\x01"))
                + varbind((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), encode_oid(_LINK_DOWN))
                + varbind((*_IF_INDEX, if_index), _integer(if_index)))
    pdu = _tlv(0xA7, _integer(request_id) + _integer(0) + _integer(0) + _tlv(0x30, varbinds))
    return _tlv(0x30, _integer(1) + _tlv(0x04, COMMUNITY) + pdu)


def _send(port: int, count: int, done: Callable[[], int], proc: subprocess.Popen[bytes]
          ) -> float:
    """Send `count` traps paced at RATE_PER_S; the receiver's CPU seconds until all are done."""
    senders = []
    for i in range(DEVICES):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((f"127.11.0.{i + 1}", 0))
        senders.append(sock)
    start_cpu = process_cpu_s(proc.pid)
    t0 = time.monotonic()
    try:
        for n in range(count):
            senders[n % DEVICES].sendto(_trap(n + 1, n // DEVICES + 1), ("127.0.0.1", port))
            if n % 100 == 99:
                time.sleep(max(0.0, t0 + (n + 1) / RATE_PER_S - time.monotonic()))
        deadline = time.monotonic() + 120
        while done() < count:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"only {done()} of {count} traps arrived")
            time.sleep(0.2)
    finally:
        for sock in senders:
            sock.close()
    return process_cpu_s(proc.pid) - start_cpu


def _metric_sum(url: str, name: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return 0
    return int(sum(float(line.rpartition(" ")[2]) for line in text.splitlines()
                   if line.startswith(name + "{")))


def _bridge_side(root: Path, count: int) -> float:
    for folder in ("config", "probes", "rules", "intake", "secrets"):
        (root / folder).mkdir()
    inventory = '[customers.acme]\nname = "Acme"\n'
    for i in range(DEVICES):
        inventory += (f'\n[devices.d{i}]\ncustomer = "acme"\naddress = "127.11.0.{i + 1}"\n'
                      'probes = ["idle"]\n')
    (root / "config" / "inventory.toml").write_text(inventory)
    (root / "probes" / "idle.toml").write_text(
        '[probes.idle]\nkind = "icmp"\ninterval_s = 3600\ntimeout_s = 1\n')
    (root / "secrets" / "community").write_text(COMMUNITY.decode() + "\n")
    port = _free_port()
    (root / "intake" / "traps.toml").write_text(
        f'[sources.snmp]\nkind = "snmp_trap"\n'
        'rate_per_s = 100000\nburst = 100000\n\n'  # throughput measured, not the limit
        '[sources.snmp.traps]\n'
        f'listen = "127.0.0.1:{port}"\ncommunity = "file:secrets/community"\n\n'
        '[[sources.snmp.traps.rules]]\ntrap = "linkDown"\nkey = "link {ifIndex}"\n\n'
        '[[sources.snmp.routes]]\ncustomer = "acme"\ndevice_label = "agent"\n')
    http = _free_port(socket.SOCK_STREAM)
    (root / "bridge.toml").write_text(
        f'[storage]\nurl = "sqlite:///bridge.db"\n\n[http]\nlisten = "127.0.0.1:{http}"\n')
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "run", "-c",
                             str(root / "bridge.toml")], cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    metrics = f"http://127.0.0.1:{http}/metrics"
    try:
        deadline = time.monotonic() + 60
        while not _metric_sum(metrics, "bridge_intake_refused_total") and \
                time.monotonic() < deadline:  # an unmatched trap counted: it listens
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(b"\x30\x00", ("127.0.0.1", port))
            time.sleep(0.3)
        return _send(port, count,
                     lambda: _metric_sum(metrics, "bridge_intake_alerts_total"), proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _peer_side(binary: str, root: Path, count: int) -> float:
    conf, log = root / "snmptrapd.conf", root / "traps.log"
    conf.write_text(f"authCommunity log {COMMUNITY.decode()}\ndisableAuthorization no\n")
    log.write_text("")
    port = _free_port()
    proc = subprocess.Popen([binary, "-f", "-n", "-C", "-c", str(conf), "-Lf", str(log),
                             "-F", "T %B %N\n", f"udp:127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "MIBS": ""})
    try:
        time.sleep(1.0)

        def done() -> int:
            return log.read_text().count("\nT ") + log.read_text().startswith("T ")
        return _send(port, count, done, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(*, quick: bool) -> Report:
    """Send the same traps to bridge and to snmptrapd; compare CPU per trap."""
    binary = shutil.which("snmptrapd") or "/usr/sbin/snmptrapd"
    if not os.path.exists(binary):
        raise PeerMissingError("snmptrapd is not installed (apt-get install snmptrapd)")
    count = QUICK_TRAPS if quick else TRAPS
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bridge").mkdir()
        (Path(tmp) / "peer").mkdir()
        cpu = _bridge_side(Path(tmp) / "bridge", count)
        peer_cpu = _peer_side(binary, Path(tmp) / "peer", count)
    rows = [Row("traps.cpu_ms_per_trap", "ms", cpu * 1000 / count, peer_cpu * 1000 / count,
                PEER)]
    notes = [f"{count} SNMPv2c linkDown traps from {DEVICES} loopback senders at "
             f"{RATE_PER_S}/s; bridge: each one a ticket decision on SQLite, snmptrapd: "
             "each one logged (goal: bridge at most 1x snmptrapd's CPU per trap)"]
    if peer_cpu and cpu > peer_cpu:
        notes.append(f"WARNING: bridge used {cpu / peer_cpu:.1f}x snmptrapd's CPU per trap")
    return Report(rows, notes)
