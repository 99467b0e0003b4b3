"""The one map from probe kind to the code that runs it, and the shared wrapper.

The wrapper owns what every probe shares: the overall deadline, timing, and turning
any unexpected exception into a failed result so no loop ever dies of a probe.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from bridge.config.model import Probe, ProbeKind
from bridge.core.results import ProbeResult
from bridge.probes.icmp import IcmpProber

log = logging.getLogger(__name__)

ProbeFn = Callable[[str, Probe, datetime], Awaitable[ProbeResult]]


class Probers:
    """Per-daemon probe instances (sockets, engines), keyed by kind."""

    def __init__(self, icmp: IcmpProber | None = None) -> None:
        self.icmp = icmp or IcmpProber()

    def functions(self) -> dict[ProbeKind, ProbeFn]:
        """The registry: every ProbeKind has exactly one function."""
        return {ProbeKind.ICMP: self.icmp.check}

    def close(self) -> None:
        """Release sockets and engines."""
        self.icmp.close()


async def run_probe(
    probers: Probers, address: str, probe: Probe, started: datetime
) -> ProbeResult:
    """Run one probe with a hard deadline; never raises (except cancellation)."""
    fn = probers.functions()[probe.kind]
    t0 = time.perf_counter()
    deadline_s = probe.duration_budget_s() + 1.0
    try:
        async with asyncio.timeout(deadline_s):  # unlike wait_for, no extra task per check
            result = await fn(address, probe, started)
    except TimeoutError:
        result = ProbeResult(False, started, 0.0, f"probe did not finish within {deadline_s:g} s")
    except Exception as exc:  # a probe failure is a result, never a crash
        log.exception("probe %s raised for %s", probe.kind, address)
        result = ProbeResult(False, started, 0.0, f"probe error: {type(exc).__name__}: {exc}")
    return replace(result, duration_s=time.perf_counter() - t0)
