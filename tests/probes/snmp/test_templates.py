"""Ready-made SNMP templates (`use = [...]`), each pinned against recordings of its own:
UPSes on line (ok), on battery (warning), with a depleted battery (failing); Linux hosts
idle (ok), busy (warning) and full (failing); a switch's sensors, a printer's supplies and
five vendors' CPU and memory, each ok, warning and failing (tests/data/snmp/generate.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.kits.snmp_agents import Agent
from tests.probes.snmp.test_probe import poll, probe, v2c

UP = "up 1d 0:00:00"
# A printer's supplies that are shown, never judged: -3, a capacity of -2, a level of -2.
PRINTER_NOTES = ("prtMarkerSuppliesLevel[Magenta Toner] = someRemaining; "
                 "prtMarkerSuppliesLevel[Yellow Toner]: prtMarkerSuppliesMaxCapacity = unknown; "
                 "no percentage; prtMarkerSuppliesLevel[Waste Toner Box] = unknown")


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
     "WARNING upsAdvBatteryRunTimeRemaining = 12 min < 15 min; "
     "WARNING upsAdvBatteryReplaceIndicator = batteryNeedsReplacing (2), "
     f"expected not batteryNeedsReplacing; {UP}"),
    ("apc-powernet", "ups-depleted", False, False,
     "upsAdvBatteryRunTimeRemaining = 3 min < 5 min (critical); "
     "WARNING upsBasicOutputStatus = onBattery (3), expected onLine; "
     "WARNING upsAdvBatteryReplaceIndicator = batteryNeedsReplacing (2), "
     f"expected not batteryNeedsReplacing; {UP}"),
    ("host-resources", "host-ok", True, False, UP),
    ("host-resources", "host-busy", True, True,
     "WARNING hrProcessorLoad average of 2 = 85 > 80; "
     f"WARNING hrStorageUsed[/var] % of hrStorageSize = 90 > 85; {UP}"),
    ("host-resources", "host-full", False, False,
     "hrProcessorLoad average of 2 = 98 > 95 (critical); "
     f"hrStorageUsed[/var] % of hrStorageSize = 97 > 95 (critical); {UP}"),
    ("ucd-snmp", "host-ok", True, False, UP),
    ("ucd-snmp", "host-busy", True, True,
     f"WARNING laLoad.2 = 6 > 4; WARNING memAvailReal % of memTotalReal = 7.5 < 10; {UP}"),
    ("ucd-snmp", "host-full", False, False,
     "laLoad.2 = 12 > 8 (critical); "
     f"memAvailReal % of memTotalReal = 2.5 < 5 (critical); {UP}"),
    ("entity-sensor", "sensors-ok", True, False, UP),
    ("entity-sensor", "sensors-warning", True, True,
     "WARNING entPhySensorValue[Inlet temperature] = 69.5 > 65; "
     "WARNING entPhySensorValue[Fan 1] = 0 < 1; "
     f"WARNING entPhySensorValue[PSU 2 input] = 0 < 90; {UP}"),
    ("entity-sensor", "sensors-failing", False, False,
     "entPhySensorOperStatus.1006 = nonoperational (3), expected ok (critical); "
     f"entPhySensorValue[CPU temperature] = 85 > 80 (critical); {UP}"),
    ("printer-supplies", "printer-ok", True, False, f"{UP}; {PRINTER_NOTES}"),
    ("printer-supplies", "printer-warning", True, True,
     "WARNING prtMarkerSuppliesLevel[Black Toner] % of prtMarkerSuppliesMaxCapacity = 12 < 15; "
     f"{UP}; {PRINTER_NOTES}"),
    ("printer-supplies", "printer-failing", False, False,
     "prtMarkerSuppliesLevel[Black Toner] % of prtMarkerSuppliesMaxCapacity = 3 < 5 "
     "(critical); "
     "WARNING prtMarkerSuppliesLevel[Cyan Toner] % of prtMarkerSuppliesMaxCapacity = 10 < 15; "
     f"{UP}; {PRINTER_NOTES}"),
    ("cisco-cpu-memory", "cisco-ok", True, False, UP),
    ("cisco-cpu-memory", "cisco-warning", True, True,
     "WARNING cpmCPUTotal5minRev[Switch 1] = 85 > 80; WARNING cpmCPUMemoryUsed[Switch 1] % "
     f"of cpmCPUMemoryUsed + cpmCPUMemoryFree = 87.5 > 85; {UP}"),
    ("cisco-cpu-memory", "cisco-failing", False, False,
     "cpmCPUTotal5minRev[Switch 1] = 97 > 95 (critical); cpmCPUMemoryUsed[Switch 1] % of "
     f"cpmCPUMemoryUsed + cpmCPUMemoryFree = 97.5 > 95 (critical); {UP}"),
    ("juniper-cpu-memory", "juniper-ok", True, False, UP),
    ("juniper-cpu-memory", "juniper-warning", True, True,
     "WARNING jnxOperatingCPU[Routing Engine 0] = 85 > 80; "
     f"WARNING jnxOperatingBuffer[Routing Engine 0] = 90 > 85; {UP}"),
    ("juniper-cpu-memory", "juniper-failing", False, False,
     "jnxOperatingCPU[Routing Engine 0] = 98 > 95 (critical); "
     f"jnxOperatingBuffer[Routing Engine 0] = 96 > 95 (critical); {UP}"),
    ("fortinet-cpu-memory", "fortinet-ok", True, False, UP),
    ("fortinet-cpu-memory", "fortinet-warning", True, True,
     f"WARNING fgSysCpuUsage = 88 > 80; WARNING fgSysMemUsage = 86 > 85; {UP}"),
    ("fortinet-cpu-memory", "fortinet-failing", False, False,
     f"fgSysCpuUsage = 99 > 95 (critical); fgSysMemUsage = 97 > 95 (critical); {UP}"),
    ("mikrotik-cpu-memory", "mikrotik-ok", True, False, UP),
    ("mikrotik-cpu-memory", "mikrotik-warning", True, True,
     "WARNING hrProcessorLoad average of 2 = 87.5 > 80; "
     f"WARNING hrStorageUsed[main memory] % of hrStorageSize = 87.74 > 85; {UP}"),
    ("mikrotik-cpu-memory", "mikrotik-failing", False, False,
     "hrProcessorLoad average of 2 = 98 > 95 (critical); "
     f"hrStorageUsed[main memory] % of hrStorageSize = 97.27 > 95 (critical); {UP}"),
    ("huawei-cpu-memory", "huawei-ok", True, False, UP),
    ("huawei-cpu-memory", "huawei-warning", True, True,
     "WARNING hwEntityCpuUsage[MPU Board 1] = 85 > 80; "
     f"WARNING hwEntityMemUsage[MPU Board 1] = 88 > 85; {UP}"),
    ("huawei-cpu-memory", "huawei-failing", False, False,
     "hwEntityCpuUsage[MPU Board 1] = 97 > 95 (critical); "
     f"hwEntityMemUsage[MPU Board 1] = 96 > 95 (critical); {UP}"),
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
    assert ("unknown template 'ups'; the templates are apc-powernet, cisco-cpu-memory, "
            "entity-sensor, fortinet-cpu-memory, host-resources, huawei-cpu-memory, "
            "juniper-cpu-memory, mikrotik-cpu-memory, printer-supplies, ucd-snmp, ups-mib"
            ) in str(caught.value)


async def test_the_numbers_thresholds_judge_are_exported_once_each(snmpsim: Agent) -> None:
    """On battery: minutes left and the output source's number (battery, 5) for Prometheus,
    one series per object even when two thresholds read it (Prometheus refuses a scrape
    with a series twice); text and Printer-MIB's specials have no number."""
    result = await poll(v2c(snmpsim, "ups-on-battery"), probe(
        use=["ups-mib", "apc-powernet"],
        thresholds=[{"oid": "sysName", "warning": '~ "^x"'},
                    {"oid": "upsEstimatedMinutesRemaining", "warning": "< 15"},
                    {"oid": "upsEstimatedMinutesRemaining", "critical": "< 5"}]))
    exported = [(dict(s.labels)["object"], s.value) for s in result.series
                if s.name == "bridge_probe_value"]
    assert sorted(exported) == [
        ("upsAdvBatteryReplaceIndicator", 2), ("upsAdvBatteryRunTimeRemaining", 12),
        ("upsBasicOutputStatus", 3), ("upsBatteryStatus", 2),
        ("upsEstimatedMinutesRemaining", 12), ("upsOutputSource", 5)]
    printer = await poll(v2c(snmpsim, "printer-ok"), probe(use=["printer-supplies"]))
    toner = {dict(s.labels)["object"]: s.value for s in printer.series}
    assert toner["prtMarkerSuppliesLevel[Black Toner] % of prtMarkerSuppliesMaxCapacity"] == 80
    assert not [name for name in toner if "Magenta" in name]  # someRemaining: no number


