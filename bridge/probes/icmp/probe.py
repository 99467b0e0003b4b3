"""ICMP echo checks: several packets per check, loss and RTT statistics."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from bridge.core.ping_limits import Severity, judge_ping
from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.results import ProbeResult
from bridge.probes.addresses import ip_literal, resolve
from bridge.probes.icmp.pinger import Echoes, Pinger
from bridge.probes.protocol import Target

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
    """Runs echo checks through one shared Pinger; the socket mode is chosen once."""

    def __init__(self, privileged: bool | None = None) -> None:
        self.privileged = (not unprivileged_icmp_available()) if privileged is None else privileged
        self._pinger = Pinger(self.privileged)

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

    def close(self) -> None:
        """Close the shared sockets."""
        self._pinger.close()

    def forget_except(self, check_ids: set[tuple[str, str]]) -> None:
        """Nothing to forget: an echo check remembers nothing."""

    def run(self, target: Target, probe: IcmpProbe, started: datetime
            ) -> Awaitable[ProbeResult]:
        """The Probe protocol's check. It hands over the check's own coroutine: a wrapping
        coroutine per check would be one more frame to create and resume."""
        return self.check(target.address, probe, started)

    def starts_checks(self) -> bool:
        """Whether `start` runs this prober's checks: not when a subclass (a test's fake)
        changed how a check runs (`run` or `check`), which `start` would go around."""
        kind = type(self)
        return kind.run is IcmpProber.run and kind.check is IcmpProber.check

    def start(self, target: Target, probe: IcmpProbe, started: datetime,
              on_result: Callable[[ProbeResult], object]) -> Echoes | None:
        """The check without a coroutine: send the first request now and hand the result to
        `on_result` when the engine is done with it. None when the check needs `run`
        instead: a name to resolve, no ICMP socket (`run` says why), or a prober whose
        checks `start` does not run (`starts_checks`)."""
        literal = ip_literal(target.address)
        if literal is None or not self.starts_checks():
            return None
        family, sockaddr = literal
        try:
            return self._pinger.start(family, sockaddr, probe.count, probe.packet_interval_s,
                                      probe.timeout_s, partial(_judged, probe, started,
                                                               on_result))
        except OSError:
            return None  # raised before anything was sent; `run` turns it into the result

    async def check(self, address: str, probe: IcmpProbe, started: datetime) -> ProbeResult:
        """Ping `address` `probe.count` times; up when any echo is answered and no critical
        limit is reached (check_ping's rules, bridge.core.ping_limits)."""
        try:
            family, sockaddr = ip_literal(address) or await resolve(address)
            answered: asyncio.Future[Echoes] = asyncio.get_running_loop().create_future()
            echoes = self._pinger.start(
                family, sockaddr, probe.count, probe.packet_interval_s, probe.timeout_s,
                partial(_answer, answered), answered.cancel)
        except socket.gaierror as exc:
            # "no such name" is the device's (or its config's) problem; a resolver that
            # cannot be reached is the monitoring host's.
            return _failed(started, f"cannot resolve {address!r}: {exc.strerror}",
                           local=exc.errno not in _NAME_DOES_NOT_EXIST)
        except PermissionError:
            return _failed(started, "no permission for ICMP sockets (see deploy/README.md)",
                           local=True)
        except OSError as exc:
            return _failed(started, f"ICMP error: {exc.strerror or exc}",
                           local=exc.errno in _LOCAL_ERRNOS)
        try:
            await answered
        finally:
            echoes.cancel()  # if it was cancelled: its requests are no longer waited for
        return judge(echoes, probe, started)


def _answer(answered: asyncio.Future[Echoes], echoes: Echoes) -> None:
    if not answered.done():  # else cancelled, and the check with it
        answered.set_result(echoes)


def _judged(probe: IcmpProbe, started: datetime, on_result: Callable[[ProbeResult], object],
            echoes: Echoes) -> None:
    try:
        result = judge(echoes, probe, started)
    except Exception as exc:  # as run_probe: a result, so the check's owner always hears
        log.exception("ICMP check of %s could not be judged", echoes.sockaddr[0])
        result = _failed(started, f"probe error: {type(exc).__name__}: {exc}", None)
    on_result(result)


def judge(echoes: Echoes, probe: IcmpProbe, started: datetime) -> ProbeResult:
    """The result of a finished ping: loss, round trips and the verdict on them."""
    # From the counts, not 1 - received / sent: 1 lost of 5 is exactly 20 %, which a
    # 20 % limit must catch.
    loss = (echoes.sent - len(echoes.rtts_s)) / echoes.sent if echoes.sent else 1.0
    if not echoes.rtts_s:
        why = f": {echoes.error}" if echoes.error else ""
        return _failed(started, f"no reply to {echoes.sent} echo requests{why}", loss,
                       local=echoes.errno in _LOCAL_ERRNOS)
    rtts = echoes.rtts_s
    received, sent = len(rtts), echoes.sent
    # Plain arithmetic and one f-string per output, not statistics or a pass per
    # figure: this runs for every check of the fleet.
    avg, low, high = sum(rtts) / received, min(rtts), max(rtts)
    loss_pct = (sent - received) * 100 / sent
    if received > 1:
        # Jitter: the mean difference between consecutive round trips.
        steps, before = 0.0, rtts[0]
        for rtt in rtts:
            steps += abs(rtt - before)
            before = rtt
        jitter = steps / (received - 1)
        rtt_text = (f"rtt min/avg/max {low * 1e3:.3f}/{avg * 1e3:.3f}/{high * 1e3:.3f} ms, "
                    f"jitter {jitter * 1e3:.3f} ms")
    else:
        jitter = 0.0
        rtt_text = f"rtt min/avg/max {low * 1e3:.3f}/{avg * 1e3:.3f}/{high * 1e3:.3f} ms"
    verdict = judge_ping(loss_pct, avg * 1e3, probe.warning, probe.critical)
    severity = verdict.severity
    if severity is Severity.OK:
        output = f"{received}/{sent} replies, loss {loss:.0%}, {rtt_text}"
    else:
        output = (f"{verdict.headline(loss_pct, avg * 1e3)}; {received}/{sent} replies, "
                  f"{rtt_text}")
    return ProbeResult.measured(
        severity != Severity.CRITICAL, started, output,
        {"rtt_avg_s": avg, "rtt_min_s": low, "rtt_max_s": high, "jitter_s": jitter,
         "loss_ratio": loss}, warning=severity is Severity.WARNING)


def _failed(at: datetime, output: str, loss_ratio: float | None = 1.0, *,
            local: bool = False) -> ProbeResult:
    measured = {} if loss_ratio is None else {"loss_ratio": loss_ratio}
    return ProbeResult(ok=False, at=at, duration_s=0.0, output=output, measurements=measured,
                       local=local)


# Send errors that mean the monitoring host cannot send (its firewall refused, it has no
# route or no network), not that the device is down.
_LOCAL_ERRNOS = frozenset({errno.EPERM, errno.EACCES, errno.ENETUNREACH, errno.ENETDOWN,
                           errno.ENOBUFS})
_NAME_DOES_NOT_EXIST = frozenset({socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)})
