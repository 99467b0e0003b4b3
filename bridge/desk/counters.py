"""What the desk did, counted for its metrics."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class DeskCounters:
    """What the desk did, for metrics: (customer, kind) -> count.

    Written on the store's writer thread, read at scrape time; durations are handed over
    under a lock so none is lost between the two.
    """

    sla_warnings: dict[tuple[str, str], int] = field(default_factory=dict)
    sla_breaches: dict[tuple[str, str], int] = field(default_factory=dict)
    steps_fired: int = 0
    _durations: list[tuple[str, str, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_duration(self, kind: str, priority: str, seconds: float) -> None:
        """A reaction or resolution time, in coverage seconds."""
        with self._lock:
            self._durations.append((kind, priority, seconds))

    def take_durations(self) -> list[tuple[str, str, float]]:
        """The durations recorded since the last call: (kind, priority, seconds)."""
        with self._lock:
            taken, self._durations = self._durations, []
        return taken
