"""Thresholds that match values: enumerations by name and text patterns, against snmpsim."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bridge.core.probe_kinds.limits import Equality, Pattern
from bridge.core.probe_kinds.snmp import SnmpProbe
from tests.kits.snmp_agents import Agent
from tests.probes.snmp.test_probe import poll, probe, v2c


def checks(*items: dict[str, Any]) -> SnmpProbe:
    return probe(thresholds=list(items))


async def test_an_enumeration_by_name_fails_and_says_the_value_by_name(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "ups-on-battery"), checks(
        {"oid": "upsBasicOutputStatus", "critical": "!= onLine"},
        {"oid": "upsAdvBatteryReplaceIndicator", "warning": "== batteryNeedsReplacing"},
        {"oid": "upsOutputSource", "critical": "== 5"},  # a number is still accepted
    ))
    assert not result.ok
    assert result.output == (
        "upsBasicOutputStatus = onBattery (3), expected onLine (critical); "
        "upsOutputSource = battery (5), expected not battery (critical); "
        "WARNING upsAdvBatteryReplaceIndicator = batteryNeedsReplacing (2), "
        "expected not batteryNeedsReplacing; up 1d 0:00:00")
    assert dict(result.values)["upsBasicOutputStatus"] == "onBattery (3)"


async def test_an_enumeration_that_matches_passes(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "ups-on-battery"), checks(
        {"oid": "upsBasicOutputStatus", "critical": "!= onBattery"},
        {"oid": "upsBatteryStatus", "critical": "!= batteryNormal"},
    ))
    assert result.ok
    assert not result.warning
    assert dict(result.values)["upsBatteryStatus"] == "batteryNormal (2)"


async def test_every_row_of_an_enumerated_column_is_judged(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "ups-on-battery"), checks(
        {"oid": "hrDeviceStatus", "critical": "== down"},
        {"oid": "entSensorStatus", "warning": "!= ok"},
    ))
    assert not result.ok
    assert result.output == (
        "hrDeviceStatus.2 = down (5), expected not down (critical); "
        "WARNING entPhySensorOperStatus.2 = nonoperational (3), expected ok; up 1d 0:00:00")
    values = dict(result.values)
    assert values["hrDeviceStatus.1"] == "running (2)"
    assert values["entPhySensorOperStatus.1"] == "ok (1)"


async def test_a_text_pattern_is_a_regular_expression_searched_in_the_text(
    snmpsim: Agent
) -> None:
    found = await poll(v2c(snmpsim, "ups-on-battery"), checks(
        {"oid": "sysDescr", "critical": '!~ "firmware 7\\.[0-9]+$"'},
        {"oid": "sysName", "warning": "== ups-1"}))
    assert found.ok
    assert found.warning
    assert found.output == "WARNING sysName = ups-1, expected not ups-1; up 1d 0:00:00"
    missed = await poll(v2c(snmpsim, "ups-on-battery"), checks(
        {"oid": "sysDescr", "critical": '~ "RouterOS"'}))
    assert not missed.ok
    assert missed.output == ('sysDescr = bridge test UPS, RouterOS-free firmware 7.1, '
                             'expected not to match "RouterOS" (critical); up 1d 0:00:00')


async def test_numeric_thresholds_are_judged_as_before(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "ups-on-battery"), checks(
        {"oid": "upsEstimatedMinutesRemaining", "warning": "< 15", "critical": "< 5"}))
    assert result.ok
    assert result.warning
    assert result.output == "WARNING upsEstimatedMinutesRemaining = 12 < 15; up 1d 0:00:00"


def test_thresholds_compile_when_the_config_loads() -> None:
    loaded = checks({"oid": "upsBasicOutputStatus", "critical": "!= onLine"},
                    {"oid": "sysDescr", "warning": "~ 'Router(OS)?'"},
                    {"oid": "hrDeviceStatus", "critical": "!= 2"})
    assert loaded.thresholds[0].critical == Equality("!=", "onLine", 2)
    pattern = loaded.thresholds[1].warning
    assert isinstance(pattern, Pattern)
    assert pattern.regex.pattern == "Router(OS)?"
    assert loaded.thresholds[2].critical == Equality("!=", "running", 2)


@pytest.mark.parametrize(("check", "message"), [
    ({"oid": "entSensorStatus", "critical": "!= fine"},
     "'fine' is not a value of entPhySensorOperStatus; its values are ok (1), unavailable (2), "
     "nonoperational (3)"),
    ({"oid": "laLoadInt", "critical": "!= high"},
     "laLoadInt has no named values; compare it with a number"),
    ({"oid": "sysDescr", "critical": "~ (unclosed"}, "is not a regular expression"),
])
def test_bridge_check_names_what_cannot_match(check: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        checks(check)
    assert message in str(caught.value)


def test_counters_take_numeric_comparisons_only() -> None:
    with pytest.raises(ValidationError) as caught:
        probe(counters=[{"oid": "ifInErrors", "critical": "!= 0"}])
    assert "a counter's rate is compared with a number" in str(caught.value)
