"""GET /api/v1/intake/mail (operators): the customer mail the receiver took, newest first;
what was kept unmatched above all (an unknown sender, a ticket ID of no ticket of the
sender's, an unreadable message). It sits under the intake's path, but unlike the senders'
routes there it is the API's: any operator token, a personal one (`bridge login`) too."""

from __future__ import annotations

from aiohttp import web

from bridge.api.auth import caller_of, error
from bridge.api.query import Query, accepts, count, member
from bridge.api.service import service_of
from bridge.config.main_file import Role
from bridge.store.mail import list_mail
from bridge.store.mail_models import MailStatus

PATH = "/api/v1/intake/mail"
STATUS = member("status", "Only messages of this status (`unmatched`: kept for operators).",
                MailStatus)
LIMIT = count("limit", "At most this many messages, newest first.", 100, 1, 500)


@accepts(STATUS, LIMIT)
async def inbound_mail(request: web.Request, query: Query) -> web.Response:
    """GET /api/v1/intake/mail?status=unmatched&limit=N (operators): the mail taken."""
    if caller_of(request).role != Role.OPERATOR:
        return error(403, "the customers' mail needs an operator token")
    status, limit = query[STATUS], query[LIMIT]
    mail = await service_of(request).read(lambda engine: list_mail(engine, status, limit))
    return web.json_response({"mail": mail})


def add_routes(app: web.Application) -> None:
    """Register the mail listing."""
    app.router.add_get(PATH, inbound_mail)
