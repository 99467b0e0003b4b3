"""The intake's own tasks, for the daemon to own: silent alerts resolved, mail received."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry

from bridge.intake.mail.receiver import receive_mail
from bridge.intake.service import IntakeService
from bridge.intake.silence import resolve_silent_alerts


def start_intake(service: IntakeService, stop: asyncio.Event,
                 registry: CollectorRegistry | None) -> list[asyncio.Task[None]]:
    """Start them; each ends once `stop` is set."""
    return [asyncio.create_task(resolve_silent_alerts(service, stop), name="intake"),
            asyncio.create_task(receive_mail(service, stop, registry), name="intake mail")]
