"""Turn a notice into one outbox draft per receiver, and several drafts into one digest.

Pure: rendering only, no I/O beyond the templates the TemplateSet already loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.config.channels import Channel, parse_receiver
from bridge.core.wall_clock import local_text
from bridge.notify.links import ReplyLinks, no_links, with_link
from bridge.notify.notice import DIGEST_KIND, OutboxDraft, TicketNotice
from bridge.notify.templates import STAFF_TEMPLATE, TemplateSet

NO_LINKS = ReplyLinks()


def idempotency_key(ref: str, kind: str, discriminator: str, receiver: str) -> str:
    """The same notice to the same receiver always gets the same key; others never do.

    Short enough to stay on one line in an email header.
    """
    digest = hashlib.sha256("\x1f".join((ref, kind, discriminator, receiver)).encode())
    return f"{ref}:{digest.hexdigest()[:24]}"


def local_time(at: datetime | None, timezone: str) -> str | None:
    """A time as the reader's clock shows it: `2026-03-01 14:05 +02:00`."""
    return local_text(at, timezone) if at is not None else None


def notice_payload(notice: TicketNotice, language: str) -> dict[str, Any]:
    """The facts of a notice as JSON (webhook receivers get these, plus subject and text)."""
    return {
        "kind": notice.kind.value, "ticket": notice.ref, "customer": notice.customer,
        "device": notice.device, "priority": notice.priority, "status": notice.status,
        "summary": notice.summary, "message": notice.message, "tier": notice.tier,
        "at": notice.at.isoformat(), "eta": notice.eta.isoformat() if notice.eta else None,
        "visit_at": notice.visit_at.isoformat() if notice.visit_at else None,
        "sla": ({"kind": notice.sla_kind, "pct": notice.sla_pct}
                if notice.sla_kind is not None else None),
        "language": language,
    }


def notice_context(notice: TicketNotice, language: str, timezone: str,
                   links: ReplyLinks = NO_LINKS) -> dict[str, Any]:
    """What a notice template sees; every name is always defined (None when unknown);
    `confirm_link` confirms a resolution without a password, `comment_link` comments.

    The summary is made one line: subjects show it, and a subject is the first line.
    """
    return {
        "kind": notice.kind.value, "ref": notice.ref, "customer": notice.customer,
        "device": notice.device, "priority": notice.priority, "status": notice.status,
        "summary": " ".join(notice.summary.split()), "message": notice.message,
        "tier": notice.tier,
        "at": local_time(notice.at, timezone), "eta": local_time(notice.eta, timezone),
        "visit_at": local_time(notice.visit_at, timezone),
        "sla_kind": notice.sla_kind, "sla_pct": notice.sla_pct, "language": language,
        "confirm_link": links.confirm, "comment_link": links.comment,
    }


def with_ticket_id(ref: str, subject: str, body: str) -> tuple[str, str]:
    """Every message carries its ticket ID in subject and body, whatever a template says."""
    if ref not in subject:
        subject = f"[{ref}] {subject}"
    if ref not in body:
        body = f"{body.rstrip()}\n\n{ref}\n"
    return subject, body


def compose(
    notice: TicketNotice, receivers: Iterable[str], language: str, templates: TemplateSet,
    timezone: str = "UTC", *, staff: bool = False, link: str | None = None,
    mail_links: Callable[[str], ReplyLinks] = no_links,
) -> list[OutboxDraft]:
    """One draft per distinct receiver, rendered in `language` (times in `timezone`):
    the kind's own template for the customer, the staff one for the provider's people;
    `link` (the reader's ticket page) ends the body; the signed links `mail_links` gives
    for a mail's address (empty for a webhook) are the template's."""
    drafts = []
    for receiver in dict.fromkeys(receivers):
        channel, recipient = parse_receiver(receiver)
        links = mail_links(recipient if channel is Channel.EMAIL else "")
        subject, body = with_ticket_id(notice.ref, *templates.render(
            STAFF_TEMPLATE if staff else notice.kind.value, language,
            notice_context(notice, language, timezone, links)))
        payload = notice_payload(notice, language)
        payload.update({k: v for k, v in (("link", link), ("confirm_link", links.confirm),
                                          ("comment_link", links.comment)) if v})
        drafts.append(OutboxDraft(
            channel=channel, recipient=recipient, customer=notice.customer,
            kind=notice.kind.value, subject=subject, body=with_link(body, link),
            idempotency_key=idempotency_key(notice.ref, notice.kind.value,
                                            notice.discriminator, receiver),
            payload=payload, incident_id=notice.incident_id))
    return drafts


@dataclass(frozen=True)
class DigestItem:
    """One message a digest carries: its rendered subject and body, and its facts."""

    idempotency_key: str
    subject: str
    body: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Digest:
    """Several messages to one receiver about one customer, as one message."""

    subject: str
    body: str
    payload: dict[str, Any]
    idempotency_key: str


def lead_of(body: str) -> str:
    """A message's first paragraph: what happened, in the reader's language and zone
    (the new ETA, the visit time, the status it moved to)."""
    return body.strip().split("\n\n", 1)[0].strip()


def digest_entry(item: DigestItem) -> dict[str, Any]:
    """What a digest shows of one message: its subject, its lead and any words a person
    wrote (a comment's text), so nothing the message said is lost by grouping."""
    return {"subject": item.subject, "ref": item.payload.get("ticket", ""),
            "lead": lead_of(item.body), "message": str(item.payload.get("message") or ""),
            **{k: item.payload.get(k) for k in ("link", "confirm_link", "comment_link", "kind",
                                                "summary", "device", "priority")}}


def compose_digest(
    items: Sequence[DigestItem], receiver: str, customer: str, language: str,
    templates: TemplateSet, max_tickets: int, customer_name: str = "",
) -> Digest:
    """List the first `max_tickets` messages and count the rest; the webhook gets them all.

    People read the customer's configured name (`customer_name`); machines its id."""
    keys = sorted(item.idempotency_key for item in items)
    key = hashlib.sha256("\x1f".join((receiver, *keys)).encode()).hexdigest()[:24]
    shown = [digest_entry(item) for item in items[:max_tickets]]
    refs = list(dict.fromkeys(str(item.payload.get("ticket", "")) for item in items))
    context = {"customer": customer_name or customer, "customer_id": customer,
               "count": len(items), "tickets": shown, "refs": refs,
               "more": max(0, len(items) - max_tickets), "language": language}
    subject, body = templates.render(DIGEST_KIND, language, context)
    payload = {"kind": DIGEST_KIND, "customer": customer, "count": len(items),
               "messages": [{**item.payload, "subject": item.subject, "text": item.body,
                             "idempotency_key": item.idempotency_key} for item in items]}
    return Digest(subject, body, payload, f"{DIGEST_KIND}:{key}")
