"""Keep garbage collection out of the event loop's way: what the daemon builds to run stays
out of the collections, and the young generation is collected less often.

CPython's full (generation 2) collection walks every container object alive, and each
collection stops every thread. At 12,000 checks (10,000 devices pinged every 30 s, 2,000
polled every 60 s) the defaults ran 40 full collections in 90 s, 0.1-0.7 s each, and
20 s of collections in all: scheduler lag p99 of ~1 s came mostly from there. The config,
the engine's state and the libraries live as long as the config does, so they move to
the permanent generation, which collections skip; and a young generation of 10,000
allocations instead of 700 makes every generation's passes rarer. Measured with
`python -m bench scale` (bench/README.md): 5.6 s of collections in 90 s, 7 of them full.

And keep C allocations from piling up: glibc's malloc gives every thread that allocates an
arena of its own (the readers, the writer, `to_thread`), and after a large block is freed it
raises the size from which blocks are mapped apart, so the availability windows' messages
(megabytes every refresh) end up in arenas that seldom shrink. Two arenas and a fixed
threshold keep large blocks mapped and returned when freed.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import sys
import time
from collections.abc import Callable
from typing import cast

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD_BYTES = 256 * 1024
ARENA_MAX = 2


def _gc_untrack() -> Callable[[object], None] | None:
    """CPython's `PyObject_GC_UnTrack`, called with the GIL held; None elsewhere."""
    api = getattr(ctypes, "pythonapi", None)
    if api is None or sys.implementation.name != "cpython":
        return None
    untrack = getattr(api, "PyObject_GC_UnTrack", None)
    if untrack is None:
        return None
    untrack.argtypes, untrack.restype = [ctypes.py_object], None
    return cast(Callable[[object], None], untrack)


_UNTRACK = _gc_untrack()


def untrack(*values: object) -> None:
    """Take immutable values that can never be part of a reference cycle (a check's state,
    its last result, its flap history: frozen, slotted, holding only such values and
    atoms) out of the garbage collector's lists, as CPython itself does with tuples and
    dicts of atoms. Freed by their reference count as before, they are simply never walked.

    Each check's result replaces its state every interval, so its new state and result
    outlive several young collections and are walked again in every older one: at 50,000 +
    10,000 checks on two instances, young collections of 50-150 ms and full ones of
    250-670 ms, each holding the GIL and so the event loop. And as each new state frees the
    one it replaces (an old object), CPython's count of young allocations hardly grows, so
    the young generation grew to 160,000 objects before a collection came."""
    if _UNTRACK is not None:
        for value in values:
            if value is not None and gc.is_tracked(value):
                _UNTRACK(value)


def limit_malloc() -> None:
    """Two malloc arenas, blocks from 256 KiB mapped apart (glibc; elsewhere nothing).
    Call early: arenas made before stay."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library linked in
    if mallopt is None:
        return
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    mallopt(_M_ARENA_MAX, ARENA_MAX)


def settle() -> None:
    """Collect once, then freeze everything alive. Call when the daemon has built its long-
    lived state (start-up, a config swapped in); the old config's frozen objects are
    collected first."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    log.debug("heap settled: %d objects frozen in %.3f s", gc.get_freeze_count(),
              time.perf_counter() - started)
