"""The one reader of the portal's posted forms, and the refusal of a compressed body before
anything reads it: a form that cannot be read, or holds text the store cannot keep, is a
400 saying why, whichever route it was posted to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from bridge.encodings import compression_refused
from bridge.store.texts import NUL_REFUSED, nul_fields

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Form = MultiDictProxy[str | bytes | bytearray | web.FileField]


@web.middleware
async def identity_forms(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A compressed body is a 415 before the session, the CSRF check or a page reads it:
    300 KB of gzip expand to 300 MB on the event loop. Browsers never compress forms."""
    reason = compression_refused(request.headers)
    if reason is None:
        return await handler(request)
    raise web.HTTPUnsupportedMediaType(text=f"415: {reason}",
                                       headers={"Accept-Encoding": "identity"})


def _unreadable(exc: Exception, charset: str | None) -> str:
    if isinstance(exc, LookupError):  # "unknown encoding: X"
        return f"unknown charset {str(exc).rpartition(': ')[2][:40]!r}"
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not in its charset {charset or exc.encoding!r}"
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:200]


async def posted(request: web.Request) -> Form:
    """The request's form (read once, aiohttp keeps it), or a 400 saying why it is refused:
    a charset that does not exist or does not decode it, a broken multipart body, NUL."""
    try:
        form = await request.post()
    except (LookupError, ValueError,  # UnicodeDecodeError is a ValueError
            web.RequestPayloadError, HttpProcessingError) as exc:
        reason = _unreadable(exc, request.charset)
        raise web.HTTPBadRequest(text=f"400: the form cannot be read: {reason}") from None
    nul = [where for name, value in form.items() for where in nul_fields(value, name)]
    if nul:
        raise web.HTTPBadRequest(text="400: " + "; ".join(f"{where}: {NUL_REFUSED}"
                                                          for where in nul))
    return form
