"""The portal's aiohttp application: its middlewares, pages, templates and static files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bridge.config.portal import PortalSection
from bridge.portal import (
    availability,
    customer_pages,
    desk_pages,
    mail_links,
    maintenance,
    sign_in,
    statistics,
)
from bridge.portal.guard import (
    TIMEOUTS,
    WALL,
    Timeouts,
    people,
    security_headers,
    sessions,
    wall_clock,
)
from bridge.portal.limits import SignInLimiter
from bridge.portal.pages import common, measured, ticked
from bridge.portal.posted import identity_forms
from bridge.portal.service import PORTAL_SERVICE, PortalService

HERE = Path(__file__).parent
MAX_FORM_BYTES = 64 * 1024


def build_portal(service: PortalService, settings: PortalSection, session_secret: str, *,
                 wall: Callable[[], float] = wall_clock,
                 link_key: bytes | None = None) -> web.Application:
    """The portal, to be mounted at /portal/ (see daemon/web.py); with `link_key`, the
    signed links of customers' mails open their page."""
    app = web.Application(client_max_size=MAX_FORM_BYTES, middlewares=[
        security_headers, identity_forms, sessions(settings, session_secret), people])
    app[PORTAL_SERVICE] = service
    app[TIMEOUTS] = Timeouts(settings.idle_timeout_s, settings.absolute_timeout_s)
    app[WALL] = wall
    app[sign_in.LIMITER] = SignInLimiter(settings.sign_in_attempts, settings.sign_in_window_s,
                                         wall)
    filters: dict[str, Callable[..., str]] = {"measured": measured, "ticked": ticked}
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"),
                         autoescape=True, undefined=jinja2.StrictUndefined,
                         context_processors=[common], filters=filters)
    sign_in.add_routes(app)
    customer_pages.add_routes(app)
    desk_pages.add_routes(app)
    availability.add_routes(app)
    statistics.add_routes(app)
    maintenance.add_routes(app)
    if link_key is not None:
        app[mail_links.LINK_KEY] = link_key
        mail_links.add_routes(app)
    app.router.add_static("/static/", HERE / "static")
    return app
