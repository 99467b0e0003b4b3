"""Signing in and out. Failures are rate limited per user name and per client address;
a wrong name and a wrong password read the same and take the same time."""

from __future__ import annotations

import asyncio
import logging
import math

import aiohttp_jinja2
from aiohttp import web

from bridge.config.main_file import Role
from bridge.portal.guard import PERSON, PREFIX, sign_in_session, sign_out_session
from bridge.portal.limits import SignInLimiter
from bridge.portal.pages import words_of_desk
from bridge.portal.passwords import hash_password, needs_rehash, verify
from bridge.portal.posted import posted
from bridge.portal.service import service_of
from bridge.store.users import find_user, rehash

log = logging.getLogger(__name__)
LIMITER = web.AppKey("portal_sign_in_limiter", SignInLimiter)


def _next(request: web.Request) -> str:
    """Where to go after signing in: a page of the portal, never another site."""
    target = request.query.get("next", "")
    if target.startswith(f"{PREFIX}/") and not target.startswith(f"{PREFIX}//") \
            and "\\" not in target:
        return target
    return f"{PREFIX}/"


def _page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template("sign_in.html", request, {
        **words_of_desk(request), "error": error, "next": _next(request)}, status=status)


async def sign_in_form(request: web.Request) -> web.Response:
    """GET /portal/sign-in"""
    return _page(request)


async def sign_in(request: web.Request) -> web.Response:
    """POST /portal/sign-in: name and password; a new session on success."""
    form = await posted(request)
    name = str(form.get("name", ""))[:64]
    password = str(form.get("password", ""))
    address = request.remote or "?"
    limiter = request.config_dict[LIMITER]
    words = words_of_desk(request)["w"]
    wait_s = await limiter.wait_s(service_of(request), name, address)
    if wait_s > 0:
        log.info("portal: sign-in of %r from %s refused: too many failures", name, address)
        return _page(request, words("too_many", minutes=math.ceil(wait_s / 60)), 429)
    user = await service_of(request).read(lambda e: find_user(e, name))
    ok = await asyncio.to_thread(verify, user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        await limiter.failed(service_of(request), name, address)
        log.info("portal: failed sign-in of %r from %s", name, address)
        return _page(request, words("sign_in_failed"), 401)
    await limiter.succeeded(service_of(request), name)
    if needs_rehash(user.password_hash):
        stronger = await asyncio.to_thread(hash_password, password)
        await service_of(request).write(lambda e: rehash(e, user.id, stronger))
    await sign_in_session(request, user)
    log.info("portal: %s (%s) signed in from %s", user.name, user.role.value, address)
    raise web.HTTPSeeOther(_next(request))


async def sign_out(request: web.Request) -> web.Response:
    """POST /portal/sign-out: the session ends here and now."""
    await sign_out_session(request)
    raise web.HTTPSeeOther(f"{PREFIX}/sign-in")


async def home(request: web.Request) -> web.Response:
    """GET /portal/: a customer's tickets, or the desk's queue."""
    person = request[PERSON]
    raise web.HTTPSeeOther(f"{PREFIX}/desk/queue" if person.role is Role.OPERATOR
                           else f"{PREFIX}/tickets")


def add_routes(app: web.Application) -> None:
    """Signing in and out, and the front door."""
    app.router.add_get("/", home)
    app.router.add_get("/sign-in", sign_in_form)
    app.router.add_post("/sign-in", sign_in)
    app.router.add_post("/sign-out", sign_out)
