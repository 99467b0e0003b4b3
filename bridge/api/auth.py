"""Bearer-token authentication and the caller's scope."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from bridge.config.main_file import Role
from bridge.config.model import ApiToken
from bridge.store import Engine
from bridge.store.users import User, person_of_token

# /favicon.ico: browsers ask for it on their own; a 404, not a 401 and a log line
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/favicon.ico"})
# Other monitors' alerts (bridge.intake): each source checks its own token, HMAC or routing key.
OWN_AUTH_PREFIX = "/api/v1/intake/"
# ... except the API's own routes under it (bridge/api/inbound_mail.py)
API_UNDER_INTAKE = frozenset({"/api/v1/intake/mail"})
log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Caller:
    """Who is calling: an operator sees everything, a customer only its own."""

    name: str
    role: Role
    customer: str | None

    def sees(self, customer: str) -> bool:
        """Whether this caller may see data of `customer`."""
        return self.role == Role.OPERATOR or self.customer == customer


CALLER_KEY = "bridge.caller"


def bearer(header: str) -> str | None:
    """The bearer token of an Authorization header, if it has one."""
    scheme, _, value = header.partition(" ")
    # A bearer token is visible ASCII (RFC 6750); raw bytes in the header (aiohttp hands them
    # over as surrogates) match no secret and are refused here, before anything encodes them.
    if scheme.lower() != "bearer" or not value.strip() or not (
            value.isascii() and value.isprintable()):
        return None
    return value.strip()


def find_token(tokens: Sequence[ApiToken], header: str) -> ApiToken | None:
    """The token presented in an Authorization header, compared in constant time."""
    value = bearer(header)
    if value is None:
        return None
    match = None
    for token in tokens:  # check every token so timing does not reveal which matched
        if token.secret.matches(value):
            match = token
    return match


PersonFinder = Callable[[str], Awaitable[Caller | None]]


def personal_tokens(read: Callable[[Callable[[Engine], User | None]], Awaitable[User | None]]
                    ) -> PersonFinder:
    """The person whose own token (`bridge login`) a request presents, acting as themself."""

    async def find(secret: str) -> Caller | None:
        user = await read(lambda engine: person_of_token(engine, secret))
        return None if user is None else Caller(user.display_name, user.role, user.customer)

    return find


def error(status: int, message: str, **headers: str) -> web.Response:
    """A JSON error body with a reason."""
    return web.json_response({"error": message}, status=status, headers=headers)


def auth_middleware(
    get_tokens: Callable[[], Sequence[ApiToken]], metrics_public: Callable[[], bool],
    find_person: PersonFinder | None = None,
) -> Middleware:
    """Reject every request but health (and metrics, if so configured) without a valid token."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if _of_a_subapp(request):
            return await handler(request)
        if request.path in PUBLIC_PATHS or (request.path.startswith(OWN_AUTH_PREFIX)
                                            and request.path not in API_UNDER_INTAKE) or (
                request.path == "/metrics" and metrics_public()):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        token = find_token(get_tokens(), header)
        secret = bearer(header)
        if token is None and find_person is not None and secret is not None:
            person = await find_person(secret)
            if person is not None:
                request[CALLER_KEY] = person
                return await handler(request)
        if token is None:
            presented = "Authorization" in request.headers
            log.info("401 for %s %s from %s (%s)", request.method, request.path, request.remote,
                     "invalid token" if presented else "no token")
            return error(401, "missing or invalid bearer token",
                         **{"WWW-Authenticate": 'Bearer realm="bridge"'})
        request[CALLER_KEY] = Caller(token.name, token.role, token.customer)
        return await handler(request)

    return middleware


def _of_a_subapp(request: web.Request) -> bool:
    """A page of an application mounted in the API's (the portal): it signs its own people
    in and answers in its own way."""
    return len(request.match_info.apps) > 1


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own 404/405 pages as JSON, like every other error of the API."""
    if _of_a_subapp(request):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return error(exc.status, exc.reason, **{k: v for k, v in exc.headers.items()
                                               if k.lower() == "allow"})


def caller_of(request: web.Request) -> Caller:
    """The authenticated caller of a request."""
    caller = request.get(CALLER_KEY)
    assert isinstance(caller, Caller)
    return caller
