"""SNMP checks: GET scalars, walk columns, judge interfaces, thresholds and counter rates.

The prober owns the SNMP engine (through SnmpClient) and, per check, what the last poll
read: sysUpTime for reboot detection and counter samples for rates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bridge.core.counters import RateKind, Sample, agent_restarted, counter_rate
from bridge.core.probe_kinds.limits import Check, Comparison
from bridge.core.probe_kinds.oids import OBJECTS, Oid
from bridge.core.probe_kinds.snmp import SnmpAccess, SnmpProbe
from bridge.core.probe_kinds.value_checks import ValueCheck
from bridge.core.results import ProbeResult, Series
from bridge.probes.protocol import Target
from bridge.probes.snmp.client import SnmpClient
from bridge.probes.snmp.derived import judge_derived, special_reading
from bridge.probes.snmp.findings import Findings
from bridge.probes.snmp.interfaces import Counters, judge_interfaces
from bridge.probes.snmp.learned import LearnedPorts, RememberedPorts
from bridge.probes.snmp.ports import interface_columns
from bridge.probes.snmp.rows import Cells, holds, row_name, selected
from bridge.probes.snmp.types import InvalidValue, Request, SnmpError, SnmpValue, VarBind
from bridge.probes.snmp.values import (
    counter_bits,
    format_ticks,
    missing,
    number,
    text,
    type_name,
)

log = logging.getLogger(__name__)

SYS_UPTIME: Oid = (*OBJECTS["sysUpTime"][0], 0)


@dataclass
class _Memory:
    """What one check read last time."""

    uptime_ticks: int | None = None
    at_s: float = 0.0
    counters: dict[Oid, Sample] = field(default_factory=dict)


def _unique(oids: Iterable[Oid]) -> list[Oid]:
    return list(dict.fromkeys(oids))


def instances(probe: SnmpProbe) -> list[Oid]:
    """What one GET reads: sysUpTime, then every instance the probe names."""
    checks = (*probe.thresholds, *probe.counters)
    return _unique([SYS_UPTIME, *(o.oid for o in probe.get),
                    *(c.oid.oid for c in checks if not c.oid.walk),
                    *(p.oid for c in probe.thresholds for p in c.percent_of if not p.walk)])


def columns(probe: SnmpProbe) -> list[Oid]:
    """What one walk reads: interface status columns, then every column the probe names."""
    status = interface_columns(probe.interfaces) if probe.interfaces else []
    checks = (*probe.thresholds, *probe.counters)
    return _unique([*status, *(o.oid for o in probe.walk),
                    *(c.oid.oid for c in checks if c.oid.walk),
                    *(r.oid for c in probe.thresholds for r in c.row_columns())])


class SnmpProber:
    """Runs SNMP checks through one SnmpClient; keeps each check's last reading."""

    def __init__(self, client: SnmpClient | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 learned: LearnedPorts | None = None) -> None:
        self._client = client or SnmpClient()
        self._clock = clock
        self._memory: dict[tuple[str, str], _Memory] = {}
        self.learned = learned or RememberedPorts()

    def close(self) -> None:
        """Close the SNMP engine."""
        self._client.close()

    def forget_except(self, check_ids: set[tuple[str, str]]) -> None:
        """Forget the last readings of checks that no longer exist (after a reload)."""
        for check_id in set(self._memory) - check_ids:
            del self._memory[check_id]

    async def run(self, target: Target, probe: SnmpProbe, started: datetime) -> ProbeResult:
        """The Probe protocol's check: the memory is the check's, the access the device's."""
        assert target.access is None or isinstance(target.access, SnmpAccess)
        return await self.check((target.device or target.address, target.probe),
                                target.address, target.access, probe, started)

    async def check(self, check_id: tuple[str, str], address: str, access: SnmpAccess | None,
                    probe: SnmpProbe, started: datetime) -> ProbeResult:
        """Poll the agent once and judge what it answered."""
        if access is None:
            return _failed(started, "the device has no [snmp] settings")
        request = Request(address, access, probe.timeout_s, probe.retries,
                          probe.diagnosis_budget_s())
        try:
            scalars = await self._client.get(request, instances(probe))
            tables: dict[Oid, list[VarBind]] = {}
            walked = columns(probe)
            if walked:
                # a walk may have to recover from a restart too (SnmpV3Client.ask)
                async with asyncio.timeout(probe.walk_budget_s() + probe.recovery_budget_s()):
                    tables = await self._client.walk(request, walked, probe.max_repetitions)
        except SnmpError as exc:
            why = f": {exc.silence or await self._client.diagnose_silence(request)}" \
                if exc.timed_out else ""
            return _failed(started, f"{exc}{why}")
        except TimeoutError:
            return _failed(started, "walk did not finish within "
                                    f"{probe.walk_budget_s() + probe.recovery_budget_s():g} s "
                                    "(walk_timeout_s, and a recovery): a large table or a "
                                    "slow agent; raise walk_timeout_s or max_repetitions")
        memory = self._memory.setdefault(check_id, _Memory())
        found = Findings()
        now_s = self._clock()
        by_oid = dict(scalars)
        uptime = _judge_uptime(by_oid.get(SYS_UPTIME), memory, now_s, found)
        _judge_gets(probe, by_oid, found)
        for ref in probe.walk:
            rows = tables.get(ref.oid, [])
            for oid, value in rows:
                found.value(ref.row_name(oid), text(value))
            found.summary.append(f"{ref}: {len(rows)} row{'' if len(rows) == 1 else 's'}")
        seen: dict[Oid, Sample] = {}
        if probe.interfaces:
            try:
                stored = await self.learned.load(check_id) if probe.interfaces.learn else None
            except Exception as exc:  # the store's trouble (any LearnedPorts), not the device's
                return ProbeResult(False, started, 0.0, "cannot read the learned interfaces: "
                                   f"{type(exc).__name__}: {exc}", local=True)
            learned = judge_interfaces(probe.interfaces, tables, stored,
                                       Counters(memory.counters, Sample(0, uptime, now_s), seen),
                                       found)
            if learned is not None:
                await self._keep_learned(check_id, learned)
        cells = Cells(tables)
        for value_check in probe.thresholds:
            rows = selected(value_check, _rows(value_check, by_oid, tables, found), cells, found)
            if value_check.derives():
                judge_derived(value_check, rows, by_oid, cells, found)
                continue
            for oid, value in rows:
                _judge_threshold(value_check, row_name(value_check, oid, cells), value, found)
        for value_check in probe.counters:
            for oid, value in _rows(value_check, by_oid, tables, found):
                _judge_counter(value_check, oid, value, memory.counters.get(oid),
                               Sample(0, uptime, now_s), seen, found)
        memory.counters = seen
        memory.uptime_ticks, memory.at_s = uptime, now_s
        return found.result(started)


    async def _keep_learned(self, check_id: tuple[str, str], names: frozenset[str]) -> None:
        try:
            await self.learned.save(check_id, names)
        except Exception:  # judged all the same; the next poll learns again
            log.warning("cannot store the interfaces check %s learned", check_id, exc_info=True)


