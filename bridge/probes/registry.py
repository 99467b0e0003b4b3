"""The one map from probe kind to the code that runs it, and the shared wrapper.

The wrapper owns what every probe shares: the overall deadline, timing, and turning
any unexpected exception into a failed result so no loop ever dies of a probe.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bridge.core.probe_kinds import Probe
from bridge.core.probe_kinds.base import ProbeKind
from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.probe_kinds.snmp import SnmpAccess, SnmpProbe
from bridge.core.results import ProbeResult
from bridge.probes.deadlines import Deadlines
from bridge.probes.icmp.probe import IcmpProber

if TYPE_CHECKING:
    from bridge.probes.snmp.learned import LearnedPorts
    from bridge.probes.snmp.probe import SnmpProber

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """What a check runs against: the device's address and, for SNMP, its agent access.

    `device` and `probe` name the check; probes that remember the last poll (SNMP
    counters, sysUpTime) keep that memory per check.
    """

    address: str
    device: str = ""
    probe: str = ""
    snmp: SnmpAccess | None = None


ProbeFn = Callable[[Target, Probe, datetime], Awaitable[ProbeResult]]


class Probers:
    """Per-daemon probe instances (sockets, engines), keyed by kind."""

    def __init__(self, icmp: IcmpProber | None = None, snmp: SnmpProber | None = None,
                 learned: LearnedPorts | None = None) -> None:
        self.icmp = icmp or IcmpProber()
        self._snmp = snmp
        self._learned = learned  # where SNMP checks keep the interfaces they learn
        self.deadlines = Deadlines()
        self._functions: dict[ProbeKind, ProbeFn] = {
            ProbeKind.ICMP: self._run_icmp, ProbeKind.SNMP: self._run_snmp}

    def functions(self) -> dict[ProbeKind, ProbeFn]:
        """The registry: every ProbeKind has exactly one function."""
        return self._functions

    def _run_icmp(self, target: Target, probe: Probe, started: datetime) -> Awaitable[ProbeResult]:
        # Hands over the check's own coroutine: a wrapping coroutine per check would be
        # one more frame to create and to pass through on every resume.
        assert isinstance(probe, IcmpProbe)
        return self.icmp.check(target.address, probe, started)

    async def _run_snmp(self, target: Target, probe: Probe, started: datetime) -> ProbeResult:
        assert isinstance(probe, SnmpProbe)
        return await self.snmp.check((target.device or target.address, target.probe),
                                     target.address, target.snmp, probe, started)

    def forget_except(self, check_ids: set[tuple[str, str]]) -> None:
        """Drop what probes remember of checks a reload removed."""
        if self._snmp is not None:
            self._snmp.retain(check_ids)

    @property
    def snmp(self) -> SnmpProber:
        """The SNMP prober, made on first use: an ICMP-only deployment (and every `bridge
        probe` of a pinged device) need not import it."""
        if self._snmp is None:
            from bridge.probes.snmp.probe import SnmpProber

            self._snmp = SnmpProber(learned=self._learned)
        return self._snmp

    def close(self) -> None:
        """Release sockets, engines and the deadline timer."""
        self.deadlines.close()
        self.icmp.close()
        if self._snmp is not None:
            self._snmp.close()


def deadline_s(probe: Probe) -> float:
    """The hard deadline of one run of `probe`: its own budget and a second of slack."""
    return probe.duration_budget_s() + 1.0


async def run_probe(
    probers: Probers, target: Target | str, probe: Probe, started: datetime
) -> ProbeResult:
    """Run one probe with a hard deadline; never raises (except cancellation).

    A bare address is a target without SNMP access (enough for ICMP). A probe that misses
    the deadline fails on the monitoring host (`local`), not on the device.
    """
    if isinstance(target, str):
        target = Target(target)
    fn = probers.functions()[probe.kind]
    t0 = time.perf_counter()
    limit_s = deadline_s(probe)
    deadline = probers.deadlines.start(limit_s)  # unlike wait_for, no task per check
    try:
        result = await fn(target, probe, started)
    except asyncio.CancelledError:
        if not deadline.expired():
            raise  # cancelled from outside: the daemon is stopping
        # Every probe ends itself within its budget (its own timeouts and retries); missing
        # the deadline a second later means the bridge could not run it in time (an
        # overloaded loop), which says nothing about the device. Counting it against the
        # device would put it on the shorter retry interval: more load, more misses.
        result = ProbeResult(False, started, 0.0, f"probe did not finish within {limit_s:g} s "
                             "(the bridge is overloaded)", local=True)
    except Exception as exc:  # a probe failure is a result, never a crash
        log.exception("probe %s raised for %s", probe.kind, target.address)
        result = ProbeResult(False, started, 0.0, f"probe error: {type(exc).__name__}: {exc}")
    finally:
        deadline.stop()
    return result.timed(time.perf_counter() - t0)
