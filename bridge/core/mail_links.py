"""Signed links in a customer's mail: one ticket, one action, until a time, without a
password. Pure: the key, the time and the token's id are the caller's.

A token is `<payload>.<signature>`, both base64url: the payload names the ticket, the
action, the expiry (Unix seconds) and an id (to refuse a second use); the signature is
HMAC-SHA256 over the payload with the portal's link key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

CONFIRM = "confirm"
COMMENT = "comment"
ACTIONS = frozenset({CONFIRM, COMMENT})
MAX_TOKEN = 400


@dataclass(frozen=True)
class MailLink:
    """What a valid token allows: `action` on ticket `ref` until `expires`."""

    ref: str
    action: str
    expires: datetime
    id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def sign(key: bytes, link: MailLink) -> str:
    """The token for `link` (its fields must not contain `|`)."""
    fields = (link.ref, link.action, str(int(link.expires.timestamp())), link.id)
    if link.action not in ACTIONS or any("|" in f for f in fields):
        raise ValueError(f"cannot sign {link!r}")
    payload = _b64("|".join(fields).encode())
    return f"{payload}.{_mac(key, payload)}"


def verify(key: bytes, token: str, now: datetime) -> MailLink | None:
    """The link a token grants, or None: tampered, malformed, unknown action or expired."""
    if len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    try:
        ref, action, expires, id_ = _unb64(payload).decode().split("|")
        at = datetime.fromtimestamp(int(expires), UTC)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None
    if action not in ACTIONS or now >= at:
        return None
    return MailLink(ref, action, at, id_)
