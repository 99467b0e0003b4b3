"""Sources that never send resolves: their alerts resolve after a configured silence."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime
from functools import partial

from bridge.aio import wait_or_timeout
from bridge.config.intake_model import OnResolve
from bridge.intake.service import IntakeService
from bridge.store import Engine
from bridge.store.alerts import AlertOutcome, resolve_silent
from bridge.store.tickets import Desk

log = logging.getLogger(__name__)
SWEEP_S = 30.0  # the silences are minutes long: half a minute late at most


def _sweep(engine: Engine, desk: Desk, now: datetime, prefix: str, *,
           silences: Mapping[str, tuple[float, OnResolve]]) -> list[AlertOutcome]:
    return resolve_silent(engine, silences, prefix, now, desk)


async def resolve_silent_alerts(service: IntakeService, stop: asyncio.Event,
                                sweep_s: float = SWEEP_S) -> None:
    """Until `stop`: resolve alerts whose source has been silent about them too long."""
    while not stop.is_set():
        config = service.current_config()
        silences = {name: (s.silence_s, s.on_resolve)
                    for name, s in config.intake.sources.items() if s.silence_s is not None}
        if silences:
            try:
                outcomes = await service.write_tickets(
                    partial(_sweep, silences=silences))
            except Exception as exc:  # the store is down: the next sweep catches up
                log.warning("intake: cannot resolve silent alerts, will retry: %s", exc)
            else:
                for outcome in outcomes:
                    log.info("intake: alert %s resolved after its source's silence (%s)",
                             outcome.fingerprint, outcome.ref or "no ticket")
        await wait_or_timeout(stop, sweep_s)
