"""Ready-made SNMP templates (`use = [...]`), each pinned against recordings of three UPSes:
on line (ok), on battery (warning) and with a depleted battery (failing)."""

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
    assert "unknown template 'ups'; the templates are apc-powernet, ups-mib" in str(caught.value)
