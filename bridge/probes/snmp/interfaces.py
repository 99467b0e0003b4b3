"""Judging a check's interfaces: which ports are down, and their traffic against limits.

Only the ports a check judges (bridge/probes/snmp/ports.py selects them) are shown and
exported, so a 150-port switch with 140 unused ports adds ten series, not 150.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bridge.core.counters import Sample, counter_rate
from bridge.core.probe_kinds.interfaces import DownIs, InterfaceSelection, Limits, PortLimits
from bridge.core.probe_kinds.oids import Oid
from bridge.core.results import Series
from bridge.probes.snmp.findings import Findings, listed
from bridge.probes.snmp.ports import COLUMN, Port, label, read_ports, tally, why_not_judged
from bridge.probes.snmp.types import VarBind
from bridge.probes.snmp.values import IF_STATUS, counter_bits

_DOWN = (2, 7)  # down, lowerLayerDown
_EMPTY = "bridge_probe_empty_column"
# which columns each threshold needs; a threshold none of whose columns has rows judges
# nothing, and says so
_NEEDS = {"utilisation_pct": ("ifHCInOctets", "ifInOctets"),
          "errors_per_s": ("ifInErrors",), "errors_pct": ("ifInErrors",),
          "discards_per_s": ("ifInDiscards",), "discards_pct": ("ifInDiscards",)}
_OCTETS = {"in": ("ifHCInOctets", "ifInOctets"), "out": ("ifHCOutOctets", "ifOutOctets")}
_PACKETS = {"in": (("ifHCInUcastPkts", "ifHCInMulticastPkts", "ifHCInBroadcastPkts"),
                   ("ifInUcastPkts", "ifInNUcastPkts")),
            "out": (("ifHCOutUcastPkts", "ifHCOutMulticastPkts", "ifHCOutBroadcastPkts"),
                    ("ifOutUcastPkts", "ifOutNUcastPkts"))}


@dataclass
class Counters:
    """Last poll's counter samples, this poll's sample template, and what it read."""

    previous: Mapping[Oid, Sample]
    template: Sample
    seen: dict[Oid, Sample]

    def rate(self, port: Port, columns: tuple[str, ...]) -> float | None:
        """The summed per-second rate of `columns` (all present), or None: none yet."""
        total: float | None = 0.0
        for column in columns:  # every column's sample is kept, for the next poll's rate
            value = port.cells.get(column)
            bits = counter_bits(value) if value is not None else None
            if bits is None or not isinstance(value, int):
                total = None
                continue
            oid = COLUMN[column] + port.index
            sample = Sample(int(value), self.template.uptime_ticks, self.template.at_s)
            self.seen[oid] = sample
            rate = counter_rate(self.previous.get(oid), sample, bits)
            total = None if rate.per_s is None or total is None else total + rate.per_s
        return total


def judge_interfaces(selection: InterfaceSelection, tables: Mapping[Oid, list[VarBind]],
                     learned: frozenset[str] | None, counters: Counters,
                     found: Findings) -> frozenset[str] | None:
    """Judge the selected ports; the names learned now, when `learn` had none stored."""
    ports = read_ports(tables)
    learned_now = None
    if selection.learn and learned is None:
        learned = learned_now = frozenset(
            p.name for p in ports if p.oper_up and why_not_judged(selection, p, None) is None)
        found.summary.append(f"learned {len(learned_now)} interfaces that are up")
    judged: list[Port] = []
    skipped: list[str] = []
    for port in ports:
        why = why_not_judged(selection, port, learned if selection.learn else None)
        if why:
            skipped.append(why)
        else:
            judged.append(port)
    down: dict[DownIs, list[str]] = {level: [] for level in DownIs}
    bad: list[str] = []
    up = 0
    for port in judged:
        bad += port.bad_values()
        rule = selection.rule_for(*port.names())
        oper = port.number("ifOperStatus")
        state = IF_STATUS.get(int(oper), str(int(oper))) if oper is not None else "unreadable"
        found.value(f"interface {port.name}", state + ("" if port.admin_up else " (admin down)"))
        found.series.append(Series("bridge_interface_up", (("interface", port.name),),
                                   1.0 if port.oper_up else 0.0))
        up += port.oper_up
        if oper in _DOWN:
            down[rule.down if rule and rule.down else selection.down].append(label(port))
        if selection.reads_rates():
            _judge_traffic(port, _limits(selection, rule), counters, found)
    _report(selection, down, bad, found)
    _warn_empty(selection, tables, found)
    down_count = sum(len(names) for names in down.values())
    others = len(judged) - up - down_count  # dormant, notPresent, testing, unreadable
    found.summary.append(
        f"{len(ports)} interfaces, {len(judged)} judged: {up} up, {down_count} down"
        + (f", {others} other" if others else "")
        + (f"; not judged: {tally(skipped)}" if skipped else ""))
    return learned_now


def _report(selection: InterfaceSelection, down: dict[DownIs, list[str]], bad: list[str],
            found: Findings) -> None:
    most = selection.max_listed
    while_up = " while admin up" if selection.admin_up_only else ""
    if names := down[DownIs.CRITICAL]:
        found.failures.append(f"{len(names)} interface{'s' if len(names) > 1 else ''} down"
                              f"{while_up}: {listed(names, most)}")
    if names := down[DownIs.WARNING]:
        found.warnings.append(f"WARNING {len(names)} interface{'s' if len(names) > 1 else ''} "
                              f"down{while_up}: {listed(names, most)}")
    if bad:
        found.warnings.append(f"WARNING unreadable value{'s' if len(bad) > 1 else ''}: "
                              f"{listed(bad, most)}")


def _limits(selection: InterfaceSelection, rule: PortLimits | None) -> dict[str, Limits]:
    """Each threshold from the port's rule, else from the selection."""
    chosen = {}
    for key in PortLimits.model_fields:
        limits = getattr(rule, key, None) or getattr(selection, key)
        if limits is not None:
            chosen[key] = limits
    return chosen


