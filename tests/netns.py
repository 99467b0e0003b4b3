"""Network namespaces that tests create for themselves, with nftables faults.

Inside a namespace 127.0.0.0/8 is that namespace's own loopback: nothing the tests
send there leaves it. Needs root, iproute2 and nftables (.ci/run installs them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest


class Namespace:
    """A named network namespace with loopback up and an nftables table for faults."""

    def __init__(self) -> None:
        self.name = f"bridge-test-{uuid.uuid4().hex[:8]}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.run("ip", "link", "set", "lo", "up")
        self.run("nft", "add table inet faults")
        # Faults sit on the input path, as on the wire: the sender sees no error, only
        # silence. (A drop on output would fail the send itself: a local firewall.)
        self.run("nft", "add chain inet faults in { type filter hook input priority 0 ; }")
        self.run("nft", "add chain inet faults out { type filter hook output priority 0 ; }")

    def run(self, *argv: str) -> None:
        """Run a command inside the namespace."""
        subprocess.run(["ip", "netns", "exec", self.name, *argv], check=True)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        """Run Python code inside the namespace; returns the finished process."""
        return subprocess.run(["ip", "netns", "exec", self.name, sys.executable, "-c", code],
                              capture_output=True, text=True, timeout=60, check=False)

    def drop_icmp_to(self, address: str) -> None:
        """Silently drop echo requests to `address`: the device looks dead."""
        self.run("nft", f"add rule inet faults in ip daddr {address} icmp type echo-request drop")

    def lose_icmp_to(self, address: str, one_in: int) -> None:
        """Drop echo requests to `address` at random, one in `one_in`: a lossy link."""
        self.run("nft", f"add rule inet faults in ip daddr {address} icmp type echo-request "
                        f"numgen random mod {one_in} 0 drop")

    def refuse_sending(self) -> None:
        """The monitoring host's own firewall refuses every echo request it sends."""
        self.run("nft", "add rule inet faults out icmp type echo-request drop")

    def heal(self) -> None:
        """Remove every fault."""
        self.run("nft", "flush chain inet faults in")
        self.run("nft", "flush chain inet faults out")

    def delete(self) -> None:
        """Remove the namespace."""
        subprocess.run(["ip", "netns", "del", self.name], check=False)


@pytest.fixture
def netns() -> Iterator[Namespace]:
    """A fresh namespace, deleted afterwards."""
    if os.geteuid() != 0:
        pytest.fail("this test needs root to create a network namespace (CI runs as root)")
    ns = Namespace()
    try:
        yield ns
    finally:
        ns.delete()
