"""Trap-PDUs, SNMPv2-Trap-PDUs and InformRequests decoded (v1 converted per RFC 3584 3.1),
an INFORM's Response encoded, and hostile bytes: BerError, never another exception."""

from __future__ import annotations

import contextlib
import gc
import random
import tracemalloc

import pytest

from bridge.config.intake_traps import TrapSource, TrapUser
from bridge.core.probe_kinds.snmp import AuthProtocol, PrivProtocol
from bridge.core.secret import Secret
from bridge.intake.trap_usm import TrapUsm
from bridge.probes.snmp.ber import BerError, _integer, _tlv, decode_response, encode_oid
from bridge.probes.snmp.notifications import (
    INFORM,
    SNMP_TRAP_ADDRESS,
    SNMP_TRAP_ENTERPRISE,
    TRAP_V1,
    TRAP_V2,
    _fast_v2c,
    decode_notification,
    decode_strictly,
    encode_response,
)
from bridge.probes.snmp.types import Integer32, IpAddress, ObjectIdentifier
from bridge.probes.snmp.usm_message import REPORTABLE, Security, encode_message, encode_scoped
from tests.kits.fuzz import mangled

IF_INDEX_3 = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3)
LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)


def _varbind(oid: tuple[int, ...], value: bytes) -> bytes:
    return _tlv(0x30, encode_oid(oid) + value)


def v1_trap(enterprise: tuple[int, ...], generic: int, specific: int) -> bytes:
    pdu = _tlv(TRAP_V1, encode_oid(enterprise) + _tlv(0x40, bytes([192, 0, 2, 7]))
               + _integer(generic) + _integer(specific) + _tlv(0x43, b"\x01\x00")
               + _tlv(0x30, _varbind(IF_INDEX_3, _integer(3))))
    return _tlv(0x30, _integer(0) + _tlv(0x04, b"public") + pdu)


def v2_notification(tag: int = TRAP_V2, request_id: int = 77) -> bytes:
    varbinds = (_varbind((1, 3, 6, 1, 2, 1, 1, 3, 0), _tlv(0x43, b"\x10"))
                + _varbind((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), encode_oid(LINK_DOWN))
                + _varbind(IF_INDEX_3, _integer(3)))
    pdu = _tlv(tag, _integer(request_id) + _integer(0) + _integer(0) + _tlv(0x30, varbinds))
    return _tlv(0x30, _integer(1) + _tlv(0x04, b"public") + pdu)


def test_a_v1_generic_trap_is_read_as_its_v2_form() -> None:
    trap = decode_notification(v1_trap((1, 3, 6, 1, 4, 1, 9), 2, 0))
    assert trap.trap_oid == LINK_DOWN  # snmpTraps.<generic + 1>
    assert trap.agent_addr == "192.0.2.7"
    assert trap.varbinds == [(IF_INDEX_3, Integer32(3)),
                             (SNMP_TRAP_ADDRESS, IpAddress(bytes([192, 0, 2, 7]))),
                             (SNMP_TRAP_ENTERPRISE, ObjectIdentifier((1, 3, 6, 1, 4, 1, 9)))]


def test_a_v1_enterprise_specific_trap_is_enterprise_0_specific() -> None:
    trap = decode_notification(v1_trap((1, 3, 6, 1, 4, 1, 318), 6, 5))
    assert trap.trap_oid == (1, 3, 6, 1, 4, 1, 318, 0, 5)


def test_an_inform_is_answered_with_its_request_id_and_varbinds() -> None:
    inform = decode_notification(v2_notification(INFORM, 4242))
    assert (inform.pdu_type, inform.request_id, inform.trap_oid) == (INFORM, 4242, LINK_DOWN)
    assert inform.varbinds == [(IF_INDEX_3, Integer32(3))]
    answer = decode_response(encode_response(1, b"public", 4242, inform.varbind_list))
    assert (answer.request_id, answer.error_status, answer.community) == (4242, 0, b"public")
    assert answer.varbinds[1] == ((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0),
                                  ObjectIdentifier(LINK_DOWN))


