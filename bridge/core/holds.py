"""Why a failing check has no ticket of its own yet (the rule engine's holds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class HoldKind(StrEnum):
    """What keeps a failing check from having a ticket of its own."""

    PARENT = "parent"
    GAP = "gap"
    MAINTENANCE = "maintenance"
    NO_RULE = "no_rule"


@dataclass(frozen=True)
class Hold:
    """Why a failing check has no ticket yet, and until when, if known."""

    kind: HoldKind
    reason: str
    until: datetime | None = None
