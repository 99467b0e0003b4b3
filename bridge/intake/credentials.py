"""A source's credential: its bearer token, or an HMAC-SHA256 of the body."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from bridge.config.intake_model import IntakeSource

# Ours, and Grafana alerting's own (its webhook's HMAC setting, default header).
SIGNATURE_HEADERS = ("X-Bridge-Signature", "X-Grafana-Alerting-Signature")


def bearer_ok(request: web.Request, source: IntakeSource) -> bool:
    """Whether the request presents the source's token (compared in constant time)."""
    if source.token is None:
        return True
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return (scheme.lower() == "bearer" and bool(value) and value.isascii()
            and value.isprintable() and source.token.matches(value))


def signature_ok(request: web.Request, source: IntakeSource, body: bytes) -> bool:
    """Whether the body carries the source's HMAC-SHA256 signature (hex, "sha256=" optional)."""
    if source.hmac_secret is None:
        return True
    expected = hmac.new(source.hmac_secret.reveal().encode(), body, hashlib.sha256).hexdigest()
    for header in SIGNATURE_HEADERS:
        presented = request.headers.get(header, "").strip().removeprefix("sha256=").lower()
        if presented.isascii() and hmac.compare_digest(presented, expected):
            return True
    return False
