"""What the rule engine reads of the configuration, as Protocols the loaded Config satisfies.

The core imports nothing of bridge: config/model.py's Config fits these by shape, so the
engine runs on it (and a test may hand it anything of the same shape).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bridge.core.maintenance import MaintenanceRule
from bridge.core.priority import Priority
from bridge.core.rules import Condition, TicketRule


class WatchedDevice(Protocol):
    """A monitored device, as the engine sees it."""

    @property
    def customer(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def probes(self) -> tuple[str, ...]: ...
    @property
    def parents(self) -> tuple[str, ...]: ...
    @property
    def redundant_parents(self) -> bool: ...  # down only when all parents are
    @property
    def tags(self) -> tuple[str, ...]: ...


class ProbePacing(Protocol):
    """How often a probe runs, and how long one run may take."""

    @property
    def interval_s(self) -> float: ...
    @property
    def retry_interval_s(self) -> float: ...
    def duration_budget_s(self) -> float: ...


class GapSettings(Protocol):
    """When the bridge itself is blind: canaries and mass-failure thresholds."""

    @property
    def canaries(self) -> tuple[str, ...]: ...
    @property
    def gap_failing_ratio(self) -> float: ...
    @property
    def gap_min_customers(self) -> int: ...
    @property
    def gap_min_checks(self) -> int: ...
    @property
    def gap_grace_s(self) -> float: ...  # new tickets wait while a gap is suspected


class ReopenSettings(Protocol):
    """When a recurrence reopens the last ticket instead of opening a new one."""

    @property
    def reopen_window_s(self) -> float: ...


class EngineSettings(Protocol):
    """The engine's part of bridge.toml."""

    @property
    def monitoring(self) -> GapSettings: ...
    @property
    def incidents(self) -> ReopenSettings: ...


class EngineConfig(Protocol):
    """Everything the rule engine reads of a loaded configuration."""

    @property
    def main(self) -> EngineSettings: ...
    @property
    def devices(self) -> Mapping[str, WatchedDevice]: ...
    @property
    def probes(self) -> Mapping[str, ProbePacing]: ...
    @property
    def maintenance(self) -> tuple[MaintenanceRule, ...]: ...

    def match_rule(self, device_id: str, probe_id: str,
                   condition: Condition = ...) -> tuple[str, TicketRule] | None:
        """The first rule that matches a failing check, or None."""

    def attempts_policy(self, device_id: str, probe_id: str) -> tuple[int, int]:
        """(max_attempts, recover_after) for a check."""

    def reachability(self, device_id: str) -> tuple[str, ...]:
        """The probes that say whether a device can be reached."""

    def ticket_priority(self, device_id: str, rule: TicketRule) -> Priority:
        """The priority of a ticket the rule opens on the device."""
