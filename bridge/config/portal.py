"""bridge.toml's [portal]: the browser pages for customers and the desk's people."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from bridge.config.secrets import parse_ref
from bridge.core.strict import Strict


def _secret_ref(value: str) -> str:
    parse_ref(value)  # raises SecretRefError (a ValueError) naming the two forms
    return value


def _public_url(value: str | None) -> str | None:
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
                or parts.fragment:
            raise ValueError(f"expected http(s)://HOST[/PATH], got {value!r}")
        return value.rstrip("/")
    return value


def _host_port(value: str | None) -> str | None:
    if value is not None:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"expected HOST:PORT, got {value!r}")
    return value


class PortalSection(Strict):
    """The portal: on or off, where it listens, how its sessions are kept."""

    enabled: bool = True
    # None: the pages are served under /portal/ on [http] listen; HOST:PORT: on their own
    # listener (customers from the internet, the API and metrics inside)
    listen: Annotated[str | None, AfterValidator(_host_port)] = None
    # How customers reach the portal, e.g. "https://desk.msp.example": notices link to
    # their ticket's page there (None: no links)
    public_url: Annotated[str | None, AfterValidator(_public_url)] = None
    # The key that encrypts and signs session cookies; a missing `file:` is created (0600)
    session_key: Annotated[str, AfterValidator(_secret_ref)] = "file:var/portal-session.key"
    # The key that signs the links in customers' mails (confirm without a password)
    link_key: Annotated[str, AfterValidator(_secret_ref)] = "file:var/portal-link.key"
    # how long such a link works
    link_days: Annotated[float, Field(gt=0, le=90)] = 7.0
    # true: cookies only over HTTPS (set it behind a TLS-terminating proxy)
    cookie_secure: bool = False
    idle_timeout_s: Annotated[float, Field(ge=60, le=86400)] = 1800.0
    absolute_timeout_s: Annotated[float, Field(ge=300, le=30 * 86400)] = 43200.0
    # sign-in attempts per user name and per client address within sign_in_window_s
    sign_in_attempts: Annotated[int, Field(ge=1, le=1000)] = 5
    sign_in_window_s: Annotated[float, Field(ge=1, le=86400)] = 300.0

    @model_validator(mode="after")
    def _absolute_after_idle(self) -> PortalSection:
        if self.absolute_timeout_s < self.idle_timeout_s:
            raise ValueError(f"absolute_timeout_s must be >= idle_timeout_s (got "
                             f"{self.absolute_timeout_s:g} < {self.idle_timeout_s:g})")
        return self
