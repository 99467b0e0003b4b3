"""The ping workload both sides run, and the tally each side reports for one round."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_TARGETS = 255 * 254  # 127.0.1.1 … 127.0.255.254


def loopback_targets(count: int) -> list[str]:
    """`count` distinct loopback addresses, 127.0.1.1 upwards; never anything else."""
    if not 0 < count <= MAX_TARGETS:
        raise ValueError(f"target count must be 1…{MAX_TARGETS} (got {count})")
    targets = [f"127.0.{1 + i // 254}.{1 + i % 254}" for i in range(count)]
    require_loopback(targets)
    return targets


def require_loopback(targets: list[str]) -> None:
    """Refuse any address outside 127.0.0.0/8: benchmarks only ever ping loopback."""
    for target in targets:
        if not ipaddress.ip_address(target).is_loopback:
            raise ValueError(f"refusing to ping non-loopback address {target!r}")


@dataclass(frozen=True)
class PingWork:
    """Same targets, same packets per target, same timeouts for bridge and the peer."""

    targets: list[str]
    count: int = 3
    packet_interval_s: float = 0.02
    timeout_s: float = 0.5
    max_concurrent: int = 500  # bridge only: the daemon's semaphore over running checks

    @property
    def requests(self) -> int:
        """Echo requests one round sends."""
        return len(self.targets) * self.count


@dataclass(frozen=True)
class PingTally:
    """One side's outcome for one round of PingWork."""

    run_cpu_s: float  # CPU of the ping run itself (bridge: without interpreter start-up)
    process_cpu_s: float  # CPU of the whole child process, from RUSAGE_CHILDREN
    wall_s: float
    up: int  # targets reported up (at least one reply)
    replies: int
    rtt_sum_ms: float  # over all replies, for the mean RTT
    down_examples: tuple[str, ...] = ()  # a few "address: reason" lines
