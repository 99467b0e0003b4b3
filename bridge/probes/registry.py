"""The one map from probe kind to the code that runs it, and the shared wrapper.

The wrapper owns what every probe shares: the overall deadline, timing, and turning
any unexpected exception into a failed result so no loop ever dies of a probe. It comes
in two shapes: `run_probe`, a coroutine, and `start_probe`, which hands the result to a
callback; the daemon's scheduler uses the second, so a kind that can run without a task
of its own (ICMP to an IP address: a few packets on the shared socket) does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bridge.aio import Cancellable
from bridge.core.probe_kinds import Probe
from bridge.core.probe_kinds.base import ProbeKind
from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.results import ProbeResult
from bridge.probes.deadlines import Deadlines
from bridge.probes.icmp.probe import IcmpProber
from bridge.probes.protocol import Prober, Target
from bridge.probes.tcp import TcpProber

if TYPE_CHECKING:
    from bridge.probes.snmp.learned import LearnedPorts
    from bridge.probes.snmp.probe import SnmpProber

log = logging.getLogger(__name__)

__all__ = ["KINDS", "Probers", "Target", "deadline_s", "run_probe", "start_probe"]


def _snmp(learned: LearnedPorts | None) -> Prober[Any]:
    # imported on first use: an ICMP-only deployment (and every `bridge probe` of a pinged
    # device) need not load the SNMP engine
    from bridge.probes.snmp.probe import SnmpProber

    return SnmpProber(learned=learned)


# The registry: each kind a config may name, and how to build its prober (once per daemon,
# on first use; `learned` is where SNMP checks keep the interfaces they learn).
KINDS: Mapping[ProbeKind, Callable[[LearnedPorts | None], Prober[Any]]] = MappingProxyType({
    ProbeKind.ICMP: lambda learned: IcmpProber(),
    ProbeKind.SNMP: _snmp,
    ProbeKind.TCP: lambda learned: TcpProber(),
})


class Probers:
    """Per-daemon probe instances (sockets, engines), one per kind, built on first use."""

    def __init__(self, icmp: IcmpProber | None = None, snmp: SnmpProber | None = None,
                 learned: LearnedPorts | None = None) -> None:
        self.icmp = icmp or IcmpProber()  # the daemon reports its socket mode at start
        self._learned = learned
        self.deadlines = Deadlines()
        self.built: dict[ProbeKind, Prober[Any]] = {ProbeKind.ICMP: self.icmp}
        if snmp is not None:
            self.built[ProbeKind.SNMP] = snmp

    def startup_problem(self) -> str | None:
        """Log how ICMP is sent, and why it cannot be in this process, with the fix (None
        when it can): for the startup log and /readyz."""
        log.info("probing with %s", self.icmp.describe_mode())
        problem = self.icmp.problem()
        if problem:
            log.error("%s", problem)
        return problem

    def of(self, kind: ProbeKind) -> Prober[Any]:
        """The prober of `kind`, built on first use."""
        prober = self.built.get(kind)
        if prober is None:
            prober = self.built[kind] = KINDS[kind](self._learned)
        return prober

    def forget_except(self, check_ids: set[tuple[str, str]]) -> None:
        """Drop what probes remember of checks a reload removed."""
        for prober in self.built.values():
            prober.forget_except(check_ids)

    def close(self) -> None:
        """Release sockets, engines and the deadline timer."""
        self.deadlines.close()
        for prober in self.built.values():
            prober.close()


def deadline_s(probe: Probe) -> float:
    """The hard deadline of one run of `probe`: its own budget and a second of slack."""
    return probe.duration_budget_s() + 1.0


async def run_probe(
    probers: Probers, target: Target | str, probe: Probe, started: datetime
) -> ProbeResult:
    """Run one probe with a hard deadline; never raises (except cancellation).

    A bare address is a target without credentials (enough for ICMP). A probe that misses
    the deadline fails on the monitoring host (`local`), not on the device.
    """
    if isinstance(target, str):
        target = Target(target)
    prober = probers.built.get(probe.kind) or probers.of(probe.kind)
    t0 = time.perf_counter()
    limit_s = deadline_s(probe)
    deadline = probers.deadlines.start(limit_s)  # unlike wait_for, no task per check
    try:
        result = await prober.run(target, probe, started)
    except asyncio.CancelledError:
        if not deadline.expired():
            raise  # cancelled from outside: the daemon is stopping
        # Every probe ends itself within its budget (its own timeouts and retries); missing
        # the deadline a second later means the bridge could not run it in time (an
        # overloaded loop), which says nothing about the device. Counting it against the
        # device would put it on the shorter retry interval: more load, more misses.
        result = _overloaded(started, limit_s)
    except Exception as exc:  # a probe failure is a result, never a crash
        log.exception("probe %s raised for %s", probe.kind, target.address)
        result = ProbeResult(False, started, 0.0, f"probe error: {type(exc).__name__}: {exc}")
    finally:
        deadline.stop()
    return result.timed(time.perf_counter() - t0)


def start_probe(
    probers: Probers, target: Target | str, probe: Probe, started: datetime,
    on_result: Callable[[ProbeResult], object],
) -> Cancellable:
    """`run_probe`, with the result handed to `on_result` (once, unless the returned job is
    cancelled first). An ICMP check of an IP address runs on the engine's callbacks, with no
    task: its own timeline ends it, so the deadline is judged when it ends (one that ends
    past it fails on the monitoring host, as in `run_probe`). Every other check runs
    `run_probe` in a task."""
    if isinstance(target, str):
        target = Target(target)
    # The ICMP engine's own checks only: a prober put in its place (`built`) is run as
    # run_probe would run it.
    icmp = probers.built.get(ProbeKind.ICMP)
    if isinstance(probe, IcmpProbe) and isinstance(icmp, IcmpProber):
        started_check = icmp.start(target, probe, started, partial(
            _in_time, deadline_s(probe), time.perf_counter(), started, on_result))
        if started_check is not None:
            return started_check
    return asyncio.get_running_loop().create_task(
        _deliver(run_probe(probers, target, probe, started), on_result))


def _in_time(limit_s: float, t0: float, started: datetime,
             on_result: Callable[[ProbeResult], object], result: ProbeResult) -> None:
    duration_s = time.perf_counter() - t0
    if duration_s > limit_s:
        result = _overloaded(started, limit_s)
    on_result(result.timed(duration_s))


async def _deliver(check: Awaitable[ProbeResult],
                   on_result: Callable[[ProbeResult], object]) -> None:
    result = await check
    try:
        on_result(result)
    except Exception:
        log.exception("a probe's result could not be handed over")


def _overloaded(started: datetime, limit_s: float) -> ProbeResult:
    return ProbeResult(False, started, 0.0, f"probe did not finish within {limit_s:g} s "
                       "(the bridge is overloaded)", local=True)
