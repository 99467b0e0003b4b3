"""The outbox over the API (operators): what waits, the dead letters, and retrying one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from aiohttp import web

from bridge.api.auth import caller_of, error
from bridge.api.path import OUTBOX_ID
from bridge.api.query import Query, accepts, count, member
from bridge.api.service import service_of
from bridge.config.main_file import Role
from bridge.store import Engine
from bridge.store.models import OutboxStatus
from bridge.store.outbox.admin import list_outbox, retry_dead
from bridge.store.tickets import Desk


class OutboxState(StrEnum):
    """The outbox states an operator lists (sent messages are history, not work)."""

    PENDING = "pending"
    DEAD = "dead"


STATE = member("state", "Messages still to deliver (`pending`, the default) or given up "
                        "on (`dead`).", OutboxState)
LIMIT = count("limit", "At most this many messages, oldest first.", 100, 1, 1000)


@accepts(STATE, LIMIT)
async def outbox_list(request: web.Request, query: Query) -> web.Response:
    """GET /api/v1/outbox?state=pending|dead (operators): messages, oldest first."""
    if caller_of(request).role != Role.OPERATOR:
        return error(403, "the outbox needs an operator token")
    state = OutboxStatus(query[STATE] or OutboxState.PENDING)
    limit = query[LIMIT]
    messages = await service_of(request).read(lambda e: list_outbox(e, state, limit))
    return web.json_response({"state": state.value, "messages": messages})


async def outbox_retry(request: web.Request) -> web.Response:
    """POST /api/v1/outbox/{id}/retry (operators): deliver a dead letter again, now."""
    if caller_of(request).role != Role.OPERATOR:
        return error(403, "retrying messages needs an operator token")
    try:
        message_id = OUTBOX_ID.read(request.match_info["id"])
    except ValueError as exc:
        return error(400, f"id {exc}")
    service = service_of(request)
    deadline_s = service.current_config().main.notifications.retry_deadline_s

    def retry(engine: Engine, _desk: Desk, now: datetime, _prefix: str) -> bool:
        return retry_dead(engine, message_id, now, deadline_s)

    # Through the ticket writer: it wakes the delivery worker when the write is done.
    if not await service.write_tickets(retry):
        return error(404, f"no dead message {message_id}")
    return web.json_response({"id": message_id, "status": OutboxStatus.PENDING.value})


def add_routes(app: web.Application) -> None:
    """Register the outbox routes."""
    app.router.add_get("/api/v1/outbox", outbox_list)
    app.router.add_post("/api/v1/outbox/{id}/retry", outbox_retry)
