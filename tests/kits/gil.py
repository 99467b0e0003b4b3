"""A thread running Python beside the test's own: whether it got the GIL shows whether the
test's thread let go of it."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def a_thread_running_python() -> Iterator[Callable[[], bool]]:
    """Another thread spinning in Python while the body runs, with a switch interval of 1 s
    (a thread waiting for the GIL asks for it after this long, so within the body it gets
    it only when the test's thread lets go). Yields `got_in()`: whether that thread has run
    since the body began."""
    spins = [0]
    running, stop = threading.Event(), threading.Event()

    def spin() -> None:
        running.set()
        while not stop.is_set():
            spins[0] += 1

    thread = threading.Thread(target=spin)
    before = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    try:
        thread.start()
        running.wait()
        at_start = spins[0]
        yield lambda: spins[0] != at_start
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(before)
