"""[portal] link_key's secret: the key that signs customers' mail links, for the desk that
mints them and the portal that opens them; None while the portal has no public address."""

from __future__ import annotations

from pathlib import Path

from bridge.config.model import Config
from bridge.config.secrets import resolve_or_create


def link_key(config: Config) -> bytes | None:
    """The key (a missing `file:` is created, random, mode 0600), or None: no links."""
    portal = config.main.portal
    if not portal.enabled or not portal.public_url:
        return None
    return resolve_or_create(portal.link_key, Path(config.path).resolve().parent,
                             "portal mail link key").reveal().encode()
