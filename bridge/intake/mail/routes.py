"""GET /api/v1/intake/mail: the mail the receiver took, for operators (what was kept
unmatched above all: an unknown sender, a ticket ID of no ticket of the sender's, an
unreadable message). The intake's paths authenticate on their own, so this one checks the
operator's bearer token itself."""

from __future__ import annotations

from aiohttp import web

from bridge.config.main_file import Role
from bridge.config.model import Config
from bridge.intake.service import IntakeService
from bridge.store.mail import list_mail
from bridge.store.mail_models import MailStatus

PATH = "/api/v1/intake/mail"
MAX_LIMIT = 500
_QUERY = frozenset({"status", "limit"})


def _role(config: Config, header: str) -> Role | None:
    """The role of the configured token the header bears; None for none."""
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or not (value.isascii() and value.isprintable()):
        return None
    found = None
    for token in config.tokens:  # every one compared: the timing tells nothing
        if token.secret.matches(value):
            found = token.role
    return found


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def add_mail_routes(app: web.Application, service: IntakeService) -> None:
    """Register GET /api/v1/intake/mail[?status=unmatched&limit=N]."""

    async def listing(request: web.Request) -> web.Response:
        config = service.current_config()
        role = _role(config, request.headers.get("Authorization", ""))
        if role is None:
            return _error(401, "an operator's bearer token is required")
        if role is not Role.OPERATOR:  # as the API's other operator-only routes answer
            return _error(403, "the customers' mail needs an operator token")
        unknown = sorted(set(request.query) - _QUERY)
        if unknown:
            return _error(400, f"{unknown[0]}: unknown query parameter (known: "
                               f"{', '.join(sorted(_QUERY))})")
        wanted = request.query.get("status")
        if wanted is not None and wanted not in {s.value for s in MailStatus}:
            return _error(400, "status: one of " + ", ".join(s.value for s in MailStatus))
        limit = request.query.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            return _error(400, f"limit: a number from 1 to {MAX_LIMIT}")
        status = MailStatus(wanted) if wanted is not None else None
        mail = await service.read(lambda engine: list_mail(engine, status, int(limit)))
        return web.json_response({"mail": mail})

    app.router.add_get(PATH, listing)
