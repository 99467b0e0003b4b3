"""The one reader of JSON request bodies: each route's body is a strict pydantic model.

pydantic's own parser reads the bytes, so nesting deeper than it validates (a 100,000-deep
array) is a 400 like any other bad body, never a RecursionError; aiohttp has already refused
a body over MAX_BODY_BYTES (the app's client_max_size) with a 413 before it gets here, and
`identity_bodies` a compressed one with a 415 before anything reads it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bridge.encodings import compression_refused
from bridge.store.texts import NUL_REFUSED, nul_fields

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY_BYTES = 2**20  # aiohttp's default; a valid body (texts of 2,000, 300 ids) is far less
MAX_PROBLEMS = 10  # a body of 100,000 bad items gets a short answer, not 100,000 lines


def bad_request(problems: list[str]) -> web.HTTPBadRequest:
    """A 400 listing what is wrong: all of it in `details`, the first few in `error`."""
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    text = "; ".join(shown) + (f"; and {more} more" if more else "")
    return web.HTTPBadRequest(text=json.dumps({"error": text, "details": shown}),
                              content_type="application/json")


def _problem(error: ErrorDetails) -> str:
    if error["type"] == "json_invalid":
        return f"the body is not JSON: {error['msg'].removeprefix('Invalid JSON: ')}"
    if error["type"] == "model_type" and not error["loc"]:
        return "the body must be a JSON object"
    return f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"


@web.middleware
async def identity_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A compressed body is a 415 before anything reads it (the portal answers its own)."""
    reason = compression_refused(request.headers)
    if reason is None or len(request.match_info.apps) > 1:
        return await handler(request)
    return web.json_response({"error": reason}, status=415,
                             headers={"Accept-Encoding": "identity"})


def _payload_problem(exc: Exception) -> str:
    """What is wrong with a body's bytes, in one line (aiohttp chains the decoder's error)."""
    cause = exc.__cause__ or exc
    text = getattr(cause, "message", None) or str(cause) or type(cause).__name__
    return " ".join(str(text).split())[:200]


async def read_body(request: web.Request, model: type[M]) -> M:
    """The request's JSON body as `model` (no body: an empty object), or a 400 naming every
    bad field."""
    try:
        raw = await request.read()
    except (web.RequestPayloadError, HttpProcessingError) as exc:  # e.g. a chunked body cut short
        raise bad_request([f"the body cannot be read: {_payload_problem(exc)}"]) from None
    try:
        body = model.model_validate_json(raw if raw.strip() else b"{}")
    except ValidationError as exc:
        raise bad_request([_problem(e) for e in exc.errors(include_url=False)]) from None
    nul = list(nul_fields(body.model_dump()))
    if nul:
        raise bad_request([f"{where}: {NUL_REFUSED}" for where in nul])
    return body
