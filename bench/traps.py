"""The `traps` benchmark: a realistic mix of linkDown/linkUp traps (bench/trap_work.py) sent
to a running `bridge run` and to net-snmp's snmptrapd in the same run, as SNMPv2c and as
SNMPv3 authPriv; the row is the receiving process's CPU (user + system, from /proc) per trap.

bridge runs twice per version on the same datagrams: once with every device in a
maintenance window (each trap decoded, authenticated, matched, routed and its alert state
stored; no ticket decisions: the receive path) and once as it runs in production (the same,
plus the ticket decisions). snmptrapd logs every trap to a file in its default format, as
an operator runs it. Each side is done when it answers an INFORM sent after the last trap.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import trap_work
from bench.common import PeerMissingError, Report, Row, process_cpu_s
from bench.trap_work import COMMUNITY, DEVICES, V3_AUTH, V3_PRIV, V3_USER

TRAPS, QUICK_TRAPS = 20_000, 2_000
RATE_PER_S = 500  # a storm; a 2-core machine shared with other work keeps up with it
PEER = "net-snmp snmptrapd"
REPO_ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ("v2c", "v3")


def _free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _send(port: int, datagrams: list[tuple[int, bytes]], proc: subprocess.Popen[bytes]
          ) -> float:
    """Send the datagrams paced at RATE_PER_S, then an INFORM; the receiver's CPU seconds
    until it answers that INFORM."""
    senders = []
    for i in range(DEVICES):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((f"127.11.0.{i + 1}", 0))
        senders.append(sock)
    start_cpu = process_cpu_s(proc.pid)
    t0 = time.monotonic()
    try:
        for n, (device, data) in enumerate(datagrams):
            senders[device].sendto(data, ("127.0.0.1", port))
            if n % 100 == 99:
                time.sleep(max(0.0, t0 + (n + 1) / RATE_PER_S - time.monotonic()))
        _inform(senders[0], port, len(datagrams) + 1, proc)
    finally:
        for sock in senders:
            sock.close()
    return process_cpu_s(proc.pid) - start_cpu


def _inform(sock: socket.socket, port: int, request_id: int,
            proc: subprocess.Popen[bytes]) -> None:
    sock.settimeout(1.0)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        sock.sendto(trap_work.marker(request_id), ("127.0.0.1", port))
        try:
            sock.recv(65535)
            return
        except TimeoutError:
            continue
    raise RuntimeError("the receiver never answered the INFORM after the last trap")


def _metric_sum(url: str, name: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return 0
    return int(sum(float(line.rpartition(" ")[2]) for line in text.splitlines()
                   if line.startswith(name + "{")))


def _deployment(root: Path, port: int, http: int, *, maintenance: bool) -> None:
    for folder in ("config", "probes", "rules", "intake", "secrets"):
        (root / folder).mkdir()
    inventory = '[customers.acme]\nname = "Acme"\n'
    for i in range(DEVICES):
        inventory += (f'\n[devices.d{i}]\ncustomer = "acme"\naddress = "127.11.0.{i + 1}"\n'
                      'probes = ["idle"]\n')
    if maintenance:
        now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
        inventory += (f'\n[maintenance.bench]\ncustomers = ["acme"]\n'
                      f'start = {(now - timedelta(days=1)).isoformat()}\n'
                      f'end = {(now + timedelta(days=1)).isoformat()}\n')
    (root / "config" / "inventory.toml").write_text(inventory)
    (root / "probes" / "idle.toml").write_text(
        '[probes.idle]\nkind = "icmp"\ninterval_s = 3600\ntimeout_s = 1\n')
    (root / "secrets" / "community").write_text(COMMUNITY.decode() + "\n")
    (root / "secrets" / "v3.auth").write_text(V3_AUTH.decode() + "\n")
    (root / "secrets" / "v3.priv").write_text(V3_PRIV.decode() + "\n")
    (root / "intake" / "traps.toml").write_text(
        f'[sources.snmp]\nkind = "snmp_trap"\n'
        'rate_per_s = 100000\nburst = 100000\n\n'  # throughput measured, not the limit
        '[sources.snmp.traps]\n'
        f'listen = "127.0.0.1:{port}"\ncommunity = "file:secrets/community"\n\n'
        f'[[sources.snmp.traps.users]]\nname = "{V3_USER.decode()}"\nauth_protocol = "sha"\n'
        'auth_key = "file:secrets/v3.auth"\npriv_protocol = "aes128"\n'
        'priv_key = "file:secrets/v3.priv"\n\n'
        '[[sources.snmp.traps.rules]]\ntrap = "linkDown"\nkey = "link {ifIndex}"\n\n'
        '[[sources.snmp.traps.rules]]\ntrap = "linkUp"\nstate = "resolved"\n'
        'key = "link {ifIndex}"\n\n'
        '[[sources.snmp.routes]]\ncustomer = "acme"\ndevice_label = "agent"\n')
    (root / "bridge.toml").write_text(
        f'[storage]\nurl = "sqlite:///bridge.db"\n\n[http]\nlisten = "127.0.0.1:{http}"\n')


def _bridge_side(root: Path, datagrams: list[tuple[int, bytes]], *, maintenance: bool) -> float:
    port, http = _free_port(), _free_port(socket.SOCK_STREAM)
    _deployment(root, port, http, maintenance=maintenance)
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
        time.sleep(2.0)  # start-up work done
        refused = _metric_sum(metrics, "bridge_intake_refused_total")
        cpu = _send(port, datagrams, proc)
        taken = _metric_sum(metrics, "bridge_intake_alerts_total")
        refused = _metric_sum(metrics, "bridge_intake_refused_total") - refused
        if taken < len(datagrams) + 1 or refused:  # + the INFORM, perhaps sent again
            raise RuntimeError(f"bridge took {taken} of {len(datagrams) + 1} traps "
                               f"({refused} refused: its store fell behind at {RATE_PER_S}/s "
                               "if the reason is overloaded)")
        return cpu
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _peer_side(binary: str, root: Path, datagrams: list[tuple[int, bytes]]) -> float:
    conf, log = root / "snmptrapd.conf", root / "traps.log"
    conf.write_text(f"authCommunity log {COMMUNITY.decode()}\n"
                    f"createUser -e 0x{trap_work.SENDER_ENGINE_ID.hex()} {V3_USER.decode()} "
                    f"SHA {V3_AUTH.decode()} AES {V3_PRIV.decode()}\n"
                    f"authUser log {V3_USER.decode()} priv\n")
    port = _free_port()
    proc = subprocess.Popen([binary, "-f", "-n", "-C", "-c", str(conf), "-Lf", str(log),
                             f"udp:127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        cpu = _send(port, datagrams, proc)
        logged = log.read_text().count("[UDP: [")
        if logged < len(datagrams) + 1:
            raise RuntimeError(f"snmptrapd logged {logged} of {len(datagrams) + 1} traps")
        return cpu
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(*, quick: bool) -> Report:
    """Send the same traps to bridge (receive path; with tickets) and to snmptrapd."""
    binary = shutil.which("snmptrapd") or "/usr/sbin/snmptrapd"
    if not os.path.exists(binary):
        raise PeerMissingError("snmptrapd is not installed (apt-get install snmptrapd)")
    count = QUICK_TRAPS if quick else TRAPS
    traps, shares = trap_work.mix(count)
    rows: list[Row] = []
    notes = [f"{count} traps from {DEVICES} loopback senders at {RATE_PER_S}/s: "
             f"{shares.repeats} repeat an open linkDown, {shares.new} open a new problem, "
             f"{shares.clears} clear one (linkUp); bridge on SQLite; snmptrapd logs each "
             "to a file in its default format (goal: bridge at most 1x snmptrapd's CPU per "
             "trap)",
             "receive: every device in maintenance (decode, authenticate, match, route, "
             "store the alert's state; no ticket decisions); tickets: the same plus the "
             "ticket decisions"]
    for version in VERSIONS:
        datagrams = trap_work.datagrams(traps, version)
        with tempfile.TemporaryDirectory() as tmp:
            for side in ("receive", "tickets", "peer"):
                (Path(tmp) / side).mkdir()
            receive = _bridge_side(Path(tmp) / "receive", datagrams, maintenance=True)
            tickets = _bridge_side(Path(tmp) / "tickets", datagrams, maintenance=False)
            peer = _peer_side(binary, Path(tmp) / "peer", datagrams)
        for what, cpu in (("receive", receive), ("tickets", tickets)):
            rows.append(Row(f"traps.{version}.{what}.cpu_ms_per_trap", "ms",
                            cpu * 1000 / count, peer * 1000 / count, PEER))
            if peer and cpu > peer:
                notes.append(f"WARNING: {version} {what}: bridge used {cpu / peer:.1f}x "
                             "snmptrapd's CPU per trap")
            elif peer:
                notes.append(f"{version} {what}: meets the goal ({cpu / peer:.2f}x)")
    return Report(rows, notes)
