"""ICMP echo checks with icmplib, in unprivileged (datagram) or privileged (raw) mode."""

from __future__ import annotations

import logging
import socket
from datetime import datetime

import icmplib

from bridge.config.model import Probe
from bridge.core.results import ProbeResult

log = logging.getLogger(__name__)


def unprivileged_icmp_available() -> bool:
    """True when this process may open ICMP datagram sockets (net.ipv4.ping_group_range)."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    except OSError:
        return False
    sock.close()
    return True


class IcmpProber:
    """Runs echo checks; the socket mode is chosen once, at construction."""

    def __init__(self, privileged: bool | None = None) -> None:
        self.privileged = (not unprivileged_icmp_available()) if privileged is None else privileged

    def problem(self) -> str | None:
        """Why ICMP cannot work in this process, with the fix; None when it can."""
        if not self.privileged:
            return None
        try:
            socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
        except PermissionError:
            return ("ICMP not permitted: allow unprivileged ICMP with sysctl "
                    "net.ipv4.ping_group_range (deploy/sysctl-bridge.conf) or grant "
                    "CAP_NET_RAW (deploy/bridge-raw-icmp.conf)")
        return None

    def describe_mode(self) -> str:
        """One line for the startup log."""
        if self.privileged:
            return "privileged ICMP (raw sockets, needs CAP_NET_RAW)"
        return "unprivileged ICMP (datagram sockets via net.ipv4.ping_group_range)"

    async def check(self, address: str, probe: Probe, started: datetime) -> ProbeResult:
        """Ping `address` `probe.count` times; up when any echo is answered."""
        try:
            host = await icmplib.async_ping(
                address,
                count=probe.count,
                interval=probe.packet_interval_s,
                timeout=probe.timeout_s,
                privileged=self.privileged,
            )
        except icmplib.NameLookupError:
            return _failed(started, f"cannot resolve {address!r}")
        except icmplib.SocketPermissionError:
            return _failed(started, "no permission for ICMP sockets (see deploy/README.md)")
        except (icmplib.ICMPLibError, OSError) as exc:
            return _failed(started, f"ICMP error: {exc}")
        loss = host.packet_loss
        if host.packets_received == 0:
            return _failed(started, f"no reply to {host.packets_sent} echo requests",
                           loss_ratio=loss)
        output = (f"{host.packets_received}/{host.packets_sent} replies, "
                  f"rtt avg {host.avg_rtt:.3f} ms")
        return ProbeResult(
            ok=True,
            at=started,
            duration_s=0.0,
            output=output,
            rtt_avg_s=host.avg_rtt / 1000,
            rtt_min_s=host.min_rtt / 1000,
            rtt_max_s=host.max_rtt / 1000,
            loss_ratio=loss,
        )


def _failed(at: datetime, output: str, loss_ratio: float | None = 1.0) -> ProbeResult:
    return ProbeResult(ok=False, at=at, duration_s=0.0, output=output, loss_ratio=loss_ratio)
