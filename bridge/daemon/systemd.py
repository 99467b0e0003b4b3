"""sd_notify: READY, WATCHDOG, STOPPING and STATUS over $NOTIFY_SOCKET.

The protocol is one datagram per message; a few lines here avoid a C dependency
(systemd-python needs libsystemd headers to build).
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class Notifier:
    """Sends state to systemd when run as a Type=notify service; a no-op otherwise."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._address = env.get("NOTIFY_SOCKET", "")
        if self._address.startswith("@"):
            self._address = "\0" + self._address[1:]  # abstract namespace
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        watched = usec.isdigit() and (not pid or pid == str(os.getpid()))
        self.watchdog_interval_s = int(usec) / 1e6 / 2 if watched else None

    def notify(self, message: str) -> None:
        """Send one message; failures are logged, never raised."""
        if not self._address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), self._address)
        except OSError as exc:
            log.warning("sd_notify %r failed: %s", message.split("=")[0], exc)

    def ready(self, status: str) -> None:
        """Tell systemd the service is up."""
        self.notify(f"READY=1\nSTATUS={status}")

    def stopping(self) -> None:
        """Tell systemd the service is shutting down."""
        self.notify("STOPPING=1\nSTATUS=stopping")

    def reloading(self) -> None:
        """Tell systemd a reload has begun."""
        self.notify("RELOADING=1")

    def reloaded(self, status: str) -> None:
        """Tell systemd the reload finished."""
        self.notify(f"READY=1\nSTATUS={status}")

    def watchdog(self) -> None:
        """Prove the event loop is alive."""
        self.notify("WATCHDOG=1")
