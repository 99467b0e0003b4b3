"""Where a notice's reader finds its ticket: the portal's page for it, at the portal's
public address ([portal] public_url). Pure: the paths are the portal's routes."""

from __future__ import annotations

from urllib.parse import quote

CUSTOMER_TICKET = "/portal/tickets/{ref}"
DESK_TICKET = "/portal/desk/tickets/{ref}"


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
