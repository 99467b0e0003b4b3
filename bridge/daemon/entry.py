"""`bridge run`: load the config, then run the daemon until it is told to stop."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bridge.config import ConfigErrors, load_config
from bridge.config.model import Listen
from bridge.daemon.app import Daemon

log = logging.getLogger("bridge.daemon.app")  # the lines operators know from the daemon
EX_CONFIG = 78  # sysexits.h: the unit's RestartPreventExitStatus stops restart loops


def run_daemon(config_path: Path, db_url: str | None, listen: Listen | None) -> int:
    """Load the config and run the daemon; print config errors and exit 1 if invalid."""
    try:
        config = load_config(config_path, create_secrets=True)
    except ConfigErrors as exc:
        for err in exc.errors:
            log.error("%s", err)
        return EX_CONFIG
    for warning in config.warnings:
        log.warning("%s", warning)
    daemon = Daemon(config, db_url=db_url, listen=listen)
    return asyncio.run(daemon.run())