async def test_percentages_and_averages_show_their_values(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "host-ok"), probe(use=["host-resources"]))
    values = dict(result.values)
    assert values["hrProcessorLoad average of 2"] == "30"
    assert values["hrStorageUsed[/] % of hrStorageSize"] == "50"
    assert values["hrStorageUsed[/sys/fs/cgroup] % of hrStorageSize"] == \
        "none (hrStorageSize is 0)"
    # mounts only: net-snmp's memory rows (cache counted as used, "Cached memory" always
    # full) would warn on every healthy Linux host
    assert not [name for name in values if "memory" in name]


@pytest.mark.parametrize(("check", "message"), [
    ({"oid": "hrStorageUsed", "percent_of": "hrStorageSize", "critical": "!= 5"},
     "percent_of, average, scale_by, precision_by and ticks_as judge numbers"),
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


async def test_sensors_read_at_their_scale_and_precision_by_their_names(snmpsim: Agent) -> None:
    """Inlet: 245 with precision 1; CPU: 52000 milli-degrees; sensor 1006 has no name."""
    values = dict((await poll(v2c(snmpsim, "sensors-ok"), probe(use=["entity-sensor"]))).values)
    assert values["entPhySensorValue[Inlet temperature]"] == "24.5"
    assert values["entPhySensorValue[CPU temperature]"] == "52"
    assert values["entPhySensorOperStatus.1006"] == "ok (1)"
    assert "entPhySensorValue[PSU 1 output]" not in values  # voltsDC: its status only


async def test_an_override_replaces_only_the_threshold_with_its_where(snmpsim: Agent) -> None:
    """The temperatures' own limit; the fan and the PSU keep the template's."""
    result = await poll(v2c(snmpsim, "sensors-warning"), probe(
        use=["entity-sensor"],
        thresholds=[{"oid": "entPhySensorValue", "where": "entPhySensorType == celsius",
                     "scale_by": "entPhySensorScale", "precision_by": "entPhySensorPrecision",
                     "named_by": "entPhysicalName", "warning": "> 70"}]))
    assert (result.ok, result.warning) == (True, True)
    assert result.output == ("WARNING entPhySensorValue[Fan 1] = 0 < 1; "
                             f"WARNING entPhySensorValue[PSU 2 input] = 0 < 90; {UP}")


async def test_printer_readings_that_are_not_quantities_are_shown_by_name(
        snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "printer-ok"), probe(use=["printer-supplies"]))
    values = dict(result.values)
    assert values["prtMarkerSuppliesLevel[Magenta Toner]"] == "someRemaining (-3)"
    assert values["prtMarkerSuppliesLevel[Waste Toner Box]"] == "unknown (-2)"
    assert values["prtMarkerSuppliesLevel[Cyan Toner] % of prtMarkerSuppliesMaxCapacity"] == "75"


async def test_juniper_judges_its_routing_engines_only(snmpsim: Agent) -> None:
    """The FPC runs at 99 % CPU in every recording; it is not a routing engine."""
    result = await poll(v2c(snmpsim, "juniper-ok"), probe(use=["juniper-cpu-memory"]))
    assert (result.ok, result.warning) == (True, False)
    assert sorted(dict(result.values)) == [
        "jnxOperatingBuffer[Routing Engine 0]", "jnxOperatingBuffer[Routing Engine 1]",
        "jnxOperatingCPU[Routing Engine 0]", "jnxOperatingCPU[Routing Engine 1]", "sysUpTime"]


async def test_cisco_cpus_are_named_by_the_entity_they_point_at(snmpsim: Agent) -> None:
    """CPU 1 points at entity 1000, "Switch 1"; CPU 2 at none (0), so its index names it."""
    result = await poll(v2c(snmpsim, "cisco-ok"), probe(use=["cisco-cpu-memory"]))
    assert dict(result.values) == {
        "sysUpTime": "1d 0:00:00", "cpmCPUTotal5minRev[Switch 1]": "12",
        "cpmCPUTotal5minRev.2": "4",
        "cpmCPUMemoryUsed[Switch 1] % of cpmCPUMemoryUsed + cpmCPUMemoryFree": "25",
        "cpmCPUMemoryUsed.2 % of cpmCPUMemoryUsed + cpmCPUMemoryFree": "25"}


async def test_storage_types_are_compared_by_name_or_oid(snmpsim: Agent) -> None:
    """Physical memory is 96 % "used" on the net-snmp host: by name and by OID alike."""
    for ram in ("hrStorageRam", "1.3.6.1.2.1.25.2.1.2"):
        result = await poll(v2c(snmpsim, "host-ok"), probe(thresholds=[
            {"oid": "hrStorageUsed", "percent_of": "hrStorageSize", "named_by": "hrStorageDescr",
             "where": f"hrStorageType == {ram}", "warning": "> 90"}]))
        assert result.output == ("WARNING hrStorageUsed[Physical memory] % of hrStorageSize = "
                                 f"96 > 90; {UP}")


async def test_a_where_that_keeps_no_row_says_so(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "juniper-ok"), probe(thresholds=[
        {"oid": "jnxOperatingCPU", "where": 'jnxOperatingDescr ~ "Routing Engine 7"',
         "critical": "> 5"}]))
    assert (result.ok, result.warning) == (True, True)
    assert result.output == ('WARNING jnxOperatingCPU: no row where jnxOperatingDescr ~ '
                             f'"Routing Engine 7"; its thresholds judged nothing; {UP}')


