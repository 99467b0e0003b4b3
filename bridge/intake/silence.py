"""The intake's sweeps, on the leader: alerts of sources that never send resolves resolve
after a configured silence, and resolves deferred by a source's max_resolves_per_min are
applied as its cap allows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime
from functools import partial

from bridge.aio import wait_or_timeout
from bridge.config.intake_model import OnResolve
from bridge.config.model import Config
from bridge.intake.service import IntakeService
from bridge.store import Engine
from bridge.store.alert_sweeps import resolve_deferred, resolve_silent
from bridge.store.alerts import AlertOutcome
from bridge.store.tickets import Desk

log = logging.getLogger(__name__)
SWEEP_S = 30.0  # the silences are minutes long: half a minute late at most
DEFERRED_SWEEP_S = 5.0  # a deferred resolve applies at most this late once the cap allows


def _sweep(engine: Engine, desk: Desk, now: datetime, prefix: str, *,
           silences: Mapping[str, tuple[float, OnResolve]],
           caps: Mapping[str, int | None]) -> list[AlertOutcome]:
    return resolve_silent(engine, silences, prefix, now, desk, caps)


def _resume(engine: Engine, desk: Desk, now: datetime, prefix: str, *,
            sources: Mapping[str, tuple[OnResolve, int | None]]) -> list[AlertOutcome]:
    return resolve_deferred(engine, sources, prefix, now, desk)


async def _silent(service: IntakeService, config: Config) -> None:
    silences = {name: (s.silence_s, s.on_resolve)
                for name, s in config.intake.sources.items() if s.silence_s is not None}
    if not silences:
        return
    caps = {name: s.max_resolves_per_min for name, s in config.intake.sources.items()}
    try:
        outcomes = await service.write_tickets(partial(_sweep, silences=silences, caps=caps))
    except Exception as exc:  # the store is down: the next sweep catches up
        log.warning("intake: cannot resolve silent alerts, will retry: %s", exc)
        return
    for outcome in outcomes:
        log.info("intake: alert %s resolved after its source's silence (%s)",
                 outcome.fingerprint, outcome.ref or "no ticket")


async def _deferred(service: IntakeService, config: Config) -> None:
    sources = {name: (s.on_resolve, s.max_resolves_per_min)
               for name, s in config.intake.sources.items()}
    try:
        outcomes = await service.write_tickets(
            partial(_resume, sources=sources),
            changed=lambda done: any(o.action != "deferred" for o in done))
    except Exception as exc:  # the store is down: they wait in it for the next sweep
        log.warning("intake: cannot apply deferred resolves, will retry: %s", exc)
        return
    applied = [o for o in outcomes if o.action != "deferred"]
    for outcome in applied:
        log.info("intake: deferred resolve of alert %s applied: %s (%s)",
                 outcome.fingerprint, outcome.action, outcome.ref or "no ticket")
    if applied and len(applied) < len(outcomes):
        log.info("intake: %d deferred resolves still wait for their source's cap",
                 len(outcomes) - len(applied))


async def resolve_silent_alerts(service: IntakeService, stop: asyncio.Event,
                                sweep_s: float = SWEEP_S,
                                deferred_s: float = DEFERRED_SWEEP_S) -> None:
    """Until `stop`: resolve alerts whose source has been silent about them too long, and
    apply deferred resolves as their sources' caps allow."""
    loop = asyncio.get_running_loop()
    next_silence = loop.time()
    while not stop.is_set():
        config = service.current_config()
        await _deferred(service, config)
        if loop.time() >= next_silence:
            next_silence = loop.time() + sweep_s
            await _silent(service, config)
        await wait_or_timeout(stop, deferred_s)
