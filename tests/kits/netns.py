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

# A slow device: answers echo requests to one address `delay_s` late, from a raw socket
# whose packets carry a mark so that the rule silencing the kernel's own replies spares them.
_SLOW_RESPONDER = """
import heapq, select, socket, sys, time
address, delay_s, mark = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
sock.bind((address, 0))

def checksum(data):
    data += b"\\0" * (len(data) % 2)
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF

print("ready", flush=True)
pending, n = [], 0
while True:
    wait = max(0.0, pending[0][0] - time.monotonic()) if pending else None
    if select.select([sock], [], [], wait)[0]:
        packet, (source, _) = sock.recvfrom(65535)
        icmp = packet[(packet[0] & 0x0F) * 4:]
        if socket.inet_ntoa(packet[16:20]) == address and icmp[0] == 8:
            reply = b"\\0\\0\\0\\0" + icmp[4:]
            reply = reply[:2] + checksum(reply).to_bytes(2, "big") + reply[4:]
            n += 1
            heapq.heappush(pending, (time.monotonic() + delay_s, n, reply, source))
    while pending and pending[0][0] <= time.monotonic():
        _, _, reply, source = heapq.heappop(pending)
        sock.sendto(reply, (source, 0))
"""
_RESPONDER_MARK = 0x42


class Namespace:
    """A named network namespace with loopback up and an nftables table for faults."""

    def __init__(self) -> None:
        self.name = f"bridge-test-{uuid.uuid4().hex[:8]}"
        self._responders: list[subprocess.Popen[str]] = []
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

    def lose_icmp_every(self, address: str, lost: int, of: int) -> None:
        """Drop the first `lost` of every `of` echo requests to `address`, in turn: a lossy
        link with exact counts (a check of `of` packets loses exactly `lost`)."""
        self.run("nft", f"add rule inet faults in ip daddr {address} icmp type echo-request "
                        f"numgen inc mod {of} < {lost} drop")

    def delay_icmp_to(self, address: str, delay_s: float) -> None:
        """A slow device: echo replies from `address` come `delay_s` late (the kernel's own
        replies are dropped; a responder in the namespace answers instead)."""
        self.run("nft", f"add rule inet faults out ip saddr {address} icmp type echo-reply "
                        f"meta mark != {_RESPONDER_MARK} drop")
        responder = subprocess.Popen(
            ["ip", "netns", "exec", self.name, sys.executable, "-c", _SLOW_RESPONDER, address,
             str(delay_s), str(_RESPONDER_MARK)], stdout=subprocess.PIPE, text=True)
        self._responders.append(responder)
        assert responder.stdout is not None
        assert responder.stdout.readline().strip() == "ready"

    def refuse_sending(self) -> None:
        """The monitoring host's own firewall refuses every echo request it sends."""
        self.run("nft", "add rule inet faults out icmp type echo-request drop")

    def heal(self) -> None:
        """Remove every fault."""
        self._stop_responders()
        self.run("nft", "flush chain inet faults in")
        self.run("nft", "flush chain inet faults out")

    def _stop_responders(self) -> None:
        for responder in self._responders:
            responder.terminate()
            responder.wait(timeout=10)
            if responder.stdout is not None:
                responder.stdout.close()
        self._responders.clear()

    def delete(self) -> None:
        """Remove the namespace."""
        self._stop_responders()
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
