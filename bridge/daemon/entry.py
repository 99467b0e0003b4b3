"""`bridge run`: load the config, then run the daemon until it is told to stop."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bridge.config import ConfigErrors, load_config
from bridge.config.model import Listen
from bridge.daemon.app import Daemon
from bridge.notify.templates import TemplateCatalog
from bridge.store.db import SchemaTooNew, shown_url
from bridge.store.instance_lock import AlreadyRunning, single_instance
from bridge.store.outage import outage_reason, store_unavailable

log = logging.getLogger("bridge.daemon.app")  # the lines operators know from the daemon
EX_CONFIG = 78  # sysexits.h: the unit's RestartPreventExitStatus stops restart loops


def run_daemon(config_path: Path, db_url: str | None, listen: Listen | None) -> int:
    """Load the config and run the daemon. Exit 78 on an invalid config or a schema newer
    than this bridge (restarting fixes neither), 1 if another daemon runs on the SQLite file."""
    try:
        config = load_config(config_path, templates=TemplateCatalog(), create_secrets=True)
    except ConfigErrors as exc:
        for err in exc.errors:
            log.error("%s", err)
        return EX_CONFIG
    for warning in config.warnings:
        log.warning("%s", warning)
    daemon = Daemon(config, db_url=db_url, listen=listen)
    try:
        with single_instance(db_url or config.storage_url):
            return asyncio.run(daemon.run())
    except AlreadyRunning as exc:
        log.error("%s", exc)
        return 1
    except SchemaTooNew as exc:
        log.error("%s", exc)
        return EX_CONFIG
    except Exception as exc:  # the store cannot be opened: a passing reason, retried
        if not store_unavailable(exc):
            raise
        log.error("the store %s is unavailable: %s (is it running, reachable, and its disk "
                  "not full?)", shown_url(db_url or config.storage_url), outage_reason(exc))
        log.debug("the store's failure", exc_info=exc)
        return 1
