"""Ticket rules: which failing checks a rule covers, and the priority it gives them."""

from types import MappingProxyType

import pytest

from bridge.core.priority import Priority, shifted
from bridge.core.rules import Condition, Criticality, TicketRule

DOWN, FLAPPING = Condition.DOWN, Condition.FLAPPING
LOW, MEDIUM, HIGH = Criticality.LOW, Criticality.MEDIUM, Criticality.HIGH


@pytest.mark.parametrize(("rule", "check", "matches"), [
    (TicketRule(), ("ping", "acme", (), MEDIUM, DOWN), True),  # no selector: any check
    (TicketRule(), ("ping", "acme", (), MEDIUM, FLAPPING), True),
    (TicketRule(conditions=(DOWN,)), ("ping", "acme", (), MEDIUM, FLAPPING), False),
    (TicketRule(probes=("ping",)), ("snmp", "acme", (), MEDIUM, DOWN), False),
    (TicketRule(customers=("acme",)), ("ping", "initech", (), MEDIUM, DOWN), False),
    (TicketRule(tags=("core", "wifi")), ("ping", "acme", ("wifi",), MEDIUM, DOWN), True),
    (TicketRule(tags=("core",)), ("ping", "acme", ("wifi",), MEDIUM, DOWN), False),
    (TicketRule(criticality=(HIGH,)), ("ping", "acme", (), MEDIUM, DOWN), False),
    (TicketRule(probes=("ping",), customers=("acme",), tags=("core",), criticality=(HIGH,),
                conditions=(DOWN,)), ("ping", "acme", ("core",), HIGH, DOWN), True),
])
def test_a_rule_covers_a_check_when_every_selector_it_has_does(
        rule: TicketRule, check: tuple[str, str, tuple[str, ...], Criticality, Condition],
        matches: bool) -> None:
    assert rule.matches(*check) is matches


def test_a_priority_table_goes_by_criticality_and_falls_back_to_p3() -> None:
    rule = TicketRule(priority=MappingProxyType({HIGH: Priority.P1, MEDIUM: Priority.P2}))
    assert [rule.priority_for(c) for c in (HIGH, MEDIUM, LOW)] == [
        Priority.P1, Priority.P2, Priority.P3]
    assert TicketRule(priority=Priority.P4).priority_for(HIGH) == Priority.P4


@pytest.mark.parametrize(("priority", "steps", "expected"), [
    (Priority.P3, -1, Priority.P2),
    (Priority.P2, 1, Priority.P3),
    (Priority.P1, -3, Priority.P1),  # held within P1..P4
    (Priority.P4, 2, Priority.P4),
])
def test_a_shift_moves_a_priority_within_p1_to_p4(
        priority: Priority, steps: int, expected: Priority) -> None:
    assert shifted(priority, steps) == expected