def _failed(at: datetime, output: str) -> ProbeResult:
    return ProbeResult(ok=False, at=at, duration_s=0.0, output=output)


def _rows(value_check: ValueCheck, by_oid: dict[Oid, SnmpValue],
          tables: dict[Oid, list[VarBind]], found: Findings) -> list[VarBind]:
    if value_check.oid.walk:
        rows = tables.get(value_check.oid.oid, [])
        if not rows:  # thresholds on nothing would pass forever
            found.warnings.append(f"WARNING {value_check.oid}: the agent returned no rows; "
                                  "its thresholds judged nothing")
            found.series.append(Series("bridge_probe_empty_column",
                                       (("column", str(value_check.oid)),), 1.0))
        return rows
    oid = value_check.oid.oid
    return [(oid, by_oid[oid])] if oid in by_oid else []


def _judge_uptime(value: SnmpValue | None, memory: _Memory, now_s: float,
                  found: Findings) -> int | None:
    if not isinstance(value, int):
        return None  # missing, or not TimeTicks: no reboot detection this time
    ticks = int(value)
    found.summary.append(f"up {format_ticks(ticks)}")
    found.value("sysUpTime", format_ticks(ticks))
    if agent_restarted(memory.uptime_ticks, ticks, now_s - memory.at_s):
        assert memory.uptime_ticks is not None
        found.events.append(f"rebooted: sysUpTime went back from "
                            f"{format_ticks(memory.uptime_ticks)} to {format_ticks(ticks)}")
        found.summary.append("rebooted since the last poll")
    return ticks


