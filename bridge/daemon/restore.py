"""The rule engine as the store left it: at start, and when shards change hands.

Every decision the engine makes rests on what it knows (states, open problems, attached
checks, recent resolutions, a suspected gap); an instance that gains shards learns their
state from the store, where their last owner left it, so it neither recovers nor fails
anything falsely.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bridge.config.model import Config
from bridge.core.engine import RuleEngine
from bridge.daemon.monitor import Monitor
from bridge.store import BatchWriter, Engine
from bridge.store.heartbeat import load_gap_suspicion
from bridge.store.reads import load_open_problems, load_recently_resolved, load_states

log = logging.getLogger(__name__)


def restore_engine(reader: Engine, config: Config, now: datetime) -> RuleEngine[Config]:
    """A rule engine built from the store (blocking: run it in a thread)."""
    states = load_states(reader)
    problems, attached = load_open_problems(reader)
    window = timedelta(seconds=config.main.incidents.reopen_window_s)
    resolved = load_recently_resolved(reader, now - window)
    return RuleEngine(config, states, problems, attached, resolved, now=now,
                      suspect_since=load_gap_suspicion(reader))


class Handover:
    """Follows shards changing hands in a running daemon."""

    def __init__(self, writer: BatchWriter, monitor: Monitor, reader: Engine,
                 config: Callable[[], Config], now: Callable[[], datetime],
                 replan: Callable[[], None]) -> None:
        self._writer, self._monitor, self._reader = writer, monitor, reader
        self._config, self._now, self._replan = config, now, replan

    async def __call__(self, gained: set[int], lost: set[int]) -> None:
        """Drop lost shards' queued decisions and checks; take gained ones up where the
        store says their last owner left them."""
        self._writer.discard(lost)
        if gained:
            await self._writer.flush()  # what we decided is in the store we read back
            engine = await asyncio.to_thread(restore_engine, self._reader, self._config(),
                                             self._now())
            engine.extra_windows = self._monitor.engine.extra_windows
            self._monitor.engine = engine
        self._replan()
        log.info("shards: gained %s, lost %s", sorted(gained) or "none",
                 sorted(lost) or "none")
