"""A signed link from a customer's mail: its ticket's public view and the link's one action
(a POST with the CSRF token; the GET changes nothing). A comment link comments until it
expires; a confirm link confirms once. A link acts on its own ticket only, in the name of
the mail's reader (else the customer's); every other page needs a sign-in.

A forged or garbled link is a 403, an expired or used one a 410, and a link for another
ticket than the path names a 404: each a page that says so, never an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bridge.core.mail_links import CONFIRM, MailLink, read
from bridge.desk.actions import Action
from bridge.portal.forms import FormError, read_form
from bridge.portal.pages import not_found, words_of_customer, words_of_desk
from bridge.portal.posted import posted
from bridge.portal.service import service_of
from bridge.portal.tickets import clocks, read_ticket
from bridge.store.mail_links import forget_use, use_once
from bridge.store.models import Actor
from bridge.store.tickets import ActionRequest, take_action

LINK_KEY = web.AppKey("portal_link_key", bytes)
# The ref in the path shows the reader which ticket; links mailed before it was there
# carry only the token.
MAIL_PATHS = ("/m/{ref}/{token}", "/m/{token}")


@dataclass(frozen=True)
class Grant:
    """What a request's link may do: its action on its ticket, in `author`'s name."""

    link: MailLink
    customer: str
    author: str


def _refused(request: web.Request, customer: str | None, reason: str,
             status: int) -> web.Response:
    page = words_of_customer(request, customer) if customer else words_of_desk(request)
    return aiohttp_jinja2.render_template("mail_link_refused.html", request, {
        **page, "status": status, "reason": reason}, status=status)


async def _grant(request: web.Request) -> Grant | web.Response:
    """The request's link, or the page that refuses it."""
    service = service_of(request)
    link = read(request.config_dict[LINK_KEY], request.match_info["token"])
    if link is None:
        return _refused(request, None, "link_invalid", 403)
    whole = await read_ticket(service, link.ref, None)
    if whole is None or request.match_info.get("ref", link.ref) != link.ref:
        return not_found(request, whole["customer"] if whole is not None else None)
    customer = whole["customer"]
    if link.expired(service.now()):
        return _refused(request, customer, "link_expired", 410)
    known = service.current_config().customers.get(customer)
    return Grant(link, customer, link.reader or (known.name if known else customer))


async def landing(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """GET /portal/m/{ref}/{token}: the ticket's public view and the link's form."""
    grant = await _grant(request)
    if isinstance(grant, web.Response):
        return grant
    ticket = await read_ticket(service_of(request), grant.link.ref, grant.customer)
    assert ticket is not None
    page = words_of_customer(request, grant.customer)
    return aiohttp_jinja2.render_template("mail_link.html", request, {
        **page, "ticket": ticket, "clocks": clocks(ticket, page["w"]),
        "devices": [a["device"] for a in ticket.get("attached", [])],
        "action": Action.CONFIRM if grant.link.action == CONFIRM else Action.COMMENT,
        "author": grant.author, "error": error, "here": request.path}, status=status)


async def act(request: web.Request) -> web.StreamResponse:
    """POST /portal/m/{ref}/{token}: the link's action; back to its page."""
    grant = await _grant(request)
    if isinstance(grant, web.Response):
        return grant
    if grant.link.action == CONFIRM:
        return await _confirm(request, grant)
    return await _comment(request, grant)


async def _take(request: web.Request, grant: Grant, action: Action,
                fields: dict[str, Any]) -> tuple[int, str]:
    req = ActionRequest(move=action.spec.move, actor=Actor.CUSTOMER, author=grant.author,
                        **fields)
    result = await service_of(request).write_tickets(
        lambda engine, desk, now, _prefix: take_action(engine, grant.link.ref, grant.customer,
                                                      req, now, desk))
    return result.status, result.reason


async def _confirm(request: web.Request, grant: Grant) -> web.StreamResponse:
    """Confirm the resolution, once: a second use is refused even after a failed one."""
    service, link = service_of(request), grant.link
    if not await service.write(lambda e: use_once(e, link.id, link.ref, service.now())):
        words = words_of_customer(request, grant.customer)["w"]
        return await landing(request, words("link_used"), 410)
    status, reason = await _take(request, grant, Action.CONFIRM, {})
    if status != 200:
        await service.write(lambda e: forget_use(e, link.id))
        return await landing(request, reason, status)
    raise web.HTTPSeeOther(request.path)


async def _comment(request: web.Request, grant: Grant) -> web.StreamResponse:
    """A comment on the public timeline; the link stays valid for the next one."""
    zone = service_of(request).current_config().customers[grant.customer].timezone
    try:
        body = read_form(Action.COMMENT.spec.body, await posted(request), zone)
    except FormError as exc:
        return await landing(request, str(exc), 400)
    if getattr(body, "internal", False):
        return await landing(request, "internal comments are the desk's", 403)
    status, reason = await _take(request, grant, Action.COMMENT, body.request_fields())
    if status != 200:
        return await landing(request, reason, status)
    raise web.HTTPSeeOther(request.path)


def add_routes(app: web.Application) -> None:
    """The mail links' page."""
    for path in MAIL_PATHS:
        app.router.add_get(path, landing)
        app.router.add_post(path, act)
