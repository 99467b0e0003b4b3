"""A network namespace the `outage` benchmark creates, with an nftables table for faults, and
a relay that lets daemons inside it reach the local PostgreSQL.

Inside the namespace 127.0.0.0/8 is its own loopback: nothing sent there leaves it, and a
drop rule there touches no other process on the machine. Needs root, iproute2 and nftables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import PeerMissingError
from bench.ping_work import require_loopback

NEEDS = "the outage benchmark needs root, ip (iproute2), nft (nftables) and socat"


def require_root() -> None:
    """Refuse clearly when the namespace cannot be made."""
    missing = [tool for tool in ("ip", "nft", "socat") if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing:
        why = "not root" if os.geteuid() != 0 else f"missing {', '.join(missing)}"
        raise PeerMissingError(f"{NEEDS} ({why}); run it as root: sudo .venv/bin/python -m "
                               "bench outage")


class Namespace:
    """A named network namespace with loopback up and an input chain for faults."""

    def __init__(self) -> None:
        require_root()
        self.name = f"bridge-bench-{uuid.uuid4().hex[:8]}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.prefix = ["ip", "netns", "exec", self.name]
        self.run("ip", "link", "set", "lo", "up")
        self.run("nft", "add table inet faults")
        # On the input path, as on the wire: the sender sees silence, not an error.
        self.run("nft", "add chain inet faults in { type filter hook input priority 0 ; }")

    def run(self, *argv: str) -> None:
        """A command inside the namespace."""
        subprocess.run([*self.prefix, *argv], check=True)

    def drop_to(self, first: str, last: str) -> None:
        """Every packet to the addresses first…last is dropped: those devices go silent."""
        require_loopback([first, last])
        self.run("nft", f"add rule inet faults in ip daddr {first}-{last} drop")

    def delete(self) -> None:
        """Remove the namespace (and its rules)."""
        subprocess.run(["ip", "netns", "delete", self.name], check=False)


class StoreRelay:
    """A Unix socket in a fresh folder relaying to the PostgreSQL server of `url` (Unix
    sockets are files, so they work across network namespaces)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.port = parts.port or 5432
        self.folder = Path(tempfile.mkdtemp(prefix="bridge-bench-pg-"))
        self.folder.chmod(0o755)
        socket_path = self.folder / f".s.PGSQL.{self.port}"
        self.proc = subprocess.Popen(
            ["socat", f"UNIX-LISTEN:{socket_path},fork,mode=0777",
             f"TCP:{parts.hostname}:{self.port}"], stderr=subprocess.DEVNULL)
        for _ in range(100):
            if socket_path.exists():
                return
            time.sleep(0.05)
        self.close()
        raise RuntimeError("socat did not listen")

    def daemon_url(self, url: str) -> str:
        """The daemon's `[storage] url` for the database of `url`, through the relay."""
        parts = urlsplit(url)
        return (f"postgresql+psycopg://{parts.username}@/{parts.path.lstrip('/')}"
                f"?host={self.folder}&port={self.port}")

    def close(self) -> None:
        """Stop relaying."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