async def test_the_apc_runtime_shows_in_minutes(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "ups-online"), probe(use=["apc-powernet"]))
    assert dict(result.values)["upsAdvBatteryRunTimeRemaining"] == "45 min"


@pytest.mark.parametrize(("check", "message"), [
    ({"oid": "upsAdvBatteryRunTimeRemaining", "where": "entPhySensorType == celsius",
      "critical": "< 5"},
     "where needs a column; upsAdvBatteryRunTimeRemaining is one value"),
    ({"oid": "entPhySensorValue", "where": "entPhySensorType == celcius", "critical": "> 5"},
     "'celcius' is not a value of entPhySensorType; its values are other (1)"),
    ({"oid": "entPhySensorValue", "where": "entPhySensorType", "critical": "> 5"},
     "expected 'COLUMN CONDITION' such as \"entPhySensorType == celsius\""),
    ({"oid": "entPhySensorValue", "where": "sysName == x", "critical": "> 5"},
     "sysName is a single value, not a column or table"),
    ({"oid": "entPhySensorValue", "named_by": "sysName", "critical": "> 5"},
     "sysName is a single value, not a column or table"),
    ({"oid": "hrStorageUsed", "where": "hrStorageType == hrStorageRAM", "critical": "> 5"},
     "'hrStorageRAM' is not a value of hrStorageType; its values are hrStorageOther, "
     "hrStorageRam, hrStorageVirtualMemory, hrStorageFixedDisk"),
    ({"oid": "cpmCPUTotal5minRev", "named_via": "cpmCPUTotalPhysicalIndex",
      "critical": "> 5"},
     "named_via cpmCPUTotalPhysicalIndex points at the row of named_by; give named_by too"),
    ({"oid": "upsAdvBatteryRunTimeRemaining", "ticks_as": "hours", "critical": "< 5"},
     "Input should be 'seconds' or 'minutes'"),
])
def test_row_keys_are_checked_when_the_config_loads(check: dict[str, object],
                                                    message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        probe(thresholds=[check])
    assert message in str(caught.value)


def test_counters_take_no_derived_keys() -> None:
    with pytest.raises(ValidationError) as caught:
        probe(counters=[{"oid": "ifHCInOctets", "named_by": "ifName", "warning": "> 5"}])
    assert "counters take no named_by; put it under thresholds" in str(caught.value)
