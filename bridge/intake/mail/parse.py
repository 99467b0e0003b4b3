"""A received message read with the stdlib's `email` (policy.default): its sender, subject
(RFC 2047 decoded), Message-ID, text (text/plain preferred, else the HTML's text) and the
list of its attachments. Reading never raises: what cannot be read says why. Its cost is
bounded: so many MIME parts are read at most, and a message nested deeper is kept unread."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import getaddresses
from html import unescape

from bridge.intake.mail.mime import parse_within

MAX_PARTS = 1000  # MIME parts read of a message; beyond, attachments are not listed
MAX_DEPTH = 20  # parts nested deeper than this (real mail: under 10) and it is kept unread
# A message whose header section is longer is kept unread: the standard library's decoding
# of a header grows far faster than its length (a 280 KB Subject of encoded words took 5 s
# and 2.8 GB); real mail's headers, a long Received: chain included, stay under 20 KB.
MAX_HEADER_BYTES = 64 * 1024
_BLOCK_KINDS = ("script", "style")  # HTML elements whose content is no text
_BLOCK = {kinds: re.compile(rf"<({'|'.join(kinds)})\b", re.IGNORECASE)
          for kinds in (_BLOCK_KINDS, *((kind,) for kind in _BLOCK_KINDS))}
_BLOCK_END = {kind: re.compile(rf"</{kind}\s*>", re.IGNORECASE) for kind in _BLOCK_KINDS}
_TAGS = re.compile(r"<[^>]*>")
_BREAKS = re.compile(r"<(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.IGNORECASE)
_BLANKS = re.compile(r"\n{3,}")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class ReadMail:
    """What the receiver needs of a message."""

    digest: str  # a resend's: see `resend_digest`
    message_id: str
    sender_name: str
    sender: str  # the From: address, lower case; "" if none could be read
    subject: str
    text: str  # the whole text part, not yet trimmed
    attachments: tuple[str, ...]  # "name (type, N bytes)"
    problem: str = ""  # why it could not be read; "" if it could


def storable(text: str) -> str:
    """Text every store keeps: no NUL (PostgreSQL refuses it), no lone surrogate (what
    undecodable bytes become)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _read(digest: str, message_id: str, name: str, sender: str, subject: str, text: str,
          attachments: tuple[str, ...], problem: str = "") -> ReadMail:
    return ReadMail(digest, storable(message_id), storable(name), storable(sender),
                    storable(subject), storable(text), tuple(storable(a) for a in attachments),
                    problem)


def _without_blocks(html: str) -> str:
    """The HTML without its scripts and style sheets (an unclosed one's tag only goes)."""
    pieces: list[str] = []
    at = 0
    kinds: tuple[str, ...] = _BLOCK_KINDS
    while kinds and (block := _BLOCK[kinds].search(html, at)) is not None:
        kind = block.group(1).lower()
        end = _BLOCK_END[kind].search(html, block.end())
        if end is None:  # no end after this opening: none after a later one either
            kinds = tuple(k for k in kinds if k != kind)
            continue
        pieces.append(html[at:block.start()])
        at = end.end()
    pieces.append(html[at:])
    return "".join(pieces)


def _replace_tags(tag: re.Pattern[str], by: str, html: str) -> str:
    """`tag.sub(by, html)`, tried only where a `>` follows: a `<` with none after it is
    text, and a search for one from each `<` of thousands would take minutes."""
    tags_end = html.rfind(">") + 1
    return tag.sub(by, html[:tags_end]) + html[tags_end:]


def html_text(html: str) -> str:
    """The text of an HTML part: tags dropped, entities decoded, line breaks kept."""
    text = _replace_tags(_TAGS, "", _replace_tags(_BREAKS, "\n", _without_blocks(html)))
    lines = (line.strip() for line in unescape(text).replace("\xa0", " ").splitlines())
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def _content(part: Message) -> str:
    content = part.get_content() if isinstance(part, EmailMessage) else ""
    return content if isinstance(content, str) else ""


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = _content(body)
    return html_text(text) if body.get_content_subtype() == "html" else text


def _attachments(message: EmailMessage, listed: int, parts_cut: bool) -> tuple[str, ...]:
    shown: list[str] = []
    count = 0
    for part in message.iter_attachments():
        count += 1
        if count > listed:
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        name = (part.get_filename() or "unnamed")[:200]
        shown.append(f"{name} ({part.get_content_type()}, {size} bytes)")
    if count > listed:
        shown.append(f"… and {count - listed} more")
    if parts_cut:
        shown.append(f"… parts beyond the first {MAX_PARTS} not listed")
    return tuple(shown)


def _message_id(message: EmailMessage) -> str:
    try:
        return str(message.get("Message-ID", "") or "").strip()[:255]
    except Exception:  # unreadable: the message is then known by its bytes
        return ""


def resend_digest(data: bytes, message_id: str, sender: str) -> str:
    """What a resend has in common with the message it repeats: its Message-ID, From:
    address and body (not the headers: each relay adds a Received:), so a mail from another
    sender, or with other words, is never taken for a resend because its Message-ID is
    reused. A message without a Message-ID is known by all its bytes."""
    if not message_id:
        return hashlib.sha256(data).hexdigest()
    header_end = _HEADER_END.search(data)
    body = data[header_end.end():] if header_end else b""
    key = b"\0".join((message_id.encode("utf-8", "replace"),
                      sender.encode("utf-8", "replace"), hashlib.sha256(body).digest()))
    return hashlib.sha256(key).hexdigest()


def read_mail(data: bytes, max_listed: int) -> ReadMail:
    """Read a message's bytes as received (DATA)."""
    message_id = ""
    header_end = _HEADER_END.search(data, 0, MAX_HEADER_BYTES + 4)
    if header_end is None and len(data) > MAX_HEADER_BYTES:
        return _read(resend_digest(data, "", ""), "", "", "", "",
                     data.decode("utf-8", "replace"), (),
                     f"headers over {MAX_HEADER_BYTES // 1024} KiB: kept unread")
    try:
        parsed = parse_within(data, MAX_PARTS, MAX_DEPTH)
        message = parsed.message
        message_id = _message_id(message)
        subject = " ".join(str(message.get("Subject", "") or "").split())
        senders = getaddresses([str(message.get("From", "") or "")])
        name, address = senders[0] if senders else ("", "")
        address = address.lower() if "@" in address else ""
        if parsed.too_deep:
            return _read(resend_digest(data, message_id, address), message_id, name, address,
                         subject, data.decode("utf-8", "replace"), (),
                         f"nested deeper than {MAX_DEPTH} MIME levels: kept unread")
        text = _text(message)
        attachments = _attachments(message, max_listed, parsed.parts_cut)
    except Exception as exc:  # whatever a sender wrote: the message is kept, never lost
        return _read(resend_digest(data, message_id, ""), message_id, "", "", "",
                     data.decode("utf-8", "replace"), (), f"undecodable: {type(exc).__name__}")
    digest = resend_digest(data, message_id, address)
    if not address:
        return _read(digest, message_id, name, "", subject, text, attachments,
                     "no sender address in From:")
    return _read(digest, message_id, name, address, subject, text, attachments)
