"""Thresholds on values derived from what the agent sent: a percentage of another object
(hrStorageUsed of hrStorageSize, row by row) and a column's average (hrProcessorLoad)."""

from __future__ import annotations

from bridge.core.probe_kinds.limits import Comparison
from bridge.core.probe_kinds.oids import Oid
from bridge.core.probe_kinds.snmp import ValueCheck
from bridge.probes.snmp.findings import Findings
from bridge.probes.snmp.types import SnmpValue, VarBind
from bridge.probes.snmp.values import missing, number


def _limit(limit: object) -> Comparison | None:
    return limit if isinstance(limit, Comparison) else None


def judge_derived(check: ValueCheck, rows: list[VarBind], by_oid: dict[Oid, SnmpValue],
                  tables: dict[Oid, list[VarBind]], found: Findings) -> None:
    """Percentages row by row, then (with `average`) their average; rows that cannot be
    read or divided are named and left out."""
    wholes: dict[Oid, SnmpValue] = dict(by_oid)
    if check.percent_of is not None and check.percent_of.walk:
        wholes = dict(tables.get(check.percent_of.oid, []))
    judged: list[tuple[str, float]] = []
    for oid, value in rows:
        name, measured = check.oid.row_name(oid), number(value)
        if (why := missing(value)) is not None or measured is None:
            found.warnings.append(f"WARNING {name}: {why or 'not a number'}; not judged")
            continue
        if check.percent_of is not None:
            whole_of = check.percent_of.row_name
            whole_oid = (*check.percent_of.oid, *oid[len(check.oid.oid):]) \
                if check.oid.walk else check.percent_of.oid
            whole = number(wholes.get(whole_oid)) if whole_oid in wholes else None
            if not whole:
                found.warnings.append(f"WARNING {name}: no {whole_of(whole_oid)} to divide "
                                      "by; not judged")
                continue
            name, measured = f"{name} % of {whole_of(whole_oid)}", 100 * measured / whole
        judged.append((name, measured))
    if check.average and judged:
        name = f"{check.oid}{' %' if check.percent_of else ''} average of {len(judged)}"
        judged = [(name, sum(m for _, m in judged) / len(judged))]
    for name, measured in judged:
        found.value(name, f"{measured:.4g}")
        found.compare(name, measured, f"{measured:.4g}", _limit(check.warning),
                      _limit(check.critical))
