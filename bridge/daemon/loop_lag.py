"""How late the event loop runs what is due: the lag every check, timer and request sees.

A sleeper asks the loop to wake it `interval_s` from now and records how much later it
actually woke. Anything that holds the loop (a blocking call, a long synchronous stretch
of Python, a garbage collection pass) shows up as lag, whatever task caused it; the
scheduler's own lag only shows it when a check happens to be due. Monotonic clock: a step
of the system clock is not lag.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

from bridge.aio import wait_or_timeout

LOOP_LAG_INTERVAL_S = 0.25
# Healthy is a millisecond or two and the goal under full load is < 20 ms: the buckets
# resolve that range finely enough for a p99; a stall is 0.1-5 s.
LOOP_LAG_BUCKETS_S = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.05, 0.1, 0.25,
                      0.5, 1.0, 2.5, 5.0)
# The loop lets go of the GIL at every system call (each echo request sent, each datagram
# read, each wait in epoll) and then waits to take it back from the thread that has it
# meanwhile: the store's writer or readers running Python give it up only when asked, after
# the switch interval (CPython's default: 5 ms). A loop turn of a few calls while the writer
# works waited that long for each; the loop's own work is a fraction of a millisecond.
GIL_SWITCH_INTERVAL_S = 0.0005


def hand_the_loop_the_gil_quickly() -> None:
    """Make a thread holding the GIL give it up within `GIL_SWITCH_INTERVAL_S` of the loop
    asking for it (process-wide; never lengthens a shorter interval already set)."""
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))


async def watch_loop_lag(observe: Callable[[float], None], stop: asyncio.Event,
                         interval_s: float = LOOP_LAG_INTERVAL_S) -> None:
    """Observe the loop's wake-up lag every `interval_s` until `stop` is set."""
    while True:
        planned = time.monotonic() + interval_s
        if await wait_or_timeout(stop, interval_s):
            return
        observe(max(0.0, time.monotonic() - planned))
