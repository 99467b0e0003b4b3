"""The daemon's HTTP: the API, health, metrics and the intake's webhooks on [http] listen,
and the portal under /portal/ there or on its own [portal] listen."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from bridge.api.routes import build_app
from bridge.api.service import Service
from bridge.config.load import parse_listen
from bridge.config.model import Config, Listen
from bridge.config.secrets import create_secret_file, resolve_ref
from bridge.daemon.http import serve
from bridge.daemon.mail_links import link_key
from bridge.intake import add_intake_routes
from bridge.intake.service import IntakeService
from bridge.portal.app import build_portal
from bridge.portal.service import PortalService

log = logging.getLogger(__name__)
PORTAL = "/portal/"


def session_secret(config: Config) -> str:
    """[portal] session_key's secret; a missing `file:` is created (random, mode 0600)."""
    ref, base_dir = config.main.portal.session_key, Path(config.path).resolve().parent
    secret = resolve_ref(ref, base_dir, create=True)
    if secret is None:
        path, created = create_secret_file(ref, base_dir)
        by = "created" if created else "another instance created"
        log.info("portal: %s the session key %s", by, path)
        secret = resolve_ref(ref, base_dir)
    assert secret is not None
    return secret.reveal()


async def _to_portal(_request: web.Request) -> web.Response:
    raise web.HTTPFound(PORTAL)


def _mounted(portal: web.Application) -> web.Application:
    root = web.Application()
    root.add_subapp(PORTAL, portal)
    root.router.add_get("/", _to_portal)
    return root


async def serve_web(service: Service, pages: PortalService, intake: IntakeService,
                    registry: CollectorRegistry, config: Config,
                    listen: Listen) -> list[web.AppRunner] | None:
    """Start the listeners; None (logged, cleaned up) if one cannot listen."""
    api = add_intake_routes(build_app(service), intake, registry)
    settings = config.main.portal
    portal = build_portal(pages, settings, session_secret(config),
                          link_key=link_key(config)) if settings.enabled else None
    own = parse_listen(settings.listen) if settings.listen else None
    if portal is not None and own is None:
        api.add_subapp(PORTAL, portal)
    main = await serve(api, listen)
    if main is None:
        return None
    if portal is None or own is None:
        return [main]
    runner = await serve(_mounted(portal), own)
    if runner is None:
        await main.cleanup()
        return None
    return [main, runner]
