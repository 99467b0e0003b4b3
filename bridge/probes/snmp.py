"""SNMP checks: GET scalars, walk columns, judge interfaces, thresholds and counter rates.

The prober owns the SNMP engine (through SnmpClient) and, per check, what the last poll
read: sysUpTime for reboot detection and counter samples for rates.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bridge.config.oids import OBJECTS, Oid, name_oid
from bridge.config.probe_models import SnmpProbe, ValueCheck
from bridge.config.snmp_models import SnmpAccess
from bridge.core.counters import RateKind, Sample, agent_restarted, counter_rate
from bridge.core.results import ProbeResult
from bridge.probes.snmp_client import SnmpClient
from bridge.probes.snmp_types import Request, SnmpError, SnmpValue, VarBind
from bridge.probes.snmp_values import (
    IF_STATUS,
    counter_bits,
    format_ticks,
    missing,
    number,
    text,
    type_name,
)

SYS_UPTIME: Oid = (*OBJECTS["sysUpTime"][0], 0)
IF_DESCR, IF_ADMIN, IF_OPER = (OBJECTS[n][0] for n in ("ifDescr", "ifAdminStatus",
                                                         "ifOperStatus"))
_DOWN = (2, 7)  # down, lowerLayerDown: a failure while the interface is admin-up
_LISTED = 5  # names shown per problem in the one-line output


@dataclass
class _Memory:
    """What one check read last time."""

    uptime_ticks: int | None = None
    at_s: float = 0.0
    counters: dict[Oid, Sample] = field(default_factory=dict)


@dataclass
class _Findings:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    values: list[tuple[str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - _LISTED} more" if len(items) > _LISTED else ""
    return ", ".join(items[:_LISTED]) + more


def _unique(oids: Iterable[Oid]) -> list[Oid]:
    return list(dict.fromkeys(oids))


def instances(probe: SnmpProbe) -> list[Oid]:
    """What one GET reads: sysUpTime, then every instance the probe names."""
    checks = (*probe.thresholds, *probe.counters)
    return _unique([SYS_UPTIME, *(o.oid for o in probe.get),
                    *(c.oid.oid for c in checks if not c.oid.walk)])


def columns(probe: SnmpProbe) -> list[Oid]:
    """What one walk reads: interface status columns, then every column the probe names."""
    status = [IF_DESCR, IF_ADMIN, IF_OPER] if probe.interfaces else []
    checks = (*probe.thresholds, *probe.counters)
    return _unique([*status, *(o.oid for o in probe.walk),
                    *(c.oid.oid for c in checks if c.oid.walk)])


class SnmpProber:
    """Runs SNMP checks through one SnmpClient; keeps each check's last reading."""

    def __init__(self, client: SnmpClient | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client or SnmpClient()
        self._clock = clock
        self._memory: dict[tuple[str, str], _Memory] = {}

    def close(self) -> None:
        """Close the SNMP engine."""
        self._client.close()

    def retain(self, check_ids: set[tuple[str, str]]) -> None:
        """Forget the last readings of checks that no longer exist (after a reload)."""
        for check_id in set(self._memory) - check_ids:
            del self._memory[check_id]

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
                async with asyncio.timeout(probe.request_budget_s() + probe.recovery_budget_s()):
                    tables = await self._client.walk(request, walked, probe.max_repetitions)
        except SnmpError as exc:
            why = f": {exc.silence or await self._client.diagnose_silence(request)}" \
                if exc.timed_out else ""
            return _failed(started, f"{exc}{why}")
        except TimeoutError:
            return _failed(started, "walk did not finish within "
                                    f"{probe.request_budget_s() + probe.recovery_budget_s():g} s "
                                    "((retries + 1) x timeout_s, and a recovery)")
        memory = self._memory.setdefault(check_id, _Memory())
        found = _Findings()
        now_s = self._clock()
        by_oid = dict(scalars)
        uptime = _judge_uptime(by_oid.get(SYS_UPTIME), memory, now_s, found)
        _judge_gets(probe, by_oid, found)
        for ref in probe.walk:
            rows = tables.get(ref.oid, [])
            found.values += [(name_oid(oid), text(value)) for oid, value in rows]
            found.summary.append(f"{ref}: {len(rows)} row{'' if len(rows) == 1 else 's'}")
        if probe.interfaces:
            _judge_interfaces(tables, found)
        for value_check in probe.thresholds:
            for oid, value in _rows(value_check, by_oid, tables):
                _judge_threshold(value_check, oid, value, found)
        seen: dict[Oid, Sample] = {}
        for value_check in probe.counters:
            for oid, value in _rows(value_check, by_oid, tables):
                _judge_counter(value_check, oid, value, memory.counters.get(oid),
                               Sample(0, uptime, now_s), seen, found)
        memory.counters = seen
        memory.uptime_ticks, memory.at_s = uptime, now_s
        return ProbeResult(
            ok=not found.failures, at=started, duration_s=0.0,
            output="; ".join([*found.failures, *found.warnings, *found.summary]),
            warning=bool(found.warnings) and not found.failures,
            events=tuple(found.events), values=tuple(found.values),
        )


def _failed(at: datetime, output: str) -> ProbeResult:
    return ProbeResult(ok=False, at=at, duration_s=0.0, output=output)


def _rows(value_check: ValueCheck, by_oid: dict[Oid, SnmpValue],
          tables: dict[Oid, list[VarBind]]) -> list[VarBind]:
    if value_check.oid.walk:
        return tables.get(value_check.oid.oid, [])
    oid = value_check.oid.oid
    return [(oid, by_oid[oid])] if oid in by_oid else []


def _judge_uptime(value: SnmpValue | None, memory: _Memory, now_s: float,
                  found: _Findings) -> int | None:
    if not isinstance(value, int):
        return None  # missing, or not TimeTicks: no reboot detection this time
    ticks = int(value)
    found.summary.append(f"up {format_ticks(ticks)}")
    found.values.append(("sysUpTime", format_ticks(ticks)))
    if agent_restarted(memory.uptime_ticks, ticks, now_s - memory.at_s):
        assert memory.uptime_ticks is not None
        found.events.append(f"rebooted: sysUpTime went back from "
                            f"{format_ticks(memory.uptime_ticks)} to {format_ticks(ticks)}")
        found.summary.append("rebooted since the last poll")
    return ticks


def _judge_gets(probe: SnmpProbe, by_oid: dict[Oid, SnmpValue], found: _Findings) -> None:
    for ref in probe.get:
        value = by_oid.get(ref.oid)
        if value is None:
            found.failures.append(f"{ref}: not in the reply")
        elif (why := missing(value)) is not None:
            found.failures.append(f"{ref}: {why}")
        elif ref.oid != SYS_UPTIME:
            found.values.append((name_oid(ref.oid), text(value)))
            found.summary.append(f"{name_oid(ref.oid)}={text(value)[:40]!r}")


def _judge_interfaces(tables: dict[Oid, list[VarBind]], found: _Findings) -> None:
    def by_index(column: Oid) -> dict[Oid, SnmpValue]:
        return {oid[len(column):]: value for oid, value in tables.get(column, [])}

    names, admin, oper = by_index(IF_DESCR), by_index(IF_ADMIN), by_index(IF_OPER)
    up, admin_down, down, other = 0, 0, [], 0
    for index, admin_value in admin.items():
        label = f"{text(names[index])} (ifIndex {'.'.join(map(str, index))})" \
            if index in names else f"ifIndex {'.'.join(map(str, index))}"
        admin_status = number(admin_value)
        oper_status = number(oper.get(index))
        state = IF_STATUS.get(int(oper_status), "?") if oper_status is not None else "missing"
        if admin_status != 1:
            admin_down += 1
            state += " (admin down)"
        elif oper_status == 1:
            up += 1
        elif oper_status in _DOWN:
            down.append(label)
        else:
            other += 1
        descr = text(names[index]) if index in names else ""
        found.values.append((f"{name_oid(IF_OPER + index)} {descr}".rstrip(), state))
    if down:
        found.failures.append(f"{len(down)} interface{'s' if len(down) > 1 else ''} down "
                              f"while admin up: {_listed(down)}")
    found.summary.append(f"{len(admin)} interfaces: {up} up, {admin_down} admin down, "
                         f"{len(down)} down" + (f", {other} other" if other else ""))


def _judge_threshold(check: ValueCheck, oid: Oid, value: SnmpValue, found: _Findings) -> None:
    name = name_oid(oid)
    measured = number(value)
    if measured is None:
        found.failures.append(f"{name} is not a number ({type_name(value)} {text(value)!r})")
        return
    found.values.append((name, text(value)))
    _compare(check, name, measured, f"{measured:g}", found)


def _compare(check: ValueCheck, name: str, measured: float, shown: str,
             found: _Findings) -> None:
    if check.critical is not None and check.critical.exceeded(measured):
        found.failures.append(f"{name} = {shown} {check.critical} (critical)")
    elif check.warning is not None and check.warning.exceeded(measured):
        found.warnings.append(f"WARNING {name} = {shown} {check.warning}")


def _judge_counter(check: ValueCheck, oid: Oid, value: SnmpValue, prev: Sample | None,
                   template: Sample, seen: dict[Oid, Sample], found: _Findings) -> None:
    name = name_oid(oid)
    bits = counter_bits(value)
    if bits is None or not isinstance(value, int):
        found.failures.append(f"{name} is a {type_name(value)}, not a counter; "
                              "use thresholds for it")
        return
    sample = Sample(int(value), template.uptime_ticks, template.at_s)
    seen[oid] = sample
    rate = counter_rate(prev, sample, bits)
    if rate.per_s is None:
        found.values.append((f"{name} rate", f"none yet ({rate.kind})"))
        return
    shown = f"{rate.per_s:.6g}/s" + (" (wrapped)" if rate.kind is RateKind.WRAPPED else "")
    found.values.append((f"{name} rate", shown))
    _compare(check, f"{name} rate", rate.per_s, f"{rate.per_s:.6g}/s", found)
