"""A signed link from a customer's mail: its ticket's public view and one button (a POST
with the CSRF token; the GET changes nothing). The link acts on its own ticket only, does
only its own action, and a confirmation only once; every other page needs a sign-in."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bridge.core.mail_links import CONFIRM, MailLink, verify
from bridge.desk.actions import Action
from bridge.portal.guard import PREFIX
from bridge.portal.pages import words_of_customer, words_of_desk
from bridge.portal.service import service_of
from bridge.portal.tickets import clocks, read_ticket
from bridge.store.mail_links import forget_use, use_once
from bridge.store.models import Actor
from bridge.store.tickets import ActionRequest, take_action

LINK_KEY = web.AppKey("portal_link_key", bytes)
MAIL_PATH = "/m/"
AUTHOR = "mail link"


def _refused(request: web.Request, status: int = 403) -> web.Response:
    return aiohttp_jinja2.render_template("not_found.html", request, words_of_desk(request),
                                          status=status)


async def _granted(request: web.Request) -> tuple[MailLink, str] | None:
    """The link a token grants and the ticket's customer, or None."""
    service = service_of(request)
    link = verify(request.config_dict[LINK_KEY], request.match_info["token"], service.now())
    if link is None or link.action != CONFIRM:
        return None
    whole = await read_ticket(service, link.ref, None)
    return (link, whole["customer"]) if whole is not None else None


async def landing(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """GET /portal/m/{token}: the ticket's public view and the link's button."""
    granted = await _granted(request)
    if granted is None:
        return _refused(request)
    link, customer = granted
    ticket = await read_ticket(service_of(request), link.ref, customer)
    assert ticket is not None
    page = words_of_customer(request, customer)
    return aiohttp_jinja2.render_template("mail_link.html", request, {
        **page, "ticket": ticket, "clocks": clocks(ticket, page["w"]),
        "devices": [a["device"] for a in ticket.get("attached", [])],
        "action": Action.CONFIRM, "error": error,
        "token": request.match_info["token"]}, status=status)


async def act(request: web.Request) -> web.StreamResponse:
    """POST /portal/m/{token}: confirm the resolution, once."""
    granted = await _granted(request)
    if granted is None:
        return _refused(request)
    link, customer = granted
    service = service_of(request)
    if not await service.write(lambda e: use_once(e, link.id, link.ref, service.now())):
        return await landing(request, "this link has been used", 410)
    req = ActionRequest(move=Action.CONFIRM.spec.move, actor=Actor.CUSTOMER, author=AUTHOR)
    result = await service.write_tickets(
        lambda engine, desk, now, _prefix: take_action(engine, link.ref, customer, req, now,
                                                      desk))
    if result.status != 200:
        await service.write(lambda e: forget_use(e, link.id))
        return await landing(request, result.reason, result.status)
    raise web.HTTPSeeOther(f"{PREFIX}{MAIL_PATH}{request.match_info['token']}")


def add_routes(app: web.Application) -> None:
    """The mail links' page."""
    app.router.add_get(MAIL_PATH + "{token}", landing)
    app.router.add_post(MAIL_PATH + "{token}", act)
