"""The portal's posted forms: a compressed body is refused before anything reads it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _compression_refused(request: web.Request) -> str | None:
    # the API's rule (api/body.py), said in the portal's words: siblings share no code
    coding = request.headers.get("Content-Encoding", "identity")
    if coding.strip().lower() in ("", "identity"):
        return None
    shown = " ".join(coding.split())[:40]
    return f"the body must not be compressed (Content-Encoding: {shown}); send it as it is"


@web.middleware
async def identity_forms(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A compressed body is a 415 before the session, the CSRF check or a page reads it:
    300 KB of gzip expand to 300 MB on the event loop. Browsers never compress forms."""
    reason = _compression_refused(request)
    if reason is None:
        return await handler(request)
    raise web.HTTPUnsupportedMediaType(text=f"415: {reason}",
                                       headers={"Accept-Encoding": "identity"})
