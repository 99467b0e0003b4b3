"""The peers of the snmp benchmark: net-snmp's snmpget (a process per poll) and snmp_exporter."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import PeerMissingError, children_cpu_s
from bench.snmp_work import (
    COMMUNITY,
    OIDS,
    V3_AUTH_KEY,
    V3_PRIV_KEY,
    V3_USER,
    SnmpTally,
    SnmpWork,
    require_loopback,
)

SNMPGET_HINT = "snmpget is not on PATH; install it with: apt-get install snmp"
EXPORTER = "prometheus-snmp-exporter"
EXPORTER_HINT = f"{EXPORTER} is not on PATH; install it with: apt-get install {EXPORTER}"
_ENV = {**os.environ, "MIBS": ""}  # no MIB files parsed: snmpget as fast as it goes


def snmpget_path() -> str:
    """Where snmpget is, or PeerMissingError with the install command."""
    path = shutil.which("snmpget")
    if path is None:
        raise PeerMissingError(SNMPGET_HINT)
    return path


def version(argv: list[str], name: str) -> str:
    """E.g. "net-snmp 5.9.3" from the tool's version output."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=_ENV)
    text = (done.stdout + done.stderr).split()
    words = [w for w in text if w[:1].isdigit()]
    return f"{name} {words[0].rstrip(',')}" if words else name


def snmpget_args(path: str, work: SnmpWork) -> list[str]:
    """One poll, as a check script runs it: numeric output, no MIB look-ups."""
    return [path, "-v2c", "-c", COMMUNITY, "-On", "-t", f"{work.timeout_s:g}",
            "-r", str(work.retries), f"{work.host}:{work.port}", *OIDS]


def poll_with_snmpget(path: str, work: SnmpWork) -> SnmpTally:
    """`polls` snmpget processes, one after the other."""
    require_loopback(work.host)
    argv = snmpget_args(path, work)
    ok, failures = 0, list[str]()
    cpu_before_s, t0 = children_cpu_s(), time.perf_counter()
    for _ in range(work.polls):
        done = subprocess.run(argv, capture_output=True, text=True, check=False, env=_ENV)
        if done.returncode == 0 and done.stdout.count("\n") == len(OIDS):
            ok += 1
        elif len(failures) < 3:
            failures.append(done.stderr.strip() or done.stdout.strip())
    wall_s, cpu_s = time.perf_counter() - t0, children_cpu_s() - cpu_before_s
    return SnmpTally(cpu_s, cpu_s, wall_s, work.polls, ok, tuple(failures))


# snmp_exporter 0.21's format (no generator): a module per SNMP version, the same GET
EXPORTER_MODULE = """{name}:
  version: {version}
  auth:
{auth}
  retries: {retries}
  timeout: {timeout_ms}ms
  get: [{oids}]
  metrics:
    - {{name: sysUpTime, oid: 1.3.6.1.2.1.1.3, type: gauge, help: Time since the agent started}}
    - {{name: sysName, oid: 1.3.6.1.2.1.1.5, type: DisplayString, help: The device name}}
    - {{name: sysDescr, oid: 1.3.6.1.2.1.1.1, type: DisplayString, help: The description}}
"""
EXPORTER_AUTHS = {
    "2c": ("bench3", 2, f"    community: {COMMUNITY}"),
    "3": ("bench3v3", 3, f"    username: {V3_USER}\n    security_level: authPriv\n"
                          f"    password: {V3_AUTH_KEY}\n    auth_protocol: SHA256\n"
                          f"    priv_protocol: AES\n    priv_password: {V3_PRIV_KEY}"),
}


def _process_cpu_s(pid: int) -> float:
    """utime + stime of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_tcp_port() -> int:
    """A free TCP port on 127.0.0.1 (for the exporter's web listener)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SnmpExporter:
    """A running snmp_exporter on 127.0.0.1 with modules that GET the same three OIDs (v2c
    and v3)."""

    def __init__(self, work: SnmpWork) -> None:
        path = shutil.which(EXPORTER)
        if path is None:
            raise PeerMissingError(EXPORTER_HINT)
        self.name = version([path, "--version"], "snmp_exporter")
        self.home = Path(tempfile.mkdtemp(prefix="bridge-bench-exporter-"))
        config = self.home / "snmp.yml"
        config.write_text("".join(EXPORTER_MODULE.format(
            name=name, version=number, auth=auth, retries=work.retries,
            timeout_ms=round(work.timeout_s * 1000), oids=", ".join(OIDS))
            for name, number, auth in EXPORTER_AUTHS.values()))
        self.port = free_tcp_port()
        log = self.home / "exporter.log"
        with log.open("wb") as sink:
            self.proc = subprocess.Popen(
                [path, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{self.port}",
                 "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=sink)
        deadline = time.monotonic() + 30  # a busy machine starts it slowly
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        said = log.read_text(errors="replace").strip()[-500:]
        self.close()
        raise RuntimeError(f"snmp_exporter did not start: {said or 'no output'}")

    def scrape(self, url: str) -> str | None:
        """One scrape; None when it has all three values, else the end of the body."""
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = resp.read().decode()
        values = [line for line in body.splitlines() if line.startswith(("sysUpTime ", "sysName{",
                                                                         "sysDescr{"))]
        return None if len(values) == len(OIDS) else body[-300:]

    def poll(self, work: SnmpWork, threads: int) -> SnmpTally:
        """`polls` scrapes of /snmp for the agent, `threads` at a time (as Prometheus does
        for many targets); the exporter's own CPU is read from /proc."""
        require_loopback(work.host)
        url = (f"http://127.0.0.1:{self.port}/snmp?module={EXPORTER_AUTHS[work.version][0]}"
               f"&target={work.host}:{work.port}")
        cpu_before_s, t0 = _process_cpu_s(self.proc.pid), time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            outcomes = list(pool.map(self.scrape, [url] * work.polls))
        wall_s = time.perf_counter() - t0
        cpu_s = _process_cpu_s(self.proc.pid) - cpu_before_s
        failures = tuple(o for o in outcomes if o is not None)
        return SnmpTally(cpu_s, cpu_s, wall_s, work.polls, work.polls - len(failures),
                         failures[:3])

    def close(self) -> None:
        """Stop the exporter."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.home, ignore_errors=True)
