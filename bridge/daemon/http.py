"""The HTTP listener: start it, or say plainly why it cannot listen."""

from __future__ import annotations

import logging
import os
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bridge.config.model import Listen

log = logging.getLogger(__name__)


class _RequestLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server log, where a request it cannot parse (an overlong URL or header, bytes
    that are not HTTP) is one line: the client's doing, answered 4xx, not a traceback at
    ERROR. An exception of a handler keeps its traceback."""

    def exception(self, msg: object, *args: object, exc_info: Any = True,
                  **kwargs: Any) -> None:
        if isinstance(exc_info, web.RequestPayloadError) and isinstance(
                exc_info.__cause__, HttpProcessingError):
            exc_info = exc_info.__cause__  # e.g. a chunked body cut short, read to its end
        if isinstance(exc_info, HttpProcessingError):
            reason = " ".join(exc_info.message.split())[:200]
            log.info("refused a malformed request from %s: %d %s", args[0] if args else "?",
                     exc_info.code, reason)
            return
        super().exception(msg, *args, exc_info=exc_info, **kwargs)


async def serve(app: web.Application, listen: Listen) -> web.AppRunner | None:
    """Listen on `listen`; None (logged, cleaned up) if the address cannot be bound."""
    # auto_decompress off: a compressed body is refused unread (api/body.py, portal/posted.py),
    # and what aiohttp reads of it after the answer (its lingering close) stays compressed
    runner = web.AppRunner(app, access_log=None, handle_signals=False, auto_decompress=False,
                           logger=_RequestLog(logging.getLogger("aiohttp.server")))
    await runner.setup()
    site = web.TCPSite(runner, listen.host, listen.port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        log.error("cannot listen on %s: %s (is another bridge running? see http.listen "
                  "or --listen)", listen, reason)
        await runner.cleanup()
        return None
    addresses = ", ".join(f"{a[0]}:{a[1]}" for a in runner.addresses)
    log.info("listening on %s", addresses)
    return runner
