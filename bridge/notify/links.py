"""Where a notice's reader finds its ticket: the portal's page for it, at the portal's
public address ([portal] public_url). Pure: the paths are the portal's routes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from bridge.core.mail_links import CONFIRM, MailLink, sign
from bridge.notify.kinds import NoticeKind
from bridge.notify.notice import TicketNotice

CUSTOMER_TICKET = "/portal/tickets/{ref}"
DESK_TICKET = "/portal/desk/tickets/{ref}"
MAIL_LINK = "/portal/m/{token}"


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
class ConfirmLinks:
    """The signed link that confirms a resolution (the resolution notice's alone): none
    without a public address or a key. The link's id is the notice's own, so the same
    notice always carries the same link."""

    public_url: str | None
    key: bytes | None
    days: float

    def of(self, notice: TicketNotice) -> str | None:
        if notice.kind is not NoticeKind.RESOLVED or not self.public_url or not self.key:
            return None
        id_ = hashlib.sha256(f"{notice.ref}|{notice.discriminator}".encode()).hexdigest()[:24]
        token = sign(self.key, MailLink(notice.ref, CONFIRM,
                                        notice.at + timedelta(days=self.days), id_))
        return self.public_url.rstrip("/") + MAIL_LINK.format(token=token)