@pytest.mark.parametrize("data", [
    b"", b"\x30", b"\x30\x00", b"\x30\x80\x00\x00",
    _tlv(0x30, _integer(1) + _tlv(0x04, b"c") + _tlv(0xA0, b"")),  # a GET: not a notification
    _tlv(0x30, _integer(0) + _tlv(0x04, b"c") + _tlv(TRAP_V2, b"")),  # v2 PDU in v1
    _tlv(0x30, _integer(1) + _tlv(0x04, b"c") + _tlv(TRAP_V2, _integer(1) + _integer(0)
                                                    + _integer(0) + _tlv(0x30, b""))),
])
def test_not_a_notification_is_a_ber_error(data: bytes) -> None:
    with pytest.raises(BerError):
        decode_notification(data)


def test_mutated_and_random_datagrams_raise_only_ber_errors() -> None:
    rng = random.Random(15)
    valid = [v1_trap((1, 3, 6, 1, 4, 1, 318), 6, 5), v2_notification(),
             v2_notification(INFORM)]
    for _ in range(3000):
        data = bytearray(rng.choice(valid))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        for candidate in (bytes(data), bytes(data[:rng.randrange(len(data))]),
                          rng.randbytes(rng.randrange(200))):
            with contextlib.suppress(BerError):
                decode_notification(candidate)


def test_the_one_pass_reader_takes_only_what_the_strict_reader_takes_and_reads_it_alike(
) -> None:
    rng = random.Random(16)
    long_form = _tlv(0x30, _integer(1) + _tlv(0x04, b"public") + _tlv(TRAP_V2, _integer(9)
                     + _integer(0) + _integer(0) + _tlv(0x30, (
                         _varbind((1, 3, 6, 1, 2, 1, 1, 3, 0), _tlv(0x43, b"\x10"))
                         + _varbind((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), encode_oid(LINK_DOWN))
                         + _varbind(IF_INDEX_3, _tlv(0x04, b"x" * 300))))))
    valid = [v2_notification(), v2_notification(INFORM, 2**31 - 1), long_form,
             v1_trap((1, 3, 6, 1, 4, 1, 318), 6, 5)]
    taken = 0
    for candidate in mangled(rng, valid):
        fast = _fast_v2c(candidate)
        if fast is not None:
            assert fast == decode_strictly(candidate)
            taken += 1
    assert taken > 1000  # the common shape does go the fast way


def test_hostile_v3_datagrams_are_refusals_never_exceptions() -> None:
    secret = Secret("a-password-1")
    source = TrapSource("127.0.0.1", 1, None, (TrapUser(b"u", AuthProtocol.SHA, secret,
                                                        PrivProtocol.AES128, secret),),
                        b"\x80\x00\x1f\x88\x04bridge", ())
    usm = TrapUsm()
    sent: list[bytes] = []
    discovery = encode_message(7, REPORTABLE, Security(b"", 0, 0, b""), 0, b"", encode_scoped(
        b"", b"", _tlv(0xA0, _integer(9) + _integer(0) + _integer(0) + _tlv(0x30, b""))))[0]
    assert usm.receive(discovery, source, lambda data, _addr: sent.append(data), None) is None
    assert len(sent) == 1  # the Report with bridge's engine ID
    rng = random.Random(3)
    for _ in range(3000):
        data = bytearray(discovery)
        data[rng.randrange(len(data))] = rng.randrange(256)
        for candidate in (bytes(data), bytes(data[:rng.randrange(len(data))])):
            found = usm.receive(candidate, source, lambda _d, _a: None, None)
            assert found is None or isinstance(found, str)


def test_large_traps_from_anyone_do_not_stay_in_memory_after_decoding() -> None:
    """The decoded-varbinds memo is filled before a trap is authenticated: big distinct
    datagrams (a forged flood, or traps carrying changing text) must not pin their bytes."""
    def big(n: int) -> bytes:
        text = n.to_bytes(4, "big") * 4096  # 16 KiB, distinct per trap
        varbinds = (_varbind((1, 3, 6, 1, 2, 1, 1, 3, 0), _tlv(0x43, b"\x10"))
                    + _varbind((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), encode_oid(LINK_DOWN))
                    + _varbind(IF_INDEX_3, _tlv(0x04, text)))
        pdu = _tlv(TRAP_V2, _integer(n) + _integer(0) + _integer(0) + _tlv(0x30, varbinds))
        return _tlv(0x30, _integer(1) + _tlv(0x04, b"not-the-community") + pdu)

    datagrams = [big(n) for n in range(200)]  # 3.2 MiB in all
    gc.collect()
    tracemalloc.start()
    try:
        for data in datagrams:
            assert decode_notification(data).varbinds[0][0] == IF_INDEX_3
        gc.collect()
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 256 * 1024
