"""What comes in from other monitors (webhooks, PagerDuty-style events, SNMP traps) becomes
tickets."""

import asyncio

from prometheus_client import CollectorRegistry

from bridge.intake.counters import counters_of
from bridge.intake.routes import add_routes as add_intake_routes
from bridge.intake.service import IntakeService
from bridge.intake.silence import resolve_silent_alerts
from bridge.intake.traps import serve_traps


async def run_intake(service: IntakeService, stop: asyncio.Event,
                     registry: CollectorRegistry | None) -> None:
    """Until `stop`: the trap listeners, and the sweep of sources that never resolve."""
    await asyncio.gather(resolve_silent_alerts(service, stop),
                         serve_traps(service, stop, counters_of(registry)))


__all__ = ["add_intake_routes", "resolve_silent_alerts", "run_intake"]
