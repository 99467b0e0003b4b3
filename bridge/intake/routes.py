"""The intake's HTTP endpoints: POST /api/v1/intake/{source} (Alertmanager, Grafana,
generic JSON) and POST /api/v1/intake/v2/enqueue (PagerDuty Events v2).

Each source authenticates its own requests (the API's tokens do not apply). Bad input is a
4xx with a reason; the alerts are in the store before the 2xx, so a sender that resends
after a lost answer changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry

from bridge.config.intake_model import IntakeSource, SourceKind
from bridge.config.model import Config
from bridge.core.maintenance import MaintenanceRule
from bridge.intake.alertmanager import Alert, BadBody, Rejected, parse_webhook, raw_cut
from bridge.intake.counters import IntakeCounters, counters_of
from bridge.intake.credentials import bearer_ok, signature_ok
from bridge.intake.generic import parse_generic
from bridge.intake.group_commit import GroupCommit, Windows
from bridge.intake.limits import RateLimiter, retry_after
from bridge.intake.mapping import DeviceIndex, held, map_alert
from bridge.intake.pagerduty import Event, parse_event
from bridge.intake.service import IntakeService
from bridge.store.alerts import AlertEvent, AlertOutcome
from bridge.store.maintenance import as_rule
from bridge.store.outage import outage_reason, store_unavailable

log = logging.getLogger(__name__)
PREFIX = "/api/v1/intake/"


class _Intake:
    """The handlers, with the device index of the running config."""

    def __init__(self, service: IntakeService, counters: IntakeCounters) -> None:
        self.service = service
        self.counters = counters
        self.limits = RateLimiter()
        self.group = GroupCommit(service, self.windows)
        self._index: DeviceIndex | None = None

    def limited(self, request: web.Request, source: IntakeSource,
                pagerduty: bool = False) -> web.Response | None:
        """A 429 if this client is over the source's rate limit (and counted), else None."""
        wait = self.limits.take((source.name, request.remote), source.rate_per_s, source.burst)
        if wait is None:
            return None
        self.counters.refused(source.name, "rate_limited")
        message = (f"over the rate limit of source {source.name!r} ({source.rate_per_s:g} "
                   f"requests a second, burst {source.burst}); send again after "
                   f"{retry_after(wait)} s")
        headers = {"Retry-After": retry_after(wait)}
        if pagerduty:
            return _pd_error(429, message, headers)
        return _error(429, message, headers=headers)

    def index(self, config: Config) -> DeviceIndex:
        if self._index is None or self._index.config is not config:
            self._index = DeviceIndex(config)  # rebuilt once per reload
        return self._index

    async def windows(self, config: Config) -> Windows:
        rows = await self.service.maintenance_windows()
        return (*config.maintenance, *(as_rule(r) for r in rows))

    async def webhook(self, request: web.Request) -> web.Response:
        config = self.service.current_config()
        name = request.match_info["source"]
        source = config.intake.sources.get(name)
        if source is None or source.kind in (SourceKind.PAGERDUTY, SourceKind.SNMP_TRAP):
            self.counters.refused("", "unknown_source")
            return _error(404, f"no intake source {name[:64]!r}")
        if (refused := self.limited(request, source)) is not None:
            return refused
        if not bearer_ok(request, source):
            self.counters.refused(name, "unauthorized")
            log.info("intake %s: 401 for %s (bad or no token)", name, request.remote)
            return _error(401, "missing or invalid bearer token",
                          headers={"WWW-Authenticate": 'Bearer realm="bridge intake"'})
        body = await self._read(request, source.max_body_bytes, name)
        if not signature_ok(request, source, body):
            self.counters.refused(name, "unauthorized")
            log.info("intake %s: 401 for %s (bad or no signature)", name, request.remote)
            return _error(401, "missing or invalid signature")
        now = self.service.now()
        try:
            if source.generic is not None:
                alerts, rejected = parse_generic(body, source.generic,
                                                 source.summary_annotation, now)
            else:
                alerts, rejected = parse_webhook(body, source.kind)
        except BadBody as exc:
            self.counters.refused(name, "bad_body")
            return _error(400, str(exc))
        if rejected:
            self.counters.refused(name, "bad_alert", len(rejected))
        if rejected and not alerts:
            return _error(400, "; ".join(r.error for r in rejected[:10]),
                          rejected=[_rejected(r) for r in rejected])
        outcomes = await self._take(config, source.name, len(alerts), lambda windows: [
            self._event(config, source, a, now, windows) for a in alerts])
        if outcomes is None:
            self.counters.refused(name, "store_unavailable")
            return _error(503, "the store is unavailable; send again")
        return web.json_response({"status": "success", "alerts": [_shown(o) for o in outcomes],
                                  "rejected": [_rejected(r) for r in rejected]})

    async def _read(self, request: web.Request, limit: int, source: str) -> bytes:
        try:
            return await _read(request, limit)
        except web.HTTPRequestEntityTooLarge:
            self.counters.refused(source, "too_large")
            raise

    def _event(self, config: Config, source: IntakeSource, alert: Alert, now: datetime,
               windows: tuple[MaintenanceRule, ...]) -> AlertEvent:
        mapped = map_alert(source, alert.labels, alert.annotations, self.index(config))
        return AlertEvent(
            source.name, alert.fingerprint, alert.firing, min(alert.starts_at, now),
            alert.ends_at, mapped.customer, mapped.device, mapped.parent_checks, mapped.priority,
            mapped.rule, mapped.summary, raw_cut(alert.raw, source.max_raw_bytes),
            source.on_resolve, held=alert.firing and held(windows, config, mapped, now),
            max_resolves_per_min=source.max_resolves_per_min)

    async def _take(self, config: Config, source: str, size: int,
                    build: Callable[[Windows], list[AlertEvent]]) -> list[AlertOutcome] | None:
        """A post's alerts decided (with other posts' that arrive meanwhile: group_commit.py);
        None if the store failed (also reading the maintenance windows first)."""
        try:
            outcomes = await self.group.take(config, size, build)
        except Exception as exc:
            if not store_unavailable(exc):
                raise
            log.warning("intake %s: the store is unavailable: %s", source, outage_reason(exc))
            return None
        for outcome in outcomes or ():
            self.counters.took(source, outcome.action)
        return outcomes

    async def enqueue(self, request: web.Request) -> web.Response:
        config = self.service.current_config()
        # the source is known once the body is read: the largest any source allows
        limit = max((s.max_body_bytes for s in config.intake.sources.values()), default=1024)
        body = await self._read(request, limit, "")
        try:
            event = parse_event(body)
        except BadBody as exc:
            self.counters.refused("", "bad_body")
            return _pd_error(400, str(exc))
        source = config.intake.by_routing_key(event.routing_key)
        if source is None:
            self.counters.refused("", "unknown_source")
            log.info("intake: an event with an unknown routing key from %s", request.remote)
            return _pd_error(400, "routing_key: unknown to this bridge")
        if (refused := self.limited(request, source, pagerduty=True)) is not None:
            return refused
        if len(body) > source.max_body_bytes:
            self.counters.refused(source.name, "too_large")
            return _pd_error(413, f"the body is over {source.max_body_bytes} bytes")
        now = self.service.now()
        outcomes = await self._take(config, source.name, 1, lambda windows: [
            self._pd_event(config, source, event, now, windows)])
        if outcomes is None:
            self.counters.refused(source.name, "store_unavailable")
            return _pd_error(503, "the store is unavailable; send again")
        return web.json_response({"status": "success", "message": "Event processed",
                                  "dedup_key": event.dedup_key}, status=202)

    def _pd_event(self, config: Config, source: IntakeSource, event: Event, now: datetime,
                  windows: tuple[MaintenanceRule, ...]) -> AlertEvent:
        mapped = map_alert(source, event.labels, {}, self.index(config), event.summary)
        starts_at = min(event.starts_at or now, now)
        trigger = event.action == "trigger"
        return AlertEvent(
            source.name, event.dedup_key, trigger, starts_at,
            None if trigger else now, mapped.customer, mapped.device, mapped.parent_checks,
            mapped.priority, mapped.rule, mapped.summary, raw_cut(event.raw, source.max_raw_bytes),
            source.on_resolve, held=trigger and held(windows, config, mapped, now),
            acknowledged=event.action == "acknowledge",
            max_resolves_per_min=source.max_resolves_per_min)


