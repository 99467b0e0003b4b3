"""What bridge remembers of each SNMPv3 agent's engine: its boots and time (RFC 3414 2.3).

An authenticated request carries the agent's engineBoots and an estimate of its
engineTime; the agent refuses it when they are more than 150 s off (notInTimeWindow).
So the client keeps, per engine ID, the boots and latest time the agent said, and when
(on the monotonic clock), and estimates the time from there. RFC 3414 3.2 step 7 says
when a reply may move this forward and when it is out of the window; a restarted agent
whose boots or time went back is noticed by comparing what it says in its discovery
Report with this (`agrees`), and then forgotten.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bridge.probes.snmp.discovery import EngineInfo

TIME_WINDOW_S = 150  # RFC 3414 3.2.7: engineTime drift beyond which messages are refused
_LAST_BOOTS = 2**31 - 1  # RFC 3414 2.2.2: an engine at this count must be reconfigured


@dataclass(frozen=True)
class _Seen:
    boots: int
    time_s: int  # latestReceivedEngineTime
    at_s: float  # monotonic, when it was received


class EngineClocks:
    """Boots and time of every engine the client talks to, as far as it knows them."""

    def __init__(self, monotonic_s: Callable[[], float] = time.monotonic) -> None:
        self._monotonic_s = monotonic_s
        self._seen: dict[bytes, _Seen] = {}

    def now(self, engine_id: bytes) -> tuple[int, int]:
        """engineBoots and the estimated engineTime to send to `engine_id` (0, 0 if unknown)."""
        seen = self._seen.get(engine_id)
        if seen is None:
            return 0, 0
        return seen.boots, min(seen.time_s + int(self._monotonic_s() - seen.at_s), _LAST_BOOTS)

    def set(self, info: EngineInfo) -> None:
        """Take what a discovery Report says (the only source before the first reply)."""
        self._seen[info.engine_id] = _Seen(info.boots, info.time_s, self._monotonic_s())

    def learn(self, engine_id: bytes, boots: int, time_s: int) -> bool:
        """Move forward with an authenticated message (RFC 3414 3.2 step 7b1): whether it did."""
        seen = self._seen.get(engine_id)
        if seen is not None and (boots, time_s) <= (seen.boots, seen.time_s):
            return False
        self._seen[engine_id] = _Seen(boots, time_s, self._monotonic_s())
        return True

    def in_window(self, engine_id: bytes, boots: int, time_s: int) -> bool:
        """Whether an authenticated message is in the time window (RFC 3414 3.2 step 7b2)."""
        local_boots, local_time_s = self.now(engine_id)
        return not (local_boots == _LAST_BOOTS or boots < local_boots
                    or (boots == local_boots and time_s < local_time_s - TIME_WINDOW_S))

    def agrees(self, info: EngineInfo) -> bool:
        """Whether what a discovery Report says is what was remembered of the engine."""
        if (info.boots, info.time_s) == (0, 0) or info.engine_id not in self._seen:
            return True  # the agent does not tell, or nothing remembered: nothing stale
        boots, time_s = self.now(info.engine_id)
        return boots == info.boots and abs(time_s - info.time_s) <= TIME_WINDOW_S

    def forget(self, engine_id: bytes) -> None:
        """Drop what was remembered of an engine that is gone or was reset."""
        self._seen.pop(engine_id, None)