def _judge_gets(probe: SnmpProbe, by_oid: dict[Oid, SnmpValue], found: Findings) -> None:
    for ref in probe.get:
        value = by_oid.get(ref.oid)
        if value is None:
            found.failures.append(f"{ref}: not in the reply")
        elif isinstance(value, InvalidValue):  # it answered, one value was wrong: warn
            found.warnings.append(f"WARNING {ref}: {missing(value)}")
        elif (why := missing(value)) is not None:
            found.failures.append(f"{ref}: {why}")
        elif ref.oid != SYS_UPTIME:
            found.value(ref.row_name(ref.oid), text(value))
            found.summary.append(f"{ref.row_name(ref.oid)}={text(value)[:40]!r}")


def _judge_threshold(check: ValueCheck, name: str, value: SnmpValue, found: Findings) -> None:
    if (why := missing(value)) is not None:  # unreadable, not past a threshold: say which
        found.warnings.append(f"WARNING {name}: {why}; not judged")
        return
    measured = number(value)
    limits = [c for c in (check.warning, check.critical) if c is not None]
    if measured is None and any(isinstance(c, Comparison) for c in limits):
        found.failures.append(f"{name} is not a number ({type_name(value)} {text(value)!r})")
        return
    integer = int(value) if isinstance(value, int) else None
    label = check.oid.label(integer) if integer is not None else None
    shown = f"{label} ({integer})" if label is not None else text(value)
    found.value(name, shown)
    if special_reading(check.oid, value) is not None \
            and any(isinstance(c, Comparison) for c in limits):
        return  # Printer-MIB's someRemaining (-3) is not 3 below zero
    if measured is not None:
        found.measured(name, measured)
    if measured is not None and all(isinstance(c, Comparison) for c in limits):
        found.compare(name, measured, f"{measured:g}", _comparison(check.warning),
                      _comparison(check.critical))
        return
    for limit, level in ((check.critical, "critical"), (check.warning, "warning")):
        if limit is not None and holds(limit, value):
            said = f"{shown} {limit}" if isinstance(limit, Comparison) else \
                f"{shown}, {limit.expectation()}"
            if level == "critical":
                found.failures.append(f"{name} = {said} (critical)")
            else:
                found.warnings.append(f"WARNING {name} = {said}")
            return


def _comparison(limit: Check | None) -> Comparison | None:
    return limit if isinstance(limit, Comparison) else None


def _judge_counter(check: ValueCheck, oid: Oid, value: SnmpValue, prev: Sample | None,
                   template: Sample, seen: dict[Oid, Sample], found: Findings) -> None:
    name = check.oid.row_name(oid)
    if (why := missing(value)) is not None:
        found.warnings.append(f"WARNING {name}: {why}; no rate")
        return
    bits = counter_bits(value)
    if bits is None or not isinstance(value, int):
        found.failures.append(f"{name} is a {type_name(value)}, not a counter; "
                              "use thresholds for it")
        return
    sample = Sample(int(value), template.uptime_ticks, template.at_s)
    seen[oid] = sample
    rate = counter_rate(prev, sample, bits)
    if rate.per_s is None:
        found.value(f"{name} rate", f"none yet ({rate.kind})")
        return
    shown = f"{rate.per_s:.6g}/s" + (" (wrapped)" if rate.kind is RateKind.WRAPPED else "")
    found.value(f"{name} rate", shown)
    found.compare(f"{name} rate", rate.per_s, f"{rate.per_s:.6g}/s",
                  _comparison(check.warning), _comparison(check.critical))
