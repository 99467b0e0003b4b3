"""The HTTP listener: start it, or say plainly why it cannot listen."""

from __future__ import annotations

import logging
import os

from aiohttp import web

from bridge.config.model import Listen

log = logging.getLogger(__name__)


async def serve(app: web.Application, listen: Listen) -> web.AppRunner | None:
    """Listen on `listen`; None (logged, cleaned up) if the address cannot be bound."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
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
