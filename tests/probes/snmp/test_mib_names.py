"""Objects named as their MIBs name them (`IF-MIB::ifHCInOctets`, `hrProcessorLoad`),
resolved from the MIBs bridge ships compiled, to the OIDs their RFCs assign."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bridge.core.probe_kinds.limits import Equality
from bridge.core.probe_kinds.mib_index import mib_index
from bridge.core.probe_kinds.oids import OBJECTS, UnknownObjectError, parse_object
from bridge.core.probe_kinds.snmp_templates import TEMPLATES
from bridge.core.probe_kinds.vendor_oids import VENDOR_MODULES
from tests.kits.snmp_agents import Agent
from tests.probes.snmp.test_probe import poll, probe, v2c


def dotted(text: str) -> tuple[int, ...]:
    return tuple(int(arc) for arc in text.split("."))


@pytest.mark.parametrize(("written", "oid", "walk"), [
    ("IF-MIB::ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6", True),  # RFC 2863
    ("IF-MIB::ifDescr.1", "1.3.6.1.2.1.2.2.1.2.1", False),
    ("IF-MIB::ifTable", "1.3.6.1.2.1.2.2", True),
    ("HOST-RESOURCES-MIB::hrProcessorLoad", "1.3.6.1.2.1.25.3.3.1.2", True),  # RFC 2790
    ("hrStorageType", "1.3.6.1.2.1.25.2.3.1.2", True),
    ("SNMPv2-MIB::sysUpTime", "1.3.6.1.2.1.1.3.0", False),  # RFC 3418: a scalar's .0
    ("sysUpTime.0", "1.3.6.1.2.1.1.3.0", False),
    ("ENTITY-SENSOR-MIB::entPhySensorValue", "1.3.6.1.2.1.99.1.1.1.4", True),  # RFC 3433
    ("entPhysicalName", "1.3.6.1.2.1.47.1.1.1.1.7", True),  # RFC 6933
    ("UPS-MIB::upsEstimatedMinutesRemaining", "1.3.6.1.2.1.33.1.2.3.0", False),  # RFC 1628
    ("Printer-MIB::prtMarkerSuppliesLevel", "1.3.6.1.2.1.43.11.1.1.9", True),  # RFC 3805
    ("IP-MIB::ipForwarding", "1.3.6.1.2.1.4.1.0", False),  # RFC 4293
    ("UCD-SNMP-MIB::dskPercent", "1.3.6.1.4.1.2021.9.1.9", True),  # net-snmp
    ("UCD-SNMP-MIB::laLoad.2", "1.3.6.1.4.1.2021.10.1.3.2", False),
    ("LM-SENSORS-MIB::lmTempSensorsValue", "1.3.6.1.4.1.2021.13.16.2.1.3", True),
    ("PowerNet-MIB::upsBasicOutputStatus", "1.3.6.1.4.1.318.1.1.1.4.1.1.0", False),  # APC
    ("CISCO-PROCESS-MIB::cpmCPUTotal5minRev", "1.3.6.1.4.1.9.9.109.1.1.1.1.8", True),
    ("JUNIPER-MIB::jnxOperatingCPU", "1.3.6.1.4.1.2636.3.1.13.1.8", True),
    ("FORTINET-FORTIGATE-MIB::fgSysCpuUsage", "1.3.6.1.4.1.12356.101.4.1.3.0", False),
    ("HUAWEI-ENTITY-EXTENT-MIB::hwEntityCpuUsage", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5", True),
    ("upsAdvBatteryRunTimeRemaining", "1.3.6.1.4.1.318.1.1.1.2.2.3.0", False),
    ("SNMPv2-SMI::enterprises.9.9.109.1.1.1.1.8.1", "1.3.6.1.4.1.9.9.109.1.1.1.1.8.1", False),
    ("1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.5.0", False),
])
def test_a_name_resolves_to_the_oid_its_mib_assigns(written: str, oid: str, walk: bool) -> None:
    ref = parse_object(written)
    assert (ref.oid, ref.walk, str(ref)) == (dotted(oid), walk, written)


def test_a_bare_name_is_its_modules_object() -> None:
    for bare, qualified in [("hrProcessorLoad", "HOST-RESOURCES-MIB::hrProcessorLoad"),
                            ("memTotalRealX", "UCD-SNMP-MIB::memTotalRealX"),
                            ("ifHCOutOctets", "IF-MIB::ifHCOutOctets")]:
        assert parse_object(bare).oid == parse_object(qualified).oid


def test_the_mibs_say_which_objects_hold_text_and_their_named_values() -> None:
    assert parse_object("IF-MIB::ifAlias").holds_text
    assert not parse_object("IF-MIB::ifHCInOctets").holds_text
    assert parse_object("ENTITY-SENSOR-MIB::entPhySensorOperStatus").named_values() == {
        "ok": 1, "unavailable": 2, "nonoperational": 3}
    assert parse_object("IF-MIB::ifType").named_values()["ethernetCsmacd"] == 6  # IANAifType
    # bridge's own word wins: UCD's laLoad is a DisplayString holding a number
    assert not parse_object("UCD-SNMP-MIB::laLoad").holds_text


def test_an_older_name_is_its_rfc_3433_object_shown_by_that_name() -> None:
    old, new = parse_object("entSensorStatus.2"), parse_object("entPhySensorOperStatus.2")
    assert (old.oid, old.name, str(old)) == (new.oid, new.name, "entPhySensorOperStatus.2")
    assert old.label(3) == "nonoperational"


def test_every_templates_objects_resolve() -> None:
    """Every object a template names (vendor MIBs bridge does not ship included) is found,
    and written by its module it is the same object."""
    keys = ("oid", "percent_of", "named_by", "named_via", "scale_by", "precision_by")
    for name, thresholds in TEMPLATES.items():
        checks = probe(use=[name]).thresholds
        assert len(checks) == len(thresholds), name
        for written in (w for t in thresholds for k in keys
                        for w in ([t[k]] if isinstance(t.get(k), str) else t.get(k, []))):
            assert isinstance(written, str)
            ref = parse_object(written)
            modules = {**VENDOR_MODULES, "PowerNet-MIB": frozenset({ref.name})
                       if ref.oid[:7] == (1, 3, 6, 1, 4, 1, 318) else frozenset()}
            module = next((m for m, names in modules.items() if ref.name in names),
                          None) or mib_index().find(ref.name).module
            assert parse_object(f"{module}::{written}").oid == ref.oid, written


def test_bridges_own_names_agree_with_the_mibs() -> None:
    """Every built-in name a shipped MIB defines too has the MIB's OID."""
    index = mib_index()
    checked = 0
    for name, (oid, _kind) in OBJECTS.items():
        defined = index.defined(name)
        if defined:
            assert oid in {o.oid for o in defined}, name
            checked += 1
    assert checked > 80


