"""[portal] link_key's secret: the key that signs customers' mail links, for the desk that
mints them and the portal that opens them; None while the portal has no public address."""

from __future__ import annotations

import logging
from pathlib import Path

from bridge.config.model import Config
from bridge.config.secrets import create_secret_file, resolve_ref

log = logging.getLogger(__name__)


def link_key(config: Config) -> bytes | None:
    """The key (a missing `file:` is created, random, mode 0600), or None: no links."""
    portal = config.main.portal
    if not portal.enabled or not portal.public_url:
        return None
    ref, base_dir = portal.link_key, Path(config.path).resolve().parent
    secret = resolve_ref(ref, base_dir, create=True)
    if secret is None:
        path, created = create_secret_file(ref, base_dir)
        by = "created" if created else "another instance created"
        log.info("portal: %s the mail link key %s", by, path)
        secret = resolve_ref(ref, base_dir)
    assert secret is not None
    return secret.reveal().encode()
