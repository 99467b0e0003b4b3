"""Ready-made SNMP templates (`use = [...]`), each pinned against recordings of its own:
UPSes on line (ok), on battery (warning), with a depleted battery (failing); Linux hosts
idle (ok), busy (warning) and full (failing)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from tests.kits.snmp_agents import Agent, start_snmpsim
from tests.probes.snmp.test_probe import poll, probe, v2c

UP = "up 1d 0:00:00"


@pytest.fixture(scope="module")
def snmpsim() -> Iterator[Agent]:
    agent = start_snmpsim()
    yield agent
    agent.close()


@pytest.mark.parametrize(("template", "recording", "ok", "warning", "output"), [
    ("ups-mib", "ups-online", True, False, UP),
    ("ups-mib", "ups-on-battery", True, True,
     "WARNING upsOutputSource = battery (5), expected normal; "
     f"WARNING upsEstimatedMinutesRemaining = 12 < 15; {UP}"),
    ("ups-mib", "ups-depleted", False, False,
     "upsEstimatedMinutesRemaining = 3 < 5 (critical); "
     "upsBatteryStatus = batteryDepleted (4), expected not batteryDepleted (critical); "
     f"WARNING upsOutputSource = battery (5), expected normal; {UP}"),
    ("apc-powernet", "ups-online", True, False, UP),
    ("apc-powernet", "ups-on-battery", True, True,
     "WARNING upsBasicOutputStatus = onBattery (3), expected onLine; "
     "WARNING upsAdvBatteryRunTimeRemaining = 72000 < 90000; "
     "WARNING upsAdvBatteryReplaceIndicator = batteryNeedsReplacing (2), "
     f"expected not batteryNeedsReplacing; {UP}"),
    ("apc-powernet", "ups-depleted", False, False,
     "upsAdvBatteryRunTimeRemaining = 18000 < 30000 (critical); "
     "WARNING upsBasicOutputStatus = onBattery (3), expected onLine; "
     "WARNING upsAdvBatteryReplaceIndicator = batteryNeedsReplacing (2), "
     f"expected not batteryNeedsReplacing; {UP}"),
    ("host-resources", "host-ok", True, False, UP),
    ("host-resources", "host-busy", True, True,
     "WARNING hrProcessorLoad average of 2 = 85 > 80; "
     f"WARNING hrStorageUsed.36 % of hrStorageSize.36 = 90 > 85; {UP}"),
    ("host-resources", "host-full", False, False,
     "hrProcessorLoad average of 2 = 98 > 95 (critical); "
     f"hrStorageUsed.36 % of hrStorageSize.36 = 97 > 95 (critical); {UP}"),
    ("ucd-snmp", "host-ok", True, False, UP),
    ("ucd-snmp", "host-busy", True, True,
     f"WARNING laLoad.2 = 6 > 4; WARNING memAvailReal % of memTotalReal = 7.5 < 10; {UP}"),
    ("ucd-snmp", "host-full", False, False,
     "laLoad.2 = 12 > 8 (critical); "
     f"memAvailReal % of memTotalReal = 2.5 < 5 (critical); {UP}"),
])
async def test_a_template_gives_its_verdict(snmpsim: Agent, template: str, recording: str,
                                            ok: bool, warning: bool, output: str) -> None:
    result = await poll(v2c(snmpsim, recording), probe(use=[template]))
    assert (result.ok, result.warning, result.output) == (ok, warning, output)


async def test_a_probes_own_threshold_overrides_the_templates(snmpsim: Agent) -> None:
    """Runtime left: the probe's own `< 10` replaces ups-mib's `< 15` / `< 5`."""
    result = await poll(v2c(snmpsim, "ups-on-battery"), probe(
        use=["ups-mib"],
        thresholds=[{"oid": "upsEstimatedMinutesRemaining", "critical": "< 20"}]))
    assert not result.ok
    assert result.output == ("upsEstimatedMinutesRemaining = 12 < 20 (critical); "
                             f"WARNING upsOutputSource = battery (5), expected normal; {UP}")


async def test_templates_combine(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "ups-online"), probe(use=["ups-mib", "apc-powernet"]))
    assert result.ok
    assert len(probe(use=["ups-mib", "apc-powernet"]).thresholds) == 6
    assert dict(result.values)["upsBasicOutputStatus"] == "onLine (2)"


def test_an_unknown_template_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        probe(use=["ups"])
    assert ("unknown template 'ups'; the templates are apc-powernet, host-resources, "
            "ucd-snmp, ups-mib") in str(caught.value)


async def test_percentages_and_averages_show_their_values(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "host-ok"), probe(use=["host-resources"]))
    values = dict(result.values)
    assert values["hrProcessorLoad average of 2"] == "30"
    assert values["hrStorageUsed.1 % of hrStorageSize.1"] == "31.25"
    assert values["hrStorageUsed.31 % of hrStorageSize.31"] == "50"


@pytest.mark.parametrize(("check", "message"), [
    ({"oid": "hrStorageUsed", "percent_of": "hrStorageSize", "critical": "!= 5"},
     "percent_of and average judge numbers"),
    ({"oid": "hrStorageUsed", "percent_of": "memTotalReal", "critical": "> 5"},
     "percent_of memTotalReal must be a numeric column, as hrStorageUsed is"),
    ({"oid": "memAvailReal", "average": True, "critical": "> 5"},
     "average needs a column; memAvailReal is one value"),
])
def test_derived_values_are_checked_when_the_config_loads(check: dict[str, object],
                                                          message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        probe(thresholds=[check])
    assert message in str(caught.value)
