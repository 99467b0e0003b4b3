"""What the HTTP edges (the API, the intake's webhooks, the portal's forms) take as a body's
Content-Encoding: identity only, told before anything reads the body."""

from __future__ import annotations

from collections.abc import Mapping


def compression_refused(headers: Mapping[str, str]) -> str | None:
    """Why a request's body is refused unread: any Content-Encoding but identity. 300 KB of
    gzip expand to 300 MB, seconds of the event loop's CPU before a check could refuse it;
    no sender bridge takes (Alertmanager, Grafana, PagerDuty-style tools, scripts, browsers'
    forms) compresses."""
    coding = headers.get("Content-Encoding", "identity")
    if coding.strip().lower() in ("", "identity"):
        return None
    shown = " ".join(coding.split())[:40]
    return f"the body must not be compressed (Content-Encoding: {shown}); send it as it is"
