"""Thresholds on values derived from what the agent sent: a percentage of other objects
(hrStorageUsed of hrStorageSize, row by row), a column's average (hrProcessorLoad), a
sensor's value at its scale and precision (ENTITY-SENSOR-MIB), TimeTicks in minutes."""

from __future__ import annotations

from bridge.core.probe_kinds.limits import Comparison
from bridge.core.probe_kinds.oids import SENSOR_SCALE_EXPONENTS, SPECIAL_NUMBERS, ObjectRef, Oid
from bridge.core.probe_kinds.value_checks import TicksUnit, ValueCheck
from bridge.probes.snmp.findings import Findings
from bridge.probes.snmp.rows import Cells, row_index, row_name
from bridge.probes.snmp.types import SnmpValue, VarBind
from bridge.probes.snmp.values import missing, number, text

_TICKS_PER = {TicksUnit.SECONDS: (100, " s"), TicksUnit.MINUTES: (6000, " min")}


def _limit(limit: object) -> Comparison | None:
    return limit if isinstance(limit, Comparison) else None


def special_reading(ref: ObjectRef, value: SnmpValue | None) -> str | None:
    """The name of a reading that is not a quantity (Printer-MIB's -3, someRemaining)."""
    if ref.name not in SPECIAL_NUMBERS or not isinstance(value, int):
        return None
    return ref.label(int(value))


def _scaled(check: ValueCheck, index: Oid, measured: float, cells: Cells) -> float:
    """A sensor's reading in its units: x 10^scale, with `precision` decimal places."""
    if check.scale_by is not None:
        scale = cells.cell(check.scale_by, index)
        measured *= 10.0 ** SENSOR_SCALE_EXPONENTS.get(int(scale), 0) \
            if isinstance(scale, int) else 1.0
    if check.precision_by is not None:
        places = cells.cell(check.precision_by, index)
        measured /= 10.0 ** int(places) if isinstance(places, int) else 1.0
    return measured


def _whole(check: ValueCheck, oid: Oid, by_oid: dict[Oid, SnmpValue],
           cells: Cells) -> tuple[str, float | str | None]:
    """What the value is a percentage of: the sum of `percent_of` on its row (columns are
    named without the row's index, which the value's name shows), and the sum (None: one
    is missing; a text: one is a special reading)."""
    index = row_index(check, oid)
    total, names = 0.0, []
    for ref in check.percent_of:
        names.append(ref.row_name(ref.oid))
        value = cells.cell(ref, index) if ref.walk else by_oid.get(ref.oid)
        if (special := special_reading(ref, value)) is not None:
            return " + ".join(names), special
        part = number(value) if value is not None and missing(value) is None else None
        if part is None:
            return " + ".join(names), None
        total += part
    return " + ".join(names), total


def judge_derived(check: ValueCheck, rows: list[VarBind], by_oid: dict[Oid, SnmpValue],
                  cells: Cells, found: Findings) -> None:
    """Percentages row by row, then (with `average`) their average; rows that cannot be
    read or divided are named and left out."""
    judged: list[tuple[str, float]] = []
    unit = ""
    for oid, value in rows:
        name, measured = row_name(check, oid, cells), number(value)
        if (why := missing(value)) is not None or measured is None:
            found.warnings.append(f"WARNING {name}: {why or 'not a number'}; not judged")
            continue
        if (special := special_reading(check.oid, value)) is not None:
            found.value(name, f"{special} ({text(value)})")
            found.summary.append(f"{name} = {special}")
            continue
        measured = _scaled(check, row_index(check, oid), measured, cells)
        if check.ticks_as is not None:
            per, unit = _TICKS_PER[check.ticks_as]
            measured /= per
        if check.percent_of:
            whole_name, whole = _whole(check, oid, by_oid, cells)
            if isinstance(whole, str):
                found.value(name, f"{measured:.4g}")
                found.summary.append(f"{name}: {whole_name} = {whole}; no percentage")
                continue
            if whole is None:
                found.warnings.append(f"WARNING {name}: no {whole_name} to divide by; "
                                      "not judged")
                continue
            if whole == 0:  # an empty or pseudo file system (/sys/fs/cgroup): no share of it
                found.value(f"{name} % of {whole_name}", f"none ({whole_name} is 0)")
                continue
            name, measured = f"{name} % of {whole_name}", 100 * measured / whole
        judged.append((name, measured))
    if check.average and judged:
        name = f"{check.oid}{' %' if check.percent_of else ''} average of {len(judged)}"
        judged = [(name, sum(m for _, m in judged) / len(judged))]
    for name, measured in judged:
        found.value(name, f"{measured:.4g}{unit}")
        found.measured(name, measured)
        found.compare(name, measured, f"{measured:.4g}{unit}", _limit(check.warning),
                      _limit(check.critical), unit)
