"""Desk time: the daemon's one "now", wall time made continuous across wall-clock steps.

Everything the daemon stamps or compares with stored times (check results, tickets and
their SLA clocks, escalation steps, ETA notices, outbox due times, storm windows,
availability windows, the heartbeat) reads desk time; pacing runs on the monotonic clock.

While the system clock keeps step with real elapsed time (within `JUMP_TOLERANCE_S`),
desk time *is* the system time. A step beyond that (an operator's `date -s`, a VM
restored from a snapshot, NTP stepping a badly wrong clock) is a jump: counted, logged
once, and not followed at once. Desk time keeps counting the real time elapsed and
closes the gap gradually, running `SLEW_RATE` faster or slower than real time, as
ntpd/chrony slew. So a step of +3 d neither ages every open ticket by three days in one
instant (breaches, escalations and notices all at once) nor, stepped back, stops any
clock; the SLA clocks of all tickets count the same continuous time. A restart adopts
the system clock as it stands.

Real elapsed time is CLOCK_BOOTTIME where there is one (Linux): the monotonic clock plus
the time the host was suspended. A suspended VM or laptop wakes with the system clock
ahead by the time it slept; that time really passed (tickets aged), so it is no step.

5 s of tolerance: far above the noise between the two clocks (they are disciplined
together by NTP; only steps part them), and below anything an SLA
of minutes would notice. 5 % of slew: a 30-minute reaction target counts at most 90 s
wrong while the gap closes, and a gap of an hour closes within a day.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

log = logging.getLogger(__name__)

JUMP_TOLERANCE_S = 5.0
SLEW_RATE = 0.05  # desk time runs at most 5 % fast or slow while it catches up


def elapsed_s() -> float:
    """Real elapsed time in seconds from an arbitrary start: never stepped, counts suspend."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boottime) if boottime is not None else time.monotonic()


class DeskTime:
    """The daemon's clock; `now()` is safe from any thread."""

    def __init__(self, wall: Callable[[], float] = time.time,
                 elapsed: Callable[[], float] = elapsed_s) -> None:
        self._wall = wall
        self._elapsed = elapsed
        self._lock = threading.Lock()
        self._desk_s = wall()
        self._elapsed_s = elapsed()
        self._skew_s = 0.0  # system time minus desk time at the last reading
        self._unconfirmed_skew_s: float | None = None  # a step seen once, not yet twice
        self.jumps_total = 0

    @property
    def skew_s(self) -> float:
        """How far the system clock is ahead of desk time (negative: behind)."""
        return self._skew_s

    def now(self) -> datetime:
        """Desk time, as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now_s(), UTC)

    def now_s(self) -> float:
        """Desk time in seconds since the epoch; never goes backwards."""
        with self._lock:
            wall, now_s = self._wall(), self._elapsed()
            elapsed_s = max(0.0, now_s - self._elapsed_s)
            desk_s = self._desk_s + elapsed_s
            skew_s = wall - desk_s
            if abs(skew_s - self._skew_s) > JUMP_TOLERANCE_S:
                if not self._confirmed(skew_s):  # one odd reading is no step: wait for another
                    self._desk_s, self._elapsed_s = desk_s, now_s
                    return desk_s
                self._jumped(skew_s - self._skew_s, skew_s)
            self._unconfirmed_skew_s = None
            if abs(skew_s) <= JUMP_TOLERANCE_S:
                if abs(self._skew_s) > JUMP_TOLERANCE_S:
                    log.info("desk time is back in step with the system clock")
                desk_s = max(wall, self._desk_s)  # in step: desk time is the system time
            else:
                slew_s = SLEW_RATE * elapsed_s
                desk_s += max(-slew_s, min(slew_s, skew_s))
            self._desk_s, self._elapsed_s, self._skew_s = desk_s, now_s, wall - desk_s
            return desk_s

    def _confirmed(self, skew_s: float) -> bool:
        """Whether this reading's step agrees with the one before it: a step is taken only
        when two readings in a row show it, so one reading off (a thread that read the clock
        mid-step) is neither a step nor, at the next reading, a step back."""
        seen, self._unconfirmed_skew_s = self._unconfirmed_skew_s, skew_s
        return seen is not None and abs(skew_s - seen) <= JUMP_TOLERANCE_S

    def _jumped(self, step_s: float, skew_s: float) -> None:
        self.jumps_total += 1
        if abs(skew_s) <= JUMP_TOLERANCE_S:
            log.warning("the system clock stepped by %+.0f s, back to desk time", step_s)
            return
        log.warning("the system clock stepped by %+.0f s; desk time (SLA clocks, escalation, "
                    "notices, timestamps) keeps counting real elapsed time and closes the "
                    "%+.0f s gap at %g %% of elapsed time (a restart adopts the system clock "
                    "at once)", step_s, skew_s, SLEW_RATE * 100)
