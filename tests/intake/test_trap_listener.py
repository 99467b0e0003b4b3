"""The trap listeners in process: a listener reads its socket while the event loop is busy
(an INFORM no rule matches is answered at once), a reload moves it to its new port and frees
the old one, and stopping ends its thread and closes its socket."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bridge.config import load_config
from bridge.config.model import Config
from bridge.intake import traps as trap_intake
from bridge.intake.counters import IntakeCounters
from bridge.intake.traps import serve_traps
from bridge.probes.snmp.ber import _integer, _tlv, decode_response, encode_oid
from bridge.probes.snmp.notifications import INFORM, SNMP_TRAP_OID, SYS_UPTIME
from tests.intake.test_traps import COMMUNITY, free_udp_port, trap_deployment

COLD_START = (1, 3, 6, 1, 6, 3, 1, 1, 5, 1)  # no rule of the deployment's source matches it
ANSWER_WAIT_S = 10.0


class _Service:
    """The config (swapped by a reload); no trap in these tests reaches the store."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def current_config(self) -> Config:
        return self.config

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)

    async def write_tickets(self, fn: Callable[..., Any], **_: Any) -> Any:
        raise AssertionError("nothing here is written")


def cold_start_inform(request_id: int) -> bytes:
    varbinds = (_tlv(0x30, encode_oid(SYS_UPTIME) + _tlv(0x43, b"\x10"))
                + _tlv(0x30, encode_oid(SNMP_TRAP_OID) + encode_oid(COLD_START)))
    pdu = _tlv(INFORM, _integer(request_id) + _integer(0) + _integer(0) + _tlv(0x30, varbinds))
    return _tlv(0x30, _integer(1) + _tlv(0x04, COMMUNITY.encode()) + pdu)


def answered(port: int, request_id: int, timeout_s: float = ANSWER_WAIT_S) -> bool:
    """Whether an INFORM to `port` is answered (sent again each second, as senders do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1.0)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            sock.sendto(cold_start_inform(request_id), ("127.0.0.1", port))
            try:
                return decode_response(sock.recv(65535)).request_id == request_id
            except TimeoutError:
                continue
    return False


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def listener_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("traps ")]


def serving(config: Config, scenario: Callable[[_Service], Awaitable[None]]) -> None:
    """Run the listeners for `config` through `scenario`, then stop them."""
    service = _Service(config)

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(serve_traps(service, stop, IntakeCounters(None)))  # type: ignore[arg-type]
        try:
            await scenario(service)
        finally:
            stop.set()
            await task

    asyncio.run(main())


def test_an_unmatched_inform_is_answered_while_the_event_loop_is_busy(tmp_path: Path) -> None:
    port = free_udp_port()
    config = load_config(trap_deployment(tmp_path, port))
    outcome: list[bool] = []

    def ask() -> None:
        outcome.append(answered(port, 7))

    async def scenario(_service: _Service) -> None:
        assert await asyncio.to_thread(answered, port, 1)  # listening
        asker = threading.Thread(target=ask)
        asker.start()
        asker.join()  # the loop itself blocked until the INFORM is answered or given up
        assert outcome == [True]

    serving(config, scenario)


def test_a_reload_moves_the_listener_and_stopping_ends_it(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(trap_intake, "RECONCILE_S", 0.05)
    old_port, new_port = free_udp_port(), free_udp_port()
    config = load_config(trap_deployment(tmp_path / "old", old_port))
    moved = load_config(trap_deployment(tmp_path / "new", new_port))

    async def scenario(service: _Service) -> None:
        assert await asyncio.to_thread(answered, old_port, 1)
        assert not port_free(old_port)
        service.config = moved  # a reload
        assert await asyncio.to_thread(answered, new_port, 2)
        assert port_free(old_port)
        assert listener_threads() == ["traps snmp"]

    serving(config, scenario)
    assert listener_threads() == []
    assert port_free(new_port)
