"""What every page goes through: security headers, the session (its idle and absolute
timeouts, the account still enabled with the same password), the CSRF token and Origin of
every POST, and a sign-in before anything but the sign-in page and static files."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Protocol
from urllib.parse import quote, urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import Session, get_session, new_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bridge.config.portal import PortalSection
from bridge.portal.posted import posted
from bridge.portal.service import service_of
from bridge.store.portal_sessions import end_session, session_ended
from bridge.store.users import User, user_by_id

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PREFIX = "/portal"
COOKIE = "bridge_portal"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PERSON = web.RequestKey("person", User)
# a signed-out session is kept this long: absolute_timeout_s's greatest (config/portal.py),
# so no configured timeout outlives it
ENDED_KEPT_S = 30 * 86400
OPEN_PATHS = (f"{PREFIX}/sign-in", f"{PREFIX}/static/", f"{PREFIX}/m/")  # m/: signed mail links

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "Cross-Origin-Opener-Policy": "same-origin",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}


@dataclass(frozen=True)
class Timeouts:
    """How long a session lasts, unused and at all."""

    idle_s: float
    absolute_s: float


TIMEOUTS = web.AppKey("portal_timeouts", Timeouts)


class WallClock(Protocol):
    """Seconds since the epoch (injected: tests move it)."""

    def __call__(self) -> float: ...


WALL = web.AppKey("portal_wall_clock", WallClock)


def cookie_key(secret: str) -> bytes:
    """The 32-byte key of the session cookie's encryption, from the configured secret."""
    return sha256(b"bridge portal session\0" + secret.encode()).digest()


def sessions(settings: PortalSection, secret: str) -> Middleware:
    """Sessions in an encrypted cookie: HttpOnly, SameSite=Lax, Secure if configured."""
    storage = EncryptedCookieStorage(cookie_key(secret), cookie_name=COOKIE, path=f"{PREFIX}/",
                                     httponly=True, samesite="Lax",
                                     secure=settings.cookie_secure)
    return session_middleware(storage)


def _secure(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in HEADERS.items():  # a page may be stricter (a report: no script at all)
        response.headers.setdefault(name, value)
    if not request.path.startswith(f"{PREFIX}/static/"):
        response.headers["Cache-Control"] = "no-store"


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer: no framing, no inline script, no sniffing; pages are not cached."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and refusals are answers too
        _secure(request, exc)
        raise
    _secure(request, response)
    return response


def csrf_token(session: Session) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def _person(request: web.Request, session: Session) -> User | None:
    """The signed-in person, or None (the session ended: signed out, timed out, disabled, a
    new password; a session without an id is from before sign-out kept them)."""
    user_id = session.get("uid")
    if not isinstance(user_id, int):
        return None
    now = request.config_dict[WALL]()
    timeouts = request.config_dict[TIMEOUTS]
    signed_in, seen = session.get("signed_in_at", 0.0), session.get("seen_at", 0.0)
    session_id = session.get("sid")
    user = None
    if isinstance(session_id, str) and now - signed_in <= timeouts.absolute_s \
            and now - seen <= timeouts.idle_s:
        user, ended = await service_of(request).read(
            lambda e: (user_by_id(e, user_id), session_ended(e, session_id)))
        user = None if ended else user
    if user is None or user.disabled or user.session_epoch != session.get("epoch"):
        session.clear()
        return None
    session["seen_at"] = now
    return user


def _same_origin(request: web.Request) -> bool:
    """A browser's POST names the page's origin; another site's page would name its own."""
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser, or an old one: the token still has to match
        return True
    return origin != "null" and urlsplit(origin).netloc == request.host


async def _csrf_ok(request: web.Request, session: Session) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not _same_origin(request):
        return False
    form = await posted(request)  # read here, so every route refuses a bad form alike
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


@web.middleware
async def people(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is asking, and whether this request may go on."""
    session = await get_session(request)
    csrf_token(session)
    person = await _person(request, session)
    if request.method not in ("GET", "HEAD") and not await _csrf_ok(request, session):
        log.info("portal: refused a %s to %s without a matching CSRF token or origin",
                 request.method, request.path)
        raise web.HTTPForbidden(text="403: this form is out of date or not from this site; "
                                     "reload the page and try again")
    if person is not None:
        request[PERSON] = person
    elif not request.path.startswith(OPEN_PATHS):
        if request.method in ("GET", "HEAD"):
            raise web.HTTPSeeOther(f"{PREFIX}/sign-in?next={quote(request.path_qs)}")
        raise web.HTTPForbidden(text="403: sign in first")
    return await handler(request)


async def sign_in_session(request: web.Request, user: User) -> None:
    """A new session for a person who signed in (never the one from before: no fixation)."""
    session = await new_session(request)
    now = request.config_dict[WALL]()
    session.update({"uid": user.id, "epoch": user.session_epoch, "signed_in_at": now,
                    "seen_at": now, "csrf": secrets.token_urlsafe(32),
                    "sid": secrets.token_urlsafe(32)})


async def sign_out_session(request: web.Request) -> None:
    """End the session here and in the store: a copy of its cookie is signed out too."""
    session = await get_session(request)
    session_id = session.get("sid")
    try:
        if isinstance(session_id, str):
            now = datetime.fromtimestamp(request.config_dict[WALL](), UTC)
            forget_before = now - timedelta(seconds=ENDED_KEPT_S)
            await service_of(request).write(
                lambda e: end_session(e, session_id, now, forget_before))
    except Exception as exc:  # the store is down: this browser is signed out all the same
        log.warning("portal sign-out: the store could not keep the session ended (%s); a "
                    "copy of its cookie stays valid until it times out", exc)
    finally:
        session.invalidate()


def person_of(request: web.Request) -> User:
    """The signed-in person of a page (the middleware let no one else through)."""
    return request[PERSON]


def wall_clock() -> float:
    """Seconds since the epoch, for session timestamps."""
    return time.time()
