"""The alert memo: a repeated trap (a later sysUpTime) makes the alert a fresh reading would,
each sender its own, and a reload's new rules apply to the next trap at once."""

from __future__ import annotations

from bridge.config.intake_traps import TrapRule, TrapSource
from bridge.intake.trap_rules import AlertMemo, matching_rule, trap_alert
from bridge.probes.snmp.ber import _integer, _tlv, encode_oid
from bridge.probes.snmp.notifications import (
    SNMP_TRAP_OID,
    SYS_UPTIME,
    TRAP_V2,
    Notification,
    decode_notification,
)

LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
IF_INDEX = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)


def _link_down(request_id: int, if_index: int, uptime: int = 1) -> Notification:
    varbinds = b"".join(_tlv(0x30, encode_oid(oid) + value) for oid, value in (
        (SYS_UPTIME, _tlv(0x43, uptime.to_bytes(4, "big"))),
        (SNMP_TRAP_OID, encode_oid(LINK_DOWN)),
        ((*IF_INDEX, if_index), _integer(if_index))))
    pdu = _tlv(TRAP_V2, _integer(request_id) + _integer(0) + _integer(0)
               + _tlv(0x30, varbinds))
    return decode_notification(_tlv(0x30, _integer(1) + _tlv(0x04, b"public") + pdu))


def _source(key: str) -> TrapSource:
    rule = TrapRule(LINK_DOWN, "linkDown", (), True, key, (("ifIndex", IF_INDEX),), None, None)
    return TrapSource("127.0.0.1", 1, None, (), b"", (rule,))


def test_a_repeated_trap_makes_the_alert_a_fresh_reading_would() -> None:
    memo, source = AlertMemo(), _source("link {ifIndex}")
    for request_id, (agent, if_index) in enumerate(
            [("10.0.0.1", 3), ("10.0.0.1", 3), ("10.0.0.2", 3), ("10.0.0.1", 4),
             ("10.0.0.1", 3)], start=1):
        trap = _link_down(request_id, if_index, uptime=request_id)
        rule = matching_rule(source, trap)
        assert rule is not None
        assert memo.alert(source, trap, agent) == (rule, trap_alert(rule, trap, agent))


def test_a_reload_s_rules_apply_to_the_next_trap() -> None:
    memo = AlertMemo()
    trap = _link_down(1, 3)
    first = memo.alert(_source("link {ifIndex}"), trap, "10.0.0.1")
    again = memo.alert(_source("port {ifIndex}"), trap, "10.0.0.1")
    assert first is not None
    assert again is not None
    assert (first[1].fingerprint, again[1].fingerprint) == ("10.0.0.1/link 3", "10.0.0.1/port 3")
    assert memo.alert(TrapSource("127.0.0.1", 1, None, (), b"", ()), trap, "10.0.0.1") is None
