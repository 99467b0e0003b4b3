"""The rule engine as the store left it: at start, and when shards change hands.

Every decision the engine makes rests on what it knows (states, open problems, attached
checks, recent resolutions, flap histories, a suspected gap); an instance that gains
shards takes their checks up from the store, where their last owner left them, so it
neither recovers nor fails anything falsely, and a flapping check stays one flapping
ticket. Its own checks are not touched: what it keeps only in memory for them (timers of
held tickets, waits on parents) goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bridge.config.model import Config
from bridge.core.engine import RuleEngine
from bridge.core.state import CheckKey, Stored, between_attempts
from bridge.daemon.monitor import Monitor
from bridge.store import BatchWriter, Engine
from bridge.store.heartbeat import load_gap_suspicion
from bridge.store.reads import (
    Devices,
    load_flaps,
    load_open_problems,
    load_recently_resolved,
    load_states,
)

log = logging.getLogger(__name__)

_ADOPT_STEP = 1000  # checks taken up per turn of the event loop (~10 ms at most)


def load_stored(reader: Engine, config: Config, now: datetime,
                devices: Devices = None) -> Stored:
    """What the store keeps of every check's judgement (blocking: run it in a thread);
    states and flap histories only of the devices `devices` says yes to, if given."""
    problems, attached = load_open_problems(reader)
    window = timedelta(seconds=config.main.incidents.reopen_window_s)
    return Stored(load_states(reader, devices=devices), load_flaps(reader, devices=devices),
                  problems, attached, load_recently_resolved(reader, now - window))


def restore_engine(reader: Engine, config: Config, now: datetime) -> RuleEngine[Config]:
    """A rule engine built from the store (blocking: run it in a thread)."""
    stored = load_stored(reader, config, now)
    return RuleEngine(config, stored.states, stored.open_problems, stored.attached,
                      stored.resolved, now=now, suspect_since=load_gap_suspicion(reader),
                      flaps=stored.flaps)


class Handover:
    """Follows shards changing hands in a running daemon."""

    def __init__(self, writer: BatchWriter, monitor: Monitor, reader: Engine,
                 config: Callable[[], Config], now: Callable[[], datetime],
                 replan: Callable[[], None], shard: Callable[[str], int],
                 owns: Callable[[str], bool],
                 recheck: Callable[[set[CheckKey]], None],
                 resume: Callable[[dict[CheckKey, float]], None]) -> None:
        self._writer, self._monitor, self._reader = writer, monitor, reader
        self._config, self._now, self._replan = config, now, replan
        self._shard, self._owns, self._recheck = shard, owns, recheck
        self._resume = resume

    async def __call__(self, gained: set[int], lost: set[int]) -> None:
        """Drop the queued decisions of shards lost, write those of shards being given
        back; take gained ones up where the store says their last owner left them (and
        learn the others' tickets anew: a child attaches to its parent's). The checks kept keep
        their memory (flap history, holds, waits): no engine is rebuilt."""
        started = time.monotonic()
        phases_s: dict[str, float] = {}
        self._writer.discard(lost)
        # Shards held again with nobody else in between: what was decided before their
        # leases ran out (the store down longer than a lease) is written before the read.
        self._writer.restore()
        # What we decided is in the store: for shards being given back, before they go;
        # for gained ones, before we read the store back.
        if not await self._writer.flush() and gained and self._writer.restoring:
            # the store would be read without them: taken up again once they are written
            raise RuntimeError("the decisions made before the leases ran out are not "
                               "written yet")
        phases_s["flush"] = time.monotonic() - started
        retry: set[CheckKey] = set()
        checked_ago_s: dict[CheckKey, float] = {}
        if gained:
            engine = self._monitor.engine
            checks = engine.keys()
            keys = [k for k in checks
                    if self._shard(k.device) in gained or not self._owns(k.device)]
            taken = {k.device for k in keys if self._shard(k.device) in gained}
            stored = await asyncio.to_thread(load_stored, self._reader, self._config(),
                                             self._now(), taken)
            phases_s["read"] = time.monotonic() - started - sum(phases_s.values())
            # The others' states are as the fleet view has them (fleet.py), taken at each
            # step: it may take newer ones in while an earlier step let the loop run, and
            # an older copy must not be put back over them. Their tickets and attachments
            # are read anew.
            states = dict(stored.states)
            stored = replace(stored, states=states)
            for at in range(0, len(keys), _ADOPT_STEP):
                step = keys[at:at + _ADOPT_STEP]
                states.update((k, engine.states[k]) for k in step if k.device not in taken)
                engine.adopt(step, stored)
                await asyncio.sleep(0)  # the loop goes on between steps
            phases_s["adopt"] = time.monotonic() - started - sum(phases_s.values())
            # A failure between its attempts was due for a retry on its last owner (the
            # retry interval has passed by now): retried at once, not at its first turn.
            retry = {k for k in keys if self._shard(k.device) in gained
                     and between_attempts(engine.states[k])}
            # The others run when their interval since their last owner's check has
            # passed: at once if it died a while ago, not a whole interval from now.
            now = self._now()
            for key in keys:
                last = engine.states[key].last
                if key not in retry and last is not None and self._shard(key.device) in gained:
                    checked_ago_s[key] = (now - last.at).total_seconds()
        self._replan()
        if checked_ago_s:
            self._resume(checked_ago_s)
        if retry:
            self._recheck(retry)
        phases_s["plan"] = time.monotonic() - started - sum(phases_s.values())
        log.info("shards: gained %s, lost %s; %d checks resumed, %d retried; "
                 "took %.2f s (%s)", sorted(gained) or "none", sorted(lost) or "none",
                 len(checked_ago_s), len(retry), sum(phases_s.values()),
                 ", ".join(f"{name} {s:.2f} s" for name, s in phases_s.items()))
