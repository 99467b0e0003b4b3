"""An alert as a sender states it, and what it did: the values bridge.store.alerts takes
and gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import NamedTuple, Protocol

from bridge.config.intake_model import OnResolve
from bridge.core.priority import Priority
from bridge.core.state import CheckKey

ALERT_PROBLEM = "alert:"


class AlertEvent(NamedTuple):
    """One alert as a sender states it now, mapped to a customer, device and priority.

    A named tuple, not a frozen dataclass: a trap batch builds one for each of its alerts
    that does more than repeat its row (0.7 against 2.9 µs to make: a frozen dataclass
    sets each of its 16 fields through object.__setattr__)."""

    source: str
    fingerprint: str
    firing: bool
    starts_at: datetime
    ends_at: datetime | None
    customer: str
    device: str | None
    # its parents' reachability checks, nearest first (intake/mapping.py): the ticket of one
    # that is down, or the ticket it is attached to, takes the alert
    parent_checks: tuple[CheckKey, ...]
    priority: Priority
    rule: str
    summary: str
    raw: str  # the alert as received, cut to the source's cap
    on_resolve: OnResolve
    held: bool = False  # in a maintenance window
    acknowledged: bool = False  # the sender says someone acknowledged it: a timeline entry
    max_resolves_per_min: int | None = None  # its source's cap on the tickets it resolves


class AlertHead(Protocol):
    """What tells an alert that only repeats its stored row from the rest
    (alert_repeats.py): an AlertEvent, or a lighter value a batch's many repeats share."""

    @property
    def source(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    @property
    def firing(self) -> bool: ...

    @property
    def held(self) -> bool: ...

    @property
    def acknowledged(self) -> bool: ...


@dataclass(frozen=True)
class AlertOutcome:
    """What an alert did: opened, reopened, attached, resolved, noted, held, unchanged."""

    fingerprint: str
    action: str
    ref: str | None = None


# "alert:<source>:<key>" fits a ticket's 200-character problem key with a 48-character source
_KEY_MAX = 200 - len(ALERT_PROBLEM) - 48 - 1


def alert_key(source: str, fingerprint: str) -> str:
    """The fingerprint as stored: itself, or its SHA-256 when too long for the problem key."""
    if len(fingerprint) <= _KEY_MAX and fingerprint.isprintable():
        return fingerprint
    return "sha256:" + sha256(fingerprint.encode()).hexdigest()
