"""SNMPv3 traps for a source's users: each datagram finds its user and the user's keys for
the sender's engine by one lookup, and that lookup follows the running config (a reload's
new password applies to the next trap) and stays small whatever engine IDs senders send,
as do the localised keys beneath it."""

from __future__ import annotations

from typing import Any

import pytest

from bench.trap_work import V3_AUTH, V3_PRIV, V3_USER, Trap, V3Sender
from bridge.config.intake_traps import TrapSource, TrapUser
from bridge.core.probe_kinds.snmp import AuthProtocol, PrivProtocol
from bridge.core.secret import Secret
from bridge.intake import trap_usm
from bridge.intake.trap_usm import TrapUsm
from bridge.probes.snmp.usm_keys import UsmKeys
from bridge.probes.snmp.usm_message import Security, encode_message

LINK_DOWN = Trap(0, 3, True)


def _source(auth: bytes = V3_AUTH, priv: bytes = V3_PRIV) -> TrapSource:
    user = TrapUser(V3_USER, AuthProtocol.SHA, Secret(auth.decode()), PrivProtocol.AES128,
                    Secret(priv.decode()))
    return TrapSource("127.0.0.1", 1, None, (user,), b"\x80\x00\x1f\x88\x04bridge", ())


def _receive(usm: TrapUsm, data: bytes, source: TrapSource) -> Any:
    return usm.receive(data, source, lambda _data, _addr: None, None)


def test_a_reload_s_new_password_applies_to_the_next_trap() -> None:
    usm, trap = TrapUsm(), V3Sender().trap(1, LINK_DOWN)
    assert isinstance(_receive(usm, trap, _source()), tuple)
    assert isinstance(_receive(usm, V3Sender().trap(2, LINK_DOWN), _source()), tuple)
    found = _receive(usm, V3Sender().trap(3, LINK_DOWN), _source(auth=b"another-password"))
    assert found == f"unauthorized:a wrong authentication key for {V3_USER.decode()!r}"
    assert isinstance(_receive(usm, V3Sender().trap(4, LINK_DOWN), _source()), tuple)


def test_engine_ids_chosen_by_senders_grow_neither_the_lookup_nor_the_keys(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trap_usm, "KEYED_MAX", 64)
    usm, source = TrapUsm(), _source()
    for n in range(trap_usm.KEYED_MAX * 2):
        forged = encode_message(n, 3, Security(n.to_bytes(8, "big"), 1, 100, V3_USER), 12,
                                bytes(8), b"\x04\x00")[0]
        assert isinstance(_receive(usm, forged, source), str)  # a wrong key: refused
    assert len(usm._keyed) <= trap_usm.KEYED_MAX
    assert len(usm._keys) <= trap_usm.KEYED_MAX  # each forged engine was localised for
    assert isinstance(_receive(usm, V3Sender().trap(1, LINK_DOWN), source), tuple)


def test_the_oldest_localised_keys_go_first_and_come_back_the_same() -> None:
    keys = UsmKeys(local_max=2)
    first = keys.local(AuthProtocol.SHA, V3_AUTH, PrivProtocol.AES128, V3_PRIV, b"engine-1")
    keys.local(AuthProtocol.SHA, V3_AUTH, PrivProtocol.AES128, V3_PRIV, b"engine-2")
    keys.local(AuthProtocol.SHA, V3_AUTH, PrivProtocol.AES128, V3_PRIV, b"engine-3")
    assert len(keys) == 2
    again = keys.local(AuthProtocol.SHA, V3_AUTH, PrivProtocol.AES128, V3_PRIV, b"engine-1")
    assert again == first
    assert again is not first  # made again


@pytest.mark.parametrize("size", [4, 33, 60_000])
def test_an_engine_id_of_a_size_snmp_does_not_allow_is_refused_unkept(size: int) -> None:
    usm, source = TrapUsm(), _source()
    forged = encode_message(1, 3, Security(b"e" * size, 1, 100, V3_USER), 12, bytes(8),
                            b"\x04\x00")[0]
    found = _receive(usm, forged, source)
    assert found == f"malformed:an engine ID of {size} bytes (SnmpEngineID is 5 to 32)"
    assert len(usm._keys) == 0
