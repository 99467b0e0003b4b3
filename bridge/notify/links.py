"""Where a notice's reader finds its ticket: the portal's page for it, at the portal's
public address ([portal] public_url). Pure: the paths are the portal's routes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from bridge.core.mail_links import COMMENT, CONFIRM, MailLink, sign, signable
from bridge.notify.kinds import NoticeKind
from bridge.notify.notice import TicketNotice

CUSTOMER_TICKET = "/portal/tickets/{ref}"
DESK_TICKET = "/portal/desk/tickets/{ref}"
MAIL_LINK = "/portal/m/{ref}/{token}"  # the ref: a reader sees which ticket


def ticket_link(public_url: str | None, ref: str, *, staff: bool) -> str | None:
    """The customer's ticket page, or the desk's for the provider's people; None when the
    portal has no public address."""
    if not public_url:
        return None
    path = (DESK_TICKET if staff else CUSTOMER_TICKET).format(ref=quote(ref, safe=""))
    return public_url.rstrip("/") + path


def with_link(body: str, link: str | None) -> str:
    """The body with the link on its own line at the end (unless a template placed it)."""
    if not link or link in body:
        return body
    return f"{body.rstrip()}\n\n{link}\n"


@dataclass(frozen=True)
class ReplyLinks:
    """The signed links one reader's mail carries: confirm the resolution, comment."""

    confirm: str | None = None
    comment: str | None = None


def no_links(_reader: str) -> ReplyLinks:
    """A mail without signed links (the provider's people sign in)."""
    return ReplyLinks()


@dataclass(frozen=True)
class MailLinks:
    """The signed links of a customer's notice, none without a public address or a key:
    every notice a comment link in its reader's name; the resolution also a confirm link,
    whose id is the notice's own (one confirmation for all its readers, and the same
    notice always carries the same link)."""

    public_url: str | None
    key: bytes | None
    days: float

    def of(self, notice: TicketNotice, reader: str = "") -> ReplyLinks:
        """The links of `notice` as mailed to `reader` (empty: not a person's address)."""
        if not self.public_url or not self.key:
            return ReplyLinks()
        base, key = self.public_url.rstrip("/"), self.key
        reader = reader if signable(reader) else ""
        expires = notice.at + timedelta(days=self.days)
        comment_id = _id(notice.ref, notice.discriminator, COMMENT, reader)
        comment = _url(base, key, MailLink(notice.ref, COMMENT, expires, comment_id, reader))
        if notice.kind is not NoticeKind.RESOLVED:
            return ReplyLinks(comment=comment)
        confirm_id = _id(notice.ref, notice.discriminator)
        confirm = _url(base, key, MailLink(notice.ref, CONFIRM, expires, confirm_id, reader))
        return ReplyLinks(confirm=confirm, comment=comment)


def _url(base: str, key: bytes, link: MailLink) -> str:
    return base + MAIL_LINK.format(ref=quote(link.ref, safe=""), token=sign(key, link))


def _id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]