def _judge_traffic(port: Port, limits: dict[str, Limits], counters: Counters,
                   found: Findings) -> None:
    speed = port.number("ifHighSpeed")
    speed_bps = speed * 1e6 if speed else port.number("ifSpeed") or None
    shown = []
    for direction in ("in", "out"):
        labels = (("interface", port.name), ("direction", direction))
        octets = next((c for c in _OCTETS[direction] if c in port.cells), None)
        bytes_per_s = counters.rate(port, (octets,)) if octets else None
        hc, old = _PACKETS[direction]
        packets_per_s = counters.rate(port, hc if hc[0] in port.cells else old)
        parts = []
        if bytes_per_s is not None:
            found.series.append(Series("bridge_interface_bits_per_second", labels,
                                       bytes_per_s * 8))
            parts.append(f"{_bits(bytes_per_s * 8)}")
            if speed_bps:
                ratio = bytes_per_s * 8 / speed_bps
                found.series.append(Series("bridge_interface_utilisation_ratio", labels, ratio))
                parts[-1] = f"{ratio * 100:.3g} % ({parts[-1]})"
                _compare(found, f"{port.name} utilisation {direction}", ratio * 100, "%",
                         limits.get("utilisation_pct"))
        for kind in ("errors", "discards"):
            per_s = counters.rate(port, (f"if{direction.title()}{kind.title()}",))
            if per_s is None:
                continue
            found.series.append(Series(f"bridge_interface_{kind}_per_second", labels, per_s))
            parts.append(f"{per_s:.3g} {kind}/s")
            _compare(found, f"{port.name} {kind} {direction}", per_s, "/s",
                     limits.get(f"{kind}_per_s"))
            if packets_per_s is None:
                continue  # no packet counters: no share
            # of the packets in that direction, these among them (RFC 2863 counts inbound
            # errors and discards apart from the packets delivered)
            pct = 100 * per_s / (per_s + packets_per_s) if per_s + packets_per_s else 0.0
            found.series.append(Series(f"bridge_interface_{kind}_ratio", labels, pct / 100))
            parts[-1] += f" ({pct:.3g} %)"
            _compare(found, f"{port.name} {kind} {direction}", pct, "%",
                     limits.get(f"{kind}_pct"))
        shown.append(f"{direction} " + (", ".join(parts) or "no rate yet"))
    found.value(f"interface {port.name} traffic", "; ".join(shown))


def _compare(found: Findings, name: str, measured: float, unit: str,
             limits: Limits | None) -> None:
    if limits is not None:
        found.compare(name, measured, f"{measured:.3g}{' ' if unit == '%' else ''}{unit}",
                      limits.warning, limits.critical)


def _bits(per_s: float) -> str:
    for unit, size in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if per_s >= size:
            return f"{per_s / size:.3g} {unit}"
    return f"{per_s:.3g} bit/s"


def _warn_empty(selection: InterfaceSelection, tables: Mapping[Oid, list[VarBind]],
                found: Findings) -> None:
    """A threshold whose columns returned no rows judged nothing: say so."""
    for key, columns in _NEEDS.items():
        if getattr(selection, key) is None and not any(getattr(r, key) for r in selection.rules):
            continue
        if not any(tables.get(COLUMN[c]) for c in columns):
            found.warnings.append(f"WARNING interfaces.{key}: the agent returned no rows of "
                                  f"{' or '.join(columns)}; nothing judged")
            found.series.append(Series(_EMPTY, (("column", columns[0]),), 1.0))
