"""The Probe protocol: what every kind of probe offers the registry, whatever it speaks.

A kind's prober runs one check and returns a result; a failure is a result, never an
exception. The registry's wrapper owns what all kinds share (deadline, timing).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from bridge.core.results import ProbeResult

ProbeConfig = TypeVar("ProbeConfig", contravariant=True)


@dataclass(frozen=True)
class Target:
    """What a check runs against: the device's address and its credentials for the kind
    that needs them (SNMP's agent access).

    `device` and `probe` name the check; probes that remember the last poll (SNMP
    counters, sysUpTime) keep that memory per check.
    """

    address: str
    device: str = ""
    probe: str = ""
    access: object = None


class Prober(Protocol[ProbeConfig]):
    """One kind's code, one instance per daemon (its sockets, its memory of checks)."""

    def run(self, target: Target, probe: ProbeConfig, started: datetime
            ) -> Awaitable[ProbeResult]:
        """Check `target` once as `probe` says; a failure is a result, never an exception."""
        ...

    def forget_except(self, check_ids: set[tuple[str, str]]) -> None:
        """Drop what is remembered of checks (device, probe) a reload removed."""
        ...

    def close(self) -> None:
        """Release sockets and engines."""
        ...
