"""A store that is down is a 503 on every route (the API, the intake's webhooks, the portal):
the caller should try again, and it is told so, never a 500 with a traceback in the log."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bridge.api.auth import error
from bridge.store.outage import outage_reason, store_unavailable

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
REASON = "the store is unavailable; try again shortly"
_LOG_EVERY_S = 10.0  # an outage under load is thousands of requests: a line now and then
_last_logged = [float("-inf")]


@web.middleware
async def store_outage(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: also a store read of the authentication (a person's token) is covered."""
    try:
        return await handler(request)
    except Exception as exc:
        if not store_unavailable(exc):
            raise
        now = time.monotonic()
        if now - _last_logged[0] >= _LOG_EVERY_S:
            _last_logged[0] = now
            log.warning("%s %s: 503, the store is unavailable: %s", request.method,
                        request.path[:200], outage_reason(exc))
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if len(request.match_info.apps) > 1:  # a page of the portal
            return web.Response(status=503, text=f"503: {REASON}", headers=headers)
        return error(503, REASON, **headers)
