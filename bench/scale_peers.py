"""The peers of the scale benchmark, run together for the same time on the same load:
`fping -l` pinging every device, and snmp_exporter scraped for every SNMP device.

fping's loop mode sends one echo request per target every `-p` ms, so `-p` is the check
interval over the packets per check (3 packets per 30 s: one every 10 s); bridge sends
its 3 packets 0.2 s apart instead, the same number of packets. snmp_exporter is scraped
for each SNMP device once per interval, the scrapes spread evenly over it, as Prometheus
spreads its targets; the scraper's own CPU is not counted, the exporter's is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.ping_work import require_loopback
from bench.scale_work import ScaleWork
from bench.snmp_peers import SnmpExporter

SCRAPE_THREADS = 16


@dataclass(frozen=True)
class PeerTally:
    """One peer's cost and answers over the measured window."""

    cpu_s: float
    rss_peak_kib: int
    done: int  # echo requests sent, or scrapes made
    expected: float
    answered: int  # echo replies, or scrapes with every value


def _proc(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and peak RSS (KiB) of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return cpu_s, int(line.split()[1])
    return cpu_s, 0


def fping_args(path: str, work: ScaleWork) -> list[str]:
    """fping in loop mode, one request per target every interval / count."""
    period_ms = round(work.ping_interval_s / work.count * 1000)
    interval_ms = 0 if os.geteuid() == 0 else 1  # fping's global pacing, as in bench ping
    return [path, "-l", "-q", "-p", str(period_ms), "-t", str(round(work.ping_timeout_s * 1000)),
            "-i", str(interval_ms)]


# fping keeps each sequence number it sent for a period (10 s here) in a map of 65,535:
# 50,000 targets a period left too little room, and a round sent late overran it ("not
# enough sequence numbers available!" in 2 of 8 full-size runs on 2026-12-07). Each fping
# process has its own map, so the targets are split between processes of at most this many.
FPING_TARGETS_MAX = 25_000


class FpingLoop:
    """Running `fping -l` processes over every pinged address (at most `targets_max` in
    each); SIGINT ends them with their totals, added up."""

    def __init__(self, path: str, work: ScaleWork,
                 targets_max: int = FPING_TARGETS_MAX) -> None:
        self._targets = work.ping_addresses()
        require_loopback(self._targets)
        self._work = work
        self.procs = [
            subprocess.Popen([*fping_args(path, work), *self._targets[at:at + targets_max]],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for at in range(0, len(self._targets), targets_max)]
        self._cpu0_s = sum(_proc(proc.pid)[0] for proc in self.procs)

    def finish(self) -> PeerTally:
        """Stop fping; each one's final summary (`addr : xmt/rcv/%loss = 9/9/0%, …`) has
        its totals. CPU and peak RSS are those of all the processes, added up."""
        used = [_proc(proc.pid) for proc in self.procs]
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)
        sent = received = 0
        for proc in self.procs:
            _, err = proc.communicate(timeout=60)
            sent_before = sent
            for line in err.splitlines():
                _, sep, stats = line.partition(" : xmt/rcv/%loss = ")
                if sep:
                    xmt, rcv = stats.split("/")[:2]
                    sent, received = sent + int(xmt), received + int(rcv)
            if sent == sent_before:  # not a loop summary: show what fping said
                raise RuntimeError(f"fping -l printed no summary:\n{err[-2000:]}")
        expected = len(self._targets) * self._work.count * self._work.expected_runs(
            self._work.ping_interval_s)
        return PeerTally(sum(cpu_s for cpu_s, _ in used) - self._cpu0_s,
                         sum(rss_kib for _, rss_kib in used), sent, expected, received)


def scrape_spread(exporter: SnmpExporter, work: ScaleWork, port: int) -> PeerTally:
    """Scrape the exporter for every SNMP device once per interval, evenly spread, for
    `duration_s`; returns the exporter's cost and how many scrapes had every value."""
    targets = work.snmp_addresses()
    url = f"http://127.0.0.1:{exporter.port}/snmp?module=bench3&target={{}}:{port}"
    step_s = work.snmp_interval_s / len(targets)
    answered = done = 0
    lock = threading.Lock()

    def scrape(target: str) -> None:
        nonlocal answered, done
        ok = exporter.scrape(url.format(target)) is None
        with lock:
            done += 1
            answered += ok

    cpu0_s = _proc(exporter.proc.pid)[0]
    start = time.monotonic()
    with ThreadPoolExecutor(SCRAPE_THREADS) as pool:
        n = 0
        while (due := start + n * step_s) < start + work.duration_s:
            time.sleep(max(0.0, due - time.monotonic()))
            pool.submit(scrape, targets[n % len(targets)])
            n += 1
    cpu_s, rss_kib = _proc(exporter.proc.pid)
    expected = len(targets) * work.expected_runs(work.snmp_interval_s)
    return PeerTally(cpu_s - cpu0_s, rss_kib, done, expected, answered)

