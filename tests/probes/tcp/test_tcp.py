"""TCP checks against real listeners on loopback: plain, and TLS with certificates made
here (valid for 100 days, expiring in 5, expired a day ago)."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bridge.core.probe_kinds.tcp import TcpProbe
from bridge.core.results import ProbeResult
from bridge.probes.registry import Probers, Target, run_probe
from tests.kits.certificates import Authority, authority, server_context


@pytest.fixture
def ca(tmp_path: Path) -> Authority:
    return authority(tmp_path)


def tcp(port: int, **keys: Any) -> TcpProbe:
    return TcpProbe.model_validate({"kind": "tcp", "port": port, "timeout_s": 1.0,
                                    "interval_s": 10, **keys})


async def _quiet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the check hangs up
    writer.close()


@asynccontextmanager
async def listener(context: ssl.SSLContext | None = None,
                   handler: Callable[..., Any] = _quiet) -> AsyncIterator[int]:
    """A server on 127.0.0.1; yields its port. Its connections end with it."""
    handlers: set[asyncio.Task[Any]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await handler(reader, writer)
        finally:
            writer.transport.abort()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0, ssl=context)
    async with server:
        yield server.sockets[0].getsockname()[1]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


def free_port() -> int:
    """A port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def check(probe: TcpProbe, address: str = "127.0.0.1") -> ProbeResult:
    probers = Probers()
    try:
        return await run_probe(probers, Target(address, "web", "https"), probe,
                               datetime.now(UTC))
    finally:
        probers.close()


async def test_a_listening_port_is_up_with_its_connect_time() -> None:
    async with listener() as port:
        result = await check(tcp(port))
    assert (result.ok, result.warning, result.local) == (True, False, False)
    assert set(result.measurements) == {"connect_s"}
    assert 0 < result.measurements["connect_s"] < 1.0
    assert re.fullmatch(rf"connected to 127\.0\.0\.1:{port} in \d+\.\d{{3}} ms", result.output)


async def test_a_closed_port_is_down_and_says_refused() -> None:
    port = free_port()
    result = await check(tcp(port))
    assert (result.ok, result.local) == (False, False)
    assert result.output == f"TCP connect to 127.0.0.1:{port} refused"
    assert result.measurements == {}


async def test_a_valid_certificate_is_up_with_its_days_left(tmp_path: Path,
                                                           ca: Authority) -> None:
    async with listener(server_context(ca, tmp_path, "fine", 100)) as port:
        result = await check(tcp(port, tls=True, ca_file=str(ca.path)))
    assert (result.ok, result.warning) == (True, False), result.output
    assert 99.9 < result.measurements["cert_days_left"] <= 100
    assert result.measurements["connect_s"] > 0
    assert result.measurements["tls_handshake_s"] > 0
    assert "TLS handshake in" in result.output
    assert "certificate expires in 100 days" in result.output
    assert dict(result.values)["certificate subject"] == "CN=fine"


async def test_a_certificate_under_cert_warn_days_is_up_with_a_warning(tmp_path: Path,
                                                                       ca: Authority) -> None:
    async with listener(server_context(ca, tmp_path, "soon", 5)) as port:
        result = await check(tcp(port, tls=True, ca_file=str(ca.path)))
    assert (result.ok, result.warning) == (True, True), result.output
    assert 4.9 < result.measurements["cert_days_left"] <= 5
    assert "WARNING certificate expires in 5.0 days" in result.output
    assert "less than cert_warn_days (14)" in result.output


async def test_a_certificate_under_cert_fail_days_is_down(tmp_path: Path,
                                                          ca: Authority) -> None:
    async with listener(server_context(ca, tmp_path, "soon", 5)) as port:
        result = await check(tcp(port, tls=True, ca_file=str(ca.path), cert_warn_days=30,
                                 cert_fail_days=7))
    assert (result.ok, result.warning) == (False, False)
    assert "certificate expires in 5.0 days" in result.output
    assert "less than cert_fail_days (7)" in result.output


async def test_an_expired_certificate_fails_the_handshake_and_says_expired(
        tmp_path: Path, ca: Authority) -> None:
    async with listener(server_context(ca, tmp_path, "old", -1)) as port:
        result = await check(tcp(port, tls=True, ca_file=str(ca.path)))
    assert (result.ok, result.local) == (False, False)
    assert result.output == f"TLS handshake with 127.0.0.1:{port} failed: certificate expired"
    assert set(result.measurements) == {"connect_s"}


async def test_without_verify_an_expired_certificate_is_down_with_its_days(
        tmp_path: Path, ca: Authority) -> None:
    async with listener(server_context(ca, tmp_path, "old", -1)) as port:
        result = await check(tcp(port, tls=True, verify=False))
    assert result.ok is False
    assert -1.1 < result.measurements["cert_days_left"] <= -1
    assert "certificate expired 1.0 days ago" in result.output


async def test_an_unknown_issuer_and_a_wrong_name_say_why(tmp_path: Path,
                                                          ca: Authority) -> None:
    async with listener(server_context(ca, tmp_path, "fine", 100)) as port:
        unknown = await check(tcp(port, tls=True))  # the system's CAs do not know ours
        wrong = await check(tcp(port, tls=True, ca_file=str(ca.path), server_name="other.example"))
        by_name = await check(tcp(port, tls=True, ca_file=str(ca.path), server_name="localhost"))
    assert unknown.output == (f"TLS handshake with 127.0.0.1:{port} failed: "
                              "unable to get local issuer certificate")
    assert wrong.ok is False
    assert "Hostname mismatch" in wrong.output
    assert "other.example" in wrong.output
    assert by_name.ok, by_name.output


async def test_a_server_that_does_not_speak_tls_fails_the_handshake() -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    async with listener(handler=http) as port:
        result = await check(tcp(port, tls=True, verify=False))
    assert result.ok is False
    assert result.output.startswith(f"TLS handshake with 127.0.0.1:{port} failed: ")


async def test_a_server_that_never_answers_the_handshake_times_out() -> None:
    async with listener() as port:  # accepts, reads, never speaks TLS
        result = await check(tcp(port, tls=True, timeout_s=0.3))
    assert (result.ok, result.local) == (False, False)
    assert result.output == f"TLS handshake with 127.0.0.1:{port} timed out after 0.3 s"
    assert set(result.measurements) == {"connect_s"}
