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
import time

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD_BYTES = 256 * 1024
ARENA_MAX = 2


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
