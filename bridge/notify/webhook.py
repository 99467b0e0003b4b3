"""Webhooks: the message as JSON, POSTed with an HMAC-SHA256 signature of the raw body.

A receiver checks `X-Bridge-Signature: sha256=<hex>` against the body it got, and drops
a repeated `Idempotency-Key`. The body carries the same `timestamp` as the
`X-Bridge-Timestamp` header, under the signature, so a receiver can refuse old replays.
2xx is delivered; 408, 429, 5xx, timeouts and connection errors are retried (after the
receiver's Retry-After, if it sends one); any other status is a dead letter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from bridge import __version__
from bridge.notify.notice import Message
from bridge.notify.retry import Attempt, Dead, Delivered, Retry

if TYPE_CHECKING:
    from bridge.config.channels import WebhookChannel

_RETRYABLE_4XX = (408, 429)


def sign(secret: str, body: bytes) -> str:
    """The X-Bridge-Signature value for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(item: Message, now: datetime) -> bytes:
    """The JSON document for one message: its facts, subject, text and key."""
    document: dict[str, Any] = {**item.payload, "subject": item.subject, "text": item.body,
                                "idempotency_key": item.idempotency_key,
                                "timestamp": int(now.timestamp())}
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def retry_after_s(value: str | None, now: datetime) -> float | None:
    """A Retry-After header in seconds (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def classify(status: int, reason: str, retry_after: float | None) -> Attempt:
    """What an HTTP status means for the message."""
    if 200 <= status < 300:
        return Delivered(f"{status}")
    if status in _RETRYABLE_4XX or status >= 500:
        return Retry(f"HTTP {status} {reason}".strip(), retry_after)
    return Dead(f"HTTP {status} {reason}".strip())


class WebhookSender:
    """Posts `webhook:NAME` messages to the configured webhooks over one HTTP session."""

    def __init__(self, http: aiohttp.ClientSession,
                 webhooks: Mapping[str, WebhookChannel]) -> None:
        self._http = http
        self._webhooks = webhooks

    async def send(self, item: Message, now: datetime) -> Attempt:
        """Deliver one message; never raises for a delivery problem."""
        hook = self._webhooks.get(item.recipient)
        if hook is None:
            return Retry(f"webhook {item.recipient!r} is not configured")
        body = webhook_body(item, now)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"bridge/{__version__}",
            "Idempotency-Key": item.idempotency_key,
            "X-Bridge-Timestamp": str(int(now.timestamp())),
            "X-Bridge-Signature": sign(hook.secret.reveal(), body),
        }
        try:
            async with self._http.post(
                    hook.url, data=body, headers=headers, allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=hook.timeout_s)) as response:
                await response.read()
                return classify(response.status, response.reason or "",
                                retry_after_s(response.headers.get("Retry-After"), now))
        except TimeoutError:
            return Retry(f"{hook.name}: no answer within {hook.timeout_s:g} s")
        except aiohttp.ClientError as exc:
            return Retry(f"{hook.name}: {exc or type(exc).__name__}")
