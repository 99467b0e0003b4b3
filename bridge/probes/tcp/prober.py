"""TCP checks: connect within timeout_s, then (with `tls`) shake hands and judge the
certificate's expiry. Each failure says which step failed and why."""

from __future__ import annotations

import asyncio
import errno
import ssl
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from bridge.core.probe_kinds.tcp import TcpProbe
from bridge.core.results import ProbeResult
from bridge.probes.protocol import Target
from bridge.probes.tcp.certificate import judge_expiry, read_certificate

# X509_V_ERR_CERT_HAS_EXPIRED: said as "certificate expired", what an operator looks for
_EXPIRED = 10
# Errors that mean the monitoring host cannot send (its firewall, no route, no network).
_LOCAL_ERRNOS = frozenset({errno.EPERM, errno.EACCES, errno.ENETUNREACH, errno.ENETDOWN,
                           errno.ENOBUFS})


class TcpProber:
    """Runs TCP checks; keeps one TLS context per (verify, ca_file), as loading the CA
    bundle costs more than a handshake."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._contexts: dict[tuple[bool, str | None], ssl.SSLContext] = {}

    def run(self, target: Target, probe: TcpProbe, started: datetime
            ) -> Awaitable[ProbeResult]:
        """The Probe protocol's check."""
        return self.check(target.address, probe, started)

    def forget_except(self, check_ids: set[tuple[str, str]]) -> None:
        """Nothing to forget: a TCP check remembers nothing between runs."""

    def close(self) -> None:
        """Drop the TLS contexts (a reloaded CA file is read again)."""
        self._contexts.clear()

    async def check(self, address: str, probe: TcpProbe, started: datetime) -> ProbeResult:
        """Connect to `address`:`probe.port` and, with TLS, shake hands, all within
        timeout_s; up when every step succeeds and the certificate is not due."""
        where = f"[{address}]:{probe.port}" if ":" in address else f"{address}:{probe.port}"
        step = f"TCP connect to {where}"
        measured: dict[str, float] = {}
        writer: asyncio.StreamWriter | None = None
        t0 = self._clock()
        try:
            async with asyncio.timeout(probe.timeout_s):
                _, writer = await asyncio.open_connection(address, probe.port)
                measured["connect_s"] = self._clock() - t0
                connected = f"connected to {where} in {measured['connect_s'] * 1e3:.3f} ms"
                if not probe.tls:
                    return ProbeResult.measured(True, started, connected, measured,
                                                warning=False)
                step = f"TLS handshake with {where}"
                context = self._context(probe)
                t1 = self._clock()
                await writer.start_tls(context, server_hostname=probe.server_name or address)
                measured["tls_handshake_s"] = self._clock() - t1
                tls = writer.get_extra_info("ssl_object")
                der = tls.getpeercert(binary_form=True) if tls is not None else None
                version = tls.version() if tls is not None else None
        except TimeoutError:
            return _failed(started, f"{step} timed out after {probe.timeout_s:g} s", measured)
        except ConnectionRefusedError:
            return _failed(started, f"{step} refused", measured)
        except ssl.SSLCertVerificationError as exc:
            why = "certificate expired" if exc.verify_code == _EXPIRED else exc.verify_message
            return _failed(started, f"{step} failed: {why}", measured)
        except ssl.SSLError as exc:
            return _failed(started, f"{step} failed: {exc.reason or exc}", measured)
        except OSError as exc:  # also an unresolvable name, a reset, no route
            local = exc.errno in _LOCAL_ERRNOS or isinstance(exc, _CannotReadCa)
            return _failed(started, f"{step} failed: {exc.strerror or exc}", measured,
                           local=local)
        finally:
            if writer is not None:
                writer.transport.abort()  # no close_notify to wait for: the check is over
        if der is None:
            return _failed(started, f"{step}: the server showed no certificate", measured)
        cert = read_certificate(der)
        measured["cert_days_left"] = days = cert.days_left(started)
        expiry = judge_expiry(days, cert.not_after, probe.cert_warn_days, probe.cert_fail_days)
        output = (f"{connected}, TLS handshake in {measured['tls_handshake_s'] * 1e3:.3f} ms "
                  f"({version}); {expiry.text}")
        return ProbeResult(expiry.ok, started, 0.0, output, measured, warning=expiry.warning,
                           values=(("certificate subject", cert.subject),
                                   ("certificate expires", cert.not_after.isoformat()),
                                   ("tls version", str(version))))

    def _context(self, probe: TcpProbe) -> ssl.SSLContext:
        key = (probe.verify, probe.ca_file)
        context = self._contexts.get(key)
        if context is None:
            try:
                context = ssl.create_default_context(cafile=probe.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise _CannotReadCa(f"cannot read ca_file {probe.ca_file}: {exc}") from exc
            if not probe.verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._contexts[key] = context
        return context


class _CannotReadCa(OSError):
    """The CA file went away or changed since the config was loaded: the bridge's trouble."""


def _failed(at: datetime, output: str, measured: dict[str, float], *,
            local: bool = False) -> ProbeResult:
    return ProbeResult(False, at, 0.0, output, measured, local=local)
