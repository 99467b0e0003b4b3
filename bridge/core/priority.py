"""Incident priority, P1 (most urgent) to P4, and a contract's shift of it."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    """Incident priority, P1 (most urgent) to P4."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


def shifted(priority: Priority, steps: int) -> Priority:
    """`priority` moved by `steps` (-1: one step more urgent), held within P1..P4."""
    order = list(Priority)
    return order[min(max(order.index(priority) + steps, 0), len(order) - 1)]
