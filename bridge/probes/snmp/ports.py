"""The interface table as a check reads it: one Port per ifIndex, named and selected.

Real agents differ: a FortiGate leaves ifDescr empty and names ports in ifName, old
agents have no ifXTable (no ifName, ifAlias, 64-bit counters or ifHighSpeed). A port is
named by ifName, else ifDescr, else its ifIndex; two ports of one name keep their
ifIndex in it, so no two rows ever share a name (or a metrics label).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bridge.core.probe_kinds.interfaces import InterfaceSelection
from bridge.core.probe_kinds.oids import OBJECTS, Oid, name_oid
from bridge.probes.snmp.types import InvalidValue, SnmpValue, VarBind
from bridge.probes.snmp.values import missing, number, text

STATUS_COLUMNS = ("ifDescr", "ifType", "ifAdminStatus", "ifOperStatus", "ifName", "ifAlias")
RATE_COLUMNS = (
    "ifHCInOctets", "ifHCOutOctets", "ifHighSpeed", "ifInOctets", "ifOutOctets", "ifSpeed",
    "ifInErrors", "ifOutErrors", "ifInDiscards", "ifOutDiscards",
    "ifHCInUcastPkts", "ifHCInMulticastPkts", "ifHCInBroadcastPkts",
    "ifHCOutUcastPkts", "ifHCOutMulticastPkts", "ifHCOutBroadcastPkts",
    "ifInUcastPkts", "ifInNUcastPkts", "ifOutUcastPkts", "ifOutNUcastPkts")
COLUMN: dict[str, Oid] = {name: OBJECTS[name][0] for name in (*STATUS_COLUMNS, *RATE_COLUMNS)}
_UP = 1


def interface_columns(selection: InterfaceSelection) -> list[Oid]:
    """The columns a check walks for its interfaces."""
    names = (*STATUS_COLUMNS, *(RATE_COLUMNS if selection.reads_rates() else ()))
    return [COLUMN[name] for name in names]


Cells = Mapping[str, SnmpValue]  # column name -> this port's value


@dataclass(frozen=True)
class Port:
    """One row of ifTable (and ifXTable) with its readable name."""

    index: Oid
    name: str
    cells: Cells

    def text(self, column: str) -> str:
        """A text column's value, '' when absent or unreadable."""
        value = self.cells.get(column)
        return "" if value is None or missing(value) else text(value)

    def number(self, column: str) -> float | None:
        """A numeric column's value, None when absent or unreadable."""
        value = self.cells.get(column)
        return None if value is None else number(value)

    def names(self) -> tuple[str, ...]:
        """What patterns match: ifName, ifAlias, ifDescr and the name it goes by."""
        return (self.text("ifName"), self.text("ifAlias"), self.text("ifDescr"), self.name)

    @property
    def admin_up(self) -> bool:
        """ifAdminStatus up(1)."""
        return self.number("ifAdminStatus") == _UP

    @property
    def oper_up(self) -> bool:
        """ifOperStatus up(1)."""
        return self.number("ifOperStatus") == _UP

    def bad_values(self) -> list[str]:
        """Values the agent sent that could not be read (out of range), named."""
        return [f"{name_oid(COLUMN[c] + self.index)} ({self.name}): {missing(v)}"
                for c, v in self.cells.items() if isinstance(v, InvalidValue)]


def read_ports(tables: Mapping[Oid, list[VarBind]]) -> list[Port]:
    """Every port the status columns list, by ifIndex, each with a unique name."""
    cells: dict[Oid, dict[str, SnmpValue]] = {}
    for column in STATUS_COLUMNS + RATE_COLUMNS:
        oid = COLUMN[column]
        for row_oid, value in tables.get(oid, []):
            cells.setdefault(row_oid[len(oid):], {})[column] = value
    rows = sorted(i for i, c in cells.items()
                  if "ifAdminStatus" in c or "ifOperStatus" in c)
    names = {i: _own_name(i, cells[i]) for i in rows}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return [Port(i, names[i] if counts[names[i]] == 1 else f"{names[i]} (ifIndex {_dotted(i)})",
                 cells[i]) for i in rows]


def _own_name(index: Oid, cells: Cells) -> str:
    for column in ("ifName", "ifDescr"):
        value = cells.get(column)
        if value is not None and not missing(value) and (shown := text(value).strip()):
            return shown
    return f"ifIndex {_dotted(index)}"


def _dotted(index: Oid) -> str:
    return ".".join(map(str, index))


def label(port: Port) -> str:
    """How a port is listed in a failure: its name and, if the name is not it, ifIndex."""
    index = _dotted(port.index)
    return port.name if port.name.startswith("ifIndex ") or f"ifIndex {index}" in port.name \
        else f"{port.name} (ifIndex {index})"


def why_not_judged(selection: InterfaceSelection, port: Port,
                   learned: frozenset[str] | None) -> str | None:
    """Why the check does not judge this port ('admin down', 'excluded', ...); None if it
    does."""
    names = port.names()
    if_type = port.number("ifType")
    if selection.include and not any(p.matches(*names) for p in selection.include):
        return "not included"
    if any(p.matches(*names) for p in selection.exclude):
        return "excluded"
    if selection.types and if_type not in selection.types:
        return "other ifType"
    if if_type in selection.exclude_types:
        return "excluded ifType"
    if selection.admin_up_only and not port.admin_up:
        return "admin down"
    if learned is not None and port.name not in learned:
        return "not up when learned"
    return None


def tally(reasons: Iterable[str]) -> str:
    """`120 admin down, 16 excluded`: how many ports each reason left out."""
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(f"{n} {reason}" for reason, n in counts.items())