async def _read(request: web.Request, limit: int) -> bytes:
    """The body, or a 413 as soon as it is over `limit` (before reading it all)."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    body = bytearray()
    try:
        async for chunk in request.content.iter_chunked(65536):
            body += chunk
            if len(body) > limit:
                raise _too_large(limit)
    except (web.HTTPException, ValueError, OSError, RuntimeError) as exc:
        if isinstance(exc, web.HTTPException):
            raise
        raise web.HTTPBadRequest(text=json.dumps({"error": "the body cannot be read"}),
                                 content_type="application/json") from None
    return bytes(body)


def _too_large(limit: int) -> web.HTTPRequestEntityTooLarge:
    return web.HTTPRequestEntityTooLarge(
        max_size=limit, actual_size=limit + 1,
        text=json.dumps({"error": f"the body is over {limit} bytes"}),
        content_type="application/json")


def _error(status: int, message: str, *, rejected: list[dict[str, Any]] | None = None,
           headers: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if rejected is not None:
        body["rejected"] = rejected
    return web.json_response(body, status=status, headers=headers)


def _pd_error(status: int, message: str,
              headers: dict[str, str] | None = None) -> web.Response:
    """An error as PagerDuty words it."""
    return web.json_response({"status": "invalid event", "message": "Event object is invalid",
                              "errors": [message]}, status=status, headers=headers)


def _rejected(r: Rejected) -> dict[str, Any]:
    return {"index": r.index, "error": r.error}


def _shown(o: AlertOutcome) -> dict[str, Any]:
    return {"fingerprint": o.fingerprint, "action": o.action, "ticket": o.ref}


def add_routes(app: web.Application, service: IntakeService,
               registry: CollectorRegistry | None = None) -> web.Application:
    """Register the intake's endpoints (they authenticate per source, not by API token)."""
    intake = _Intake(service, counters_of(registry))
    app.router.add_post(PREFIX + "v2/enqueue", intake.enqueue)
    app.router.add_post(PREFIX + "{source}", intake.webhook)
    return app