@pytest.mark.parametrize(("written", "message"), [
    ("IF-MIB::ifHCInOctet", "IF-MIB has no object 'ifHCInOctet'; did you mean "
     "IF-MIB::ifHCInOctets, IF-MIB::ifInOctets or IF-MIB::ifHCOutOctets?"),
    ("RFC1213-MIB::ifHCInOctets", "RFC1213-MIB has no object 'ifHCInOctets'; ifHCInOctets "
     "is in IF-MIB"),
    ("hrProcesorLoad", "unknown OID name 'hrProcesorLoad'; did you mean hrProcessorLoad, "
     "hrProcessorTable or hrProcessorFrwID?"),
    ("upsBasicOutputStatu", "unknown OID name 'upsBasicOutputStatu'; did you mean "
     "upsBasicOutputStatus, upsBasicBatteryStatus or prtOutputStatus?"),
    ("IF-MIBB::ifDescr", "unknown MIB module 'IF-MIBB'; did you mean IF-MIB, IP-MIB or "
     "SIP-MIB?"),
    ("pimInterfaceStatus", "pimInterfaceStatus means different objects in PIM-MIB, "
     "PIM-STD-MIB; write one of PIM-MIB::pimInterfaceStatus, PIM-STD-MIB::pimInterfaceStatus"),
    ("IF-MIB::linkDown", "IF-MIB::linkDown is a notification (a trap's OID), not an object "
     "an agent answers for"),
    ("CISCO-PROCESS-MIB::cpmCPUTotal5minRevX", "CISCO-PROCESS-MIB has no object "
     "'cpmCPUTotal5minRevX' bridge knows; its objects are cpmCPUMemoryFree, cpmCPUMemoryUsed, "
     "cpmCPUTotal1min, cpmCPUTotal1minRev, cpmCPUTotal5min, cpmCPUTotal5minRev, "
     "cpmCPUTotal5sec, cpmCPUTotal5secRev, cpmCPUTotalPhysicalIndex, or write a numeric OID"),
    ("PowerNet-MIB::upsFoo", "PowerNet-MIB has no object 'upsFoo' bridge knows; its objects "
     "are upsAdvBatteryCapacity, upsAdvBatteryReplaceIndicator, "
     "upsAdvBatteryRunTimeRemaining, upsBasicBatteryStatus, upsBasicOutputStatus, or write a "
     "numeric OID"),
])
def test_an_unknown_name_is_refused_with_the_closest(written: str, message: str) -> None:
    with pytest.raises(UnknownObjectError) as info:
        parse_object(written)
    assert str(info.value) == message


