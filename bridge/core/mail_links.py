"""Signed links in a customer's mail: one ticket, one action, until a time, without a
password. Pure: the key, the time and the token's id are the caller's.

A token is `<payload>.<signature>`, both base64url: the payload names the ticket, the
action, the expiry (Unix seconds), an id (to refuse a second confirmation) and the
reader the mail went to (empty: unknown); the signature is HMAC-SHA256 over the payload
with the portal's link key. Tokens signed before the reader was added have four fields.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

CONFIRM = "confirm"  # one use
COMMENT = "comment"  # any number of uses until the link expires
ACTIONS = frozenset({CONFIRM, COMMENT})
MAX_TOKEN = 600


@dataclass(frozen=True)
class MailLink:
    """What a genuine token allows: `action` on ticket `ref` until `expires`, in the name
    of `reader` (the mail's recipient; empty: the customer's)."""

    ref: str
    action: str
    expires: datetime
    id: str
    reader: str = ""

    def expired(self, now: datetime) -> bool:
        """Whether the link is past its time."""
        return now >= self.expires


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def signable(text: str) -> bool:
    """Whether `text` may be a field of a token."""
    return "|" not in text


def sign(key: bytes, link: MailLink) -> str:
    """The token for `link` (its fields must be `signable`)."""
    fields = (link.ref, link.action, str(int(link.expires.timestamp())), link.id, link.reader)
    if link.action not in ACTIONS or not all(signable(f) for f in fields):
        raise ValueError(f"cannot sign {link!r}")
    payload = _b64("|".join(fields).encode())
    return f"{payload}.{_mac(key, payload)}"


def read(key: bytes, token: str) -> MailLink | None:
    """The link a genuine token names, expired or not; None: tampered, malformed or an
    unknown action."""
    if len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    try:
        ref, action, expires, id_, *reader = _unb64(payload).decode().split("|")
        at = datetime.fromtimestamp(int(expires), UTC)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        return None
    if action not in ACTIONS or len(reader) > 1:
        return None
    return MailLink(ref, action, at, id_, *reader)


def verify(key: bytes, token: str, now: datetime) -> MailLink | None:
    """The link a token grants, or None: tampered, malformed, unknown action or expired."""
    link = read(key, token)
    return None if link is None or link.expired(now) else link
