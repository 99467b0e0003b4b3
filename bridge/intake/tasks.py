"""The intake's own tasks that every instance runs, for the daemon to own: mail received,
SNMP traps heard.
(The sweep of silent alerts runs on the leader only: bridge/daemon/leader_work.py.)"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry

from bridge.intake.counters import counters_of
from bridge.intake.mail.receiver import receive_mail
from bridge.intake.service import IntakeService
from bridge.intake.traps import serve_traps


def start_intake(service: IntakeService, stop: asyncio.Event,
                 registry: CollectorRegistry | None) -> list[asyncio.Task[None]]:
    """Start them; each ends once `stop` is set."""
    return [asyncio.create_task(receive_mail(service, stop, registry), name="intake mail"),
            asyncio.create_task(serve_traps(service, stop, counters_of(registry)),
                                name="intake traps")]
