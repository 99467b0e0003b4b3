"""What every page has: the reader's words and zone, the person, the CSRF token; the 404
page (one answer for what is missing and what is not the reader's)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from markupsafe import Markup, escape

from bridge.portal.guard import CSRF_FIELD, PERSON, PREFIX, csrf_token
from bridge.portal.service import service_of
from bridge.portal.words import page_words

DESK_LANGUAGE = "en"


def words_of_customer(request: web.Request, customer: str) -> dict[str, Any]:
    """A customer's page: its contract's language and its time zone."""
    found = service_of(request).current_config().customers.get(customer)
    language = found.contract.language if found is not None else DESK_LANGUAGE
    words = page_words(language)
    return {"w": words, "lang": words.language, "dir": words.direction,
            "zone": found.timezone if found is not None else "UTC"}


def words_of_desk(_request: web.Request) -> dict[str, Any]:
    """A desk page: the desk's language; times in each ticket's customer's zone."""
    words = page_words(DESK_LANGUAGE)
    return {"w": words, "lang": words.language, "dir": words.direction, "zone": "UTC"}


def not_found(request: web.Request, customer: str | None) -> web.Response:
    """404: no such thing, or not the reader's (the same page either way)."""
    page = words_of_customer(request, customer) if customer else words_of_desk(request)
    return aiohttp_jinja2.render_template("not_found.html", request, page, status=404)


async def common(request: web.Request) -> dict[str, Any]:
    """Jinja's context for every page: the person, the CSRF token and field, the prefix."""
    session = await get_session(request)
    return {"person": request.get(PERSON), "csrf": csrf_token(session),
            "csrf_field": CSRF_FIELD, "prefix": PREFIX}


_UNITS = (("_ratio", 100.0, "%"), ("_pct", 1.0, "%"), ("_bytes", 1.0, "B"),
          ("_days_left", 1.0, "days left"), ("_days", 1.0, "days"))


def ticked(text: str) -> Markup:
    """An action's help, written for the API's docs too: `name` there is code on a page
    (escaped first: the text is ours, but a page never trusts it)."""
    parts = str(escape(text)).split("`")
    if len(parts) % 2 == 0:  # an unpaired backquote: shown as written
        return Markup("`".join(parts))  # each part was escaped above
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def measured(name: str, value: float) -> str:
    """A probe's measurement as a person reads it: "rtt_avg_s" 7.06e-05 -> "rtt avg 0.0706 ms",
    "loss_ratio" 0.25 -> "loss 25 %" (the unit is the name's suffix, see core/results.py)."""
    if name.endswith("_s"):
        what = name[:-2]
        shown = f"{value * 1000:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"
    else:
        what, shown = name, f"{value:.4g}"
        for suffix, scale, unit in _UNITS:
            if name.endswith(suffix):
                what, shown = name[:-len(suffix)], f"{value * scale:.3g} {unit}"
                break
    return f"{what.replace('_', ' ')} {shown}"