def test_thresholds_compare_by_the_mibs_value_names() -> None:
    check = probe(thresholds=[{"oid": "ENTITY-SENSOR-MIB::entPhySensorOperStatus",
                               "warning": "!= ok"}]).thresholds[0]
    assert check.warning == Equality("!=", "ok", 1)
    with pytest.raises(ValidationError, match="'okay' is not a value of entPhySensorOperStatus; "
                                              "its values are ok \\(1\\), unavailable"):
        probe(thresholds=[{"oid": "entPhySensorOperStatus", "warning": "!= okay"}])
    with pytest.raises(ValidationError, match="ifAlias holds text, not a number"):
        probe(thresholds=[{"oid": "IF-MIB::ifAlias", "warning": "> 1"}])


async def test_a_probe_reads_and_judges_by_mib_names(snmpsim: Agent) -> None:
    """Named as the MIBs name them, polled from a real agent; output keeps the names."""
    result = await poll(v2c(snmpsim, "host-busy"), probe(
        get=["SNMPv2-MIB::sysName", "1.3.6.1.2.1.1.6.0"],
        walk=["HOST-RESOURCES-MIB::hrStorageDescr"],
        thresholds=[
            {"oid": "HOST-RESOURCES-MIB::hrProcessorLoad", "warning": "> 85"},
            {"oid": "hrStorageUsed", "percent_of": "HOST-RESOURCES-MIB::hrStorageSize",
             "where": "HOST-RESOURCES-MIB::hrStorageType == hrStorageFixedDisk",
             "named_by": "HOST-RESOURCES-MIB::hrStorageDescr", "critical": "> 85"},
            {"oid": "UCD-SNMP-MIB::laLoad.2", "warning": "> 4"}]))
    assert not result.ok
    assert result.output == (
        "hrStorageUsed[/var] % of HOST-RESOURCES-MIB::hrStorageSize = 90 > 85 (critical); "
        "WARNING HOST-RESOURCES-MIB::hrProcessorLoad.196609 = 90 > 85; "
        "WARNING UCD-SNMP-MIB::laLoad.2 = 6 > 4; up 1d 0:00:00; SNMPv2-MIB::sysName='host-1'; "
        "sysLocation='Rack 3, Helsinki'; HOST-RESOURCES-MIB::hrStorageDescr: 6 rows")
    values = dict(result.values)
    assert values["HOST-RESOURCES-MIB::hrStorageDescr.31"] == "/"
    assert values["HOST-RESOURCES-MIB::hrProcessorLoad.196608"] == "80"


async def test_enumerated_values_judged_by_the_mibs_names(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "ups-on-battery"), probe(thresholds=[
        {"oid": "ENTITY-SENSOR-MIB::entPhySensorOperStatus", "warning": "!= ok"},
        {"oid": "UPS-MIB::upsOutputSource", "critical": "== battery"}]))
    assert result.output == (
        "UPS-MIB::upsOutputSource = battery (5), expected not battery (critical); "
        "WARNING ENTITY-SENSOR-MIB::entPhySensorOperStatus.2 = nonoperational (3), "
        "expected ok; up 1d 0:00:00")


def test_a_threshold_by_mib_name_overrides_the_templates_own() -> None:
    """The probe's `UPS-MIB::upsEstimatedMinutesRemaining` is ups-mib's object: it replaces
    the template's threshold on it, as a bare name does."""
    thresholds = probe(use=["ups-mib"], thresholds=[
        {"oid": "UPS-MIB::upsEstimatedMinutesRemaining", "critical": "< 20"}]).thresholds
    minutes = [t for t in thresholds if t.oid.name == "upsEstimatedMinutesRemaining"]
    assert [str(t.critical) for t in minutes] == ["< 20"]
    assert len(thresholds) == 3
