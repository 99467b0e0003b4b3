"""The peer side of the ping benchmark: one `fping -C` run over the same targets."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from bench.common import PeerMissingError, children_cpu_s
from bench.ping_work import PingTally, PingWork, require_loopback

INSTALL_HINT = "fping is not on PATH; install it with: apt-get install fping"


def fping_path() -> str:
    """Where fping is; raises PeerMissingError with the install command when it is not."""
    path = shutil.which("fping")
    if path is None:
        raise PeerMissingError(INSTALL_HINT)
    return path


def fping_version(path: str) -> str:
    """E.g. "fping 5.1"."""
    done = subprocess.run([path, "-v"], capture_output=True, text=True, check=False)
    words = (done.stdout or done.stderr).split()
    return f"fping {words[-1]}" if words else "fping"


def fping_args(path: str, work: PingWork) -> list[str]:
    """fping with the same packets per target, spacing and timeout as bridge's probe."""
    # fping paces all sends at least -i ms apart (default 10); bridge has no global pacing,
    # so use the fastest allowed: 0 for root, 1 for anyone else.
    interval_ms = 0 if os.geteuid() == 0 else 1
    return [path, "-q", "-C", str(work.count), "-p", _ms(work.packet_interval_s),
            "-t", _ms(work.timeout_s), "-i", str(interval_ms)]


def _ms(seconds: float) -> str:
    return str(round(seconds * 1000))


def ping_with_fping(path: str, work: PingWork) -> PingTally:
    """Run one round; fping exits 0 (all up) or 1 (some down), anything else is an error."""
    require_loopback(work.targets)
    cpu_before_s, t0 = children_cpu_s(), time.perf_counter()
    done = subprocess.run([*fping_args(path, work), *work.targets],
                          capture_output=True, text=True, check=False)
    wall_s, cpu_s = time.perf_counter() - t0, children_cpu_s() - cpu_before_s
    if done.returncode not in (0, 1):
        raise RuntimeError(f"fping failed ({done.returncode}):\n{done.stderr}")
    rtts_ms = parse_vcount(done.stderr)
    up = replies = 0
    rtt_sum_ms = 0.0
    down: list[str] = []
    for target in work.targets:
        answered = [rtt for rtt in rtts_ms.get(target, []) if rtt is not None]
        up += bool(answered)
        replies += len(answered)
        rtt_sum_ms += sum(answered)
        if not answered:
            down.append(f"{target}: no reply" if target in rtts_ms else f"{target}: not reported")
    return PingTally(run_cpu_s=cpu_s, process_cpu_s=cpu_s, wall_s=wall_s, up=up,
                     replies=replies, rtt_sum_ms=rtt_sum_ms, down_examples=tuple(down[:3]))


def parse_vcount(output: str) -> dict[str, list[float | None]]:
    """Parse `fping -C` lines (`127.0.1.1 : 0.03 - 0.02`); "-" is a lost packet."""
    rtts: dict[str, list[float | None]] = {}
    for line in output.splitlines():
        address, sep, values = line.partition(" : ")
        if sep:
            rtts[address.strip()] = [None if v == "-" else float(v) for v in values.split()]
    return rtts
