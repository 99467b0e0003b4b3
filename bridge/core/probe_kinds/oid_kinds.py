"""How a named MIB object is read, and the helpers that number a MIB's objects."""

from __future__ import annotations

from enum import StrEnum


class ObjectKind(StrEnum):
    """How an object is read: a scalar's one instance (.0), or a table column's rows."""

    SCALAR = "scalar"
    COLUMN = "column"
    TABLE = "table"


def scalars(base: str, names: dict[str, int]) -> dict[str, tuple[str, ObjectKind]]:
    """Scalars under `base`, by their last arc."""
    return {name: (f"{base}.{arc}", ObjectKind.SCALAR) for name, arc in names.items()}


def columns(entry: str, names: dict[str, int]) -> dict[str, tuple[str, ObjectKind]]:
    """A table's columns under its `entry`, by column number."""
    return {name: (f"{entry}.{arc}", ObjectKind.COLUMN) for name, arc in names.items()}
