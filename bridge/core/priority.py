"""Incident priority, P1 (most urgent) to P4, and a contract's shift of it."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    """Incident priority, P1 (most urgent) to P4."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


_ORDER = tuple(Priority)  # listing an enum's members costs more than the rest of `shifted`
_RANK = {priority: rank for rank, priority in enumerate(_ORDER)}


def shifted(priority: Priority, steps: int) -> Priority:
    """`priority` moved by `steps` (-1: one step more urgent), held within P1..P4."""
    return _ORDER[min(max(_RANK[priority] + steps, 0), len(_ORDER) - 1)]
