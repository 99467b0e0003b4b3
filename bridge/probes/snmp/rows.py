"""A threshold's rows: which of a column's rows it judges (`where`), what each is called
(`named_by`), and the cells of the other columns on the same row (same index)."""

from __future__ import annotations

from bridge.core.probe_kinds.limits import Check, Comparison, Pattern
from bridge.core.probe_kinds.oids import ObjectRef, Oid
from bridge.core.probe_kinds.value_checks import ValueCheck
from bridge.core.results import Series
from bridge.probes.snmp.findings import Findings
from bridge.probes.snmp.types import SnmpValue, VarBind
from bridge.probes.snmp.values import missing, number, text


class Cells:
    """What a walk read, looked up by column and row index."""

    def __init__(self, tables: dict[Oid, list[VarBind]]) -> None:
        self._tables = tables
        self._columns: dict[Oid, dict[Oid, SnmpValue]] = {}

    def cell(self, column: ObjectRef, index: Oid) -> SnmpValue | None:
        """The value of `column` on the row `index`; None when the agent sent none."""
        if column.oid not in self._columns:
            self._columns[column.oid] = dict(self._tables.get(column.oid, []))
        value = self._columns[column.oid].get((*column.oid, *index))
        return None if value is None or missing(value) is not None else value


def holds(condition: Check, value: SnmpValue) -> bool:
    """Whether `value` is in the state `condition` describes (`> 80`, `!= ok`, `~ "x"`)."""
    if isinstance(condition, Comparison):
        measured = number(value)
        return measured is not None and condition.exceeded(measured)
    if isinstance(condition, Pattern):
        return condition.fires(text(value))
    if condition.number is None:
        return condition.fires(text(value) == condition.expected)
    return condition.fires(isinstance(value, int) and int(value) == condition.number)


def row_index(check: ValueCheck, oid: Oid) -> Oid:
    """The row's index: what follows the column's OID."""
    return oid[len(check.oid.oid):]


def selected(check: ValueCheck, rows: list[VarBind], cells: Cells,
             found: Findings) -> list[VarBind]:
    """The rows `where` keeps (all without one); none kept is said, never a silent pass."""
    if check.where is None or not rows:
        return rows
    column, condition = check.where.column, check.where.condition
    kept = [(oid, value) for oid, value in rows
            if (cell := cells.cell(column, row_index(check, oid))) is not None
            and holds(condition, cell)]
    if not kept:
        found.warnings.append(f"WARNING {check.oid}: no row where {check.where}; its "
                              "thresholds judged nothing")
        found.series.append(Series("bridge_probe_empty_column", (("column", str(check.oid)),),
                                   1.0))
    return kept


def row_name(check: ValueCheck, oid: Oid, cells: Cells) -> str:
    """`hrStorageUsed[/var]` by the `named_by` column's cell (on the row `named_via` points
    at, if given: cpmCPUTotalPhysicalIndex to entPhysicalName); else `hrStorageUsed.36`
    (the object as written: `HOST-RESOURCES-MIB::hrStorageUsed.36`)."""
    if check.named_by is not None:
        index = row_index(check, oid)
        if check.named_via is not None:
            pointer = cells.cell(check.named_via, index)
            index = (int(pointer),) if isinstance(pointer, int) and pointer > 0 else ()
        label = cells.cell(check.named_by, index) if index else None
        shown = text(label).strip() if label is not None else ""
        if shown:
            return f"{check.oid.row_name(check.oid.oid)}[{shown}]"
    return check.oid.row_name(oid)
