"""Write the .snmprec files the SNMP tests serve with snmpsim: `python generate.py`.

snmprec lines are `OID|TYPE|VALUE`, sorted by OID; types: 2 INTEGER, 4 OCTET STRING,
6 OBJECT IDENTIFIER, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64.
The files are committed; this script documents how they were made.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SYSTEM = "1.3.6.1.2.1.1"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
LA_ENTRY = "1.3.6.1.4.1.2021.10.1"
HR_STORAGE_TYPES = "1.3.6.1.2.1.25.2.1"  # hrStorageOther .1, Ram .2, VirtualMemory .3, FixedDisk .4
HR_STORAGE_OTHER, HR_STORAGE_RAM = f"{HR_STORAGE_TYPES}.1", f"{HR_STORAGE_TYPES}.2"
HR_STORAGE_VIRTUAL, HR_STORAGE_DISK = f"{HR_STORAGE_TYPES}.3", f"{HR_STORAGE_TYPES}.4"

Record = tuple[str, int, object]


def system(name: str, descr: str, uptime_ticks: int) -> list[Record]:
    return [(f"{SYSTEM}.1.0", 4, descr), (f"{SYSTEM}.2.0", 6, "1.3.6.1.4.1.8072.3.2.10"),
            (f"{SYSTEM}.3.0", 67, uptime_ticks), (f"{SYSTEM}.4.0", 4, "noc@example.invalid"),
            (f"{SYSTEM}.5.0", 4, name), (f"{SYSTEM}.6.0", 4, "Rack 3, Helsinki")]


def interfaces(count: int, names: str, admin_down: set[int], oper_down: set[int],
               in_octets: dict[int, int] | None = None,
               hc_in_octets: dict[int, int] | None = None) -> list[Record]:
    records: list[Record] = [("1.3.6.1.2.1.2.1.0", 2, count)]
    for i in range(1, count + 1):
        admin = 2 if i in admin_down else 1
        oper = 2 if i in oper_down or i in admin_down else 1
        records += [
            (f"{IF_ENTRY}.1.{i}", 2, i),
            (f"{IF_ENTRY}.2.{i}", 4, names.format(i=i)),
            (f"{IF_ENTRY}.3.{i}", 2, 6),
            (f"{IF_ENTRY}.5.{i}", 66, 1_000_000_000),
            (f"{IF_ENTRY}.7.{i}", 2, admin),
            (f"{IF_ENTRY}.8.{i}", 2, oper),
            (f"{IF_ENTRY}.10.{i}", 65, (in_octets or {}).get(i, 1000 * i)),
            (f"{IF_ENTRY}.14.{i}", 65, 0),
            (f"{IF_ENTRY}.16.{i}", 65, 2000 * i),
            (f"{IFX_ENTRY}.1.{i}", 4, names.format(i=i).replace("GigabitEthernet", "Gi")),
            (f"{IFX_ENTRY}.6.{i}", 70, (hc_in_octets or {}).get(i, 10**12 + i)),
            (f"{IFX_ENTRY}.10.{i}", 70, 2 * 10**12 + i),
        ]
    return records


def port(index: int, *, descr: str = "", name: str | None = None, alias: str = "",
         if_type: int = 6, admin: int = 1, oper: int = 1, speed_mbps: int | None = 1000,
         hc: dict[str, int] | None = None, counters32: dict[str, int] | None = None
         ) -> list[Record]:
    """One port as real agents shape it: `name=None` means no ifXTable row at all;
    `speed_mbps=None` leaves ifHighSpeed out; `hc` and `counters32` set ifXTable's 64-bit
    and ifTable's 32-bit counters by column number."""
    records: list[Record] = [
        (f"{IF_ENTRY}.1.{index}", 2, index), (f"{IF_ENTRY}.2.{index}", 4, descr),
        (f"{IF_ENTRY}.3.{index}", 2, if_type),
        (f"{IF_ENTRY}.5.{index}", 66, min((speed_mbps or 0) * 10**6, 2**32 - 1)),
        (f"{IF_ENTRY}.7.{index}", 2, admin), (f"{IF_ENTRY}.8.{index}", 2, oper)]
    records += [(f"{IF_ENTRY}.{column}.{index}", 65, value)
                for column, value in (counters32 or {}).items()]
    if name is not None:
        records += [(f"{IFX_ENTRY}.1.{index}", 4, name), (f"{IFX_ENTRY}.18.{index}", 4, alias)]
        if speed_mbps is not None:
            records.append((f"{IFX_ENTRY}.15.{index}", 66, speed_mbps))
        records += [(f"{IFX_ENTRY}.{column}.{index}", 70, value)
                    for column, value in (hc or {}).items()]
    return records


def fortigate() -> list[Record]:
    """A firewall that names its ports in ifName only (ifDescr empty), ifIndex with gaps:
    ports 80 and 105 are down while admin up; two VLAN interfaces share a name."""
    indexes = [*range(1, 41), *range(60, 90), 105, 106, 107, 108]
    records = [("1.3.6.1.2.1.2.1.0", 2, len(indexes))]
    for n, index in enumerate(indexes, start=1):
        name = {106: "vlan10", 107: "vlan10"}.get(index, f"port{n}")
        records += port(index, name=name, if_type=135 if index in (106, 107) else 6,
                        oper=2 if index in (80, 105) else 1)
    return records


def access_switch(failed: frozenset[int] = frozenset()) -> list[Record]:
    """152 interfaces, most unused: 4 uplinks, 48 x 3 access ports of which 38 are in use,
    83 unused but admin up (never shut), 23 shut down; a loopback and a VLAN. The ifIndexes
    in `failed` are down."""
    records: list[Record] = [("1.3.6.1.2.1.2.1.0", 2, 152)]
    for i in range(1, 5):
        records += port(i, descr=f"TenGigabitEthernet1/1/{i}", name=f"Te1/1/{i}",
                        alias="uplink to core" if i == 1 else "", speed_mbps=10_000,
                        oper=2 if i in failed else 1)
    for i in range(5, 149):
        n = i - 4
        in_use, shut = n <= 38, n > 38 + 83
        records += port(i, descr=f"GigabitEthernet{(n - 1) // 48 + 1}/0/{(n - 1) % 48 + 1}",
                        name=f"Gi{(n - 1) // 48 + 1}/0/{(n - 1) % 48 + 1}",
                        alias="printer" if n == 7 else "",
                        admin=2 if shut else 1, oper=1 if in_use and i not in failed else 2)
    records += port(149, descr="Null0", name="Nu0", if_type=1, oper=1, speed_mbps=None)
    records += port(150, descr="Loopback0", name="Lo0", if_type=24)
    records += port(151, descr="Vlan1", name="Vl1", if_type=53, oper=2)
    records += port(152, descr="Vlan20", name="Vl20", if_type=53)
    return records


def old_router(t: int) -> list[Record]:
    """No ifXTable: names in ifDescr, 32-bit counters, ifSpeed; polled at t = 0 and 1
    (60 s apart): eth0 moves 75,000,000 octets in (10 % of 100 Mbit/s), wrapping its
    Counter32, and has 1000 input errors."""
    records: list[Record] = [("1.3.6.1.2.1.2.1.0", 2, 2)]
    records += port(1, descr="eth0", name=None, speed_mbps=100, counters32={
        10: (4_250_000_000 + t * 75_000_000) % 2**32, 11: 1000 + t * 99_000,
        12: 10, 13: 0, 14: t * 1000, 16: 5000, 17: 1000 + t * 60_000, 18: 0, 19: 0, 20: 0})
    records += port(2, descr="eth1", name=None, speed_mbps=100, admin=2, oper=2)
    return records


def hc_switch(t: int) -> list[Record]:
    """64-bit counters near their wrap, 10 Gbit/s uplink; polled at t = 0 and 1 (60 s):
    Te1 in grows 67,500,000,000 octets (90 % of 10 Gbit/s) and passes 2^64 on the way."""
    start = 2**64 - 10**9
    hc_in = (start + t * 67_500_000_000) % 2**64
    records: list[Record] = [("1.3.6.1.2.1.2.1.0", 2, 2)]
    records += port(1, descr="Te1", name="Te1", speed_mbps=10_000, hc={
        6: hc_in, 7: 10**6 + t * 6_000_000, 8: 0, 9: 0,
        10: 2**63 + t * 750_000_000, 11: 10**6 + t * 600_000, 12: 0, 13: 0},
        counters32={13: t * 600, 14: 0, 19: 0, 20: 0})
    records += port(2, descr="Te2", name="Te2", speed_mbps=10_000, hc={
        6: 5, 7: 5, 8: 0, 9: 0, 10: 5, 11: 5, 12: 0, 13: 0},
        counters32={13: 0, 14: 0, 19: 0, 20: 0})
    return records


def after_interfaces() -> list[Record]:
    """Objects that follow ifTable in the MIB: a walk that leaks past the table reads them."""
    return [("1.3.6.1.2.1.4.1.0", 2, 2), ("1.3.6.1.2.1.4.3.0", 65, 123456),
            ("1.3.6.1.2.1.6.9.0", 66, 12)]


def busy_switch() -> str:
    """Traffic that grows while snmpsim runs (its `numeric` variation: value = rate x seconds
    since it started): Gi1/0/1 carries 100 Mbit/s in (10 % of 1G) and 500 Mbit/s out, with
    errors and discards; Gi1/0/2 is idle; Gi1/0/3 is down while admin up."""
    growing = {1: {6: 12_500_000, 7: 10_000, 10: 62_500_000, 11: 20_000}}  # ifXTable
    growing32 = {1: {14: 10, 19: 20}}  # ifTable: ifInErrors, ifOutDiscards
    records: list[Record] = [("1.3.6.1.2.1.2.1.0", 2, 3)]
    for index in (1, 2, 3):
        records += port(index, descr=f"GigabitEthernet1/0/{index}", name=f"Gi1/0/{index}",
                        oper=2 if index == 3 else 1,
                        hc=dict.fromkeys((6, 7, 8, 9, 10, 11, 12, 13), 0),
                        counters32=dict.fromkeys((13, 14, 19, 20), 0))
    return growing_recording([*system("bsw-1", "bridge test busy switch", 8_640_000),
                              *records, *after_interfaces()], growing, growing32)


def growing_recording(records: list[Record], growing: dict[int, dict[int, int]],
                      growing32: dict[int, dict[int, int]]) -> str:
    """snmprec text in which the counters `growing` (ifXTable) and `growing32` (ifTable)
    name, {ifIndex: {column: rate per second}}, grow while snmpsim runs."""
    lines = []
    for oid, tag, value in sorted(records, key=lambda r: tuple(int(p) for p in r[0].split("."))):
        *column, index = oid.split(".")
        table = growing if oid.startswith(f"{IFX_ENTRY}.") else \
            growing32 if oid.startswith(f"{IF_ENTRY}.") else {}
        rate = table.get(int(index), {}).get(int(column[-1]))
        lines.append(f"{oid}|{tag}:numeric|rate={rate}" if rate else f"{oid}|{tag}|{value}")
    return "\n".join(lines) + "\n"


def access48(down: frozenset[int] = frozenset()) -> str:
    """A 48-port access switch as one stands in a wiring closet, most ports unused: ports
    1-9 in use, 10-46 unused (admin up, never connected, as switches ship), 47-48 shut down;
    uplink Te1/1/1 in use, Te1/1/2 down, Te1/1/3-4 without a transceiver (notPresent); a
    VLAN interface and Null0. Gi1/0/1 carries 200 Mbit/s in (20 %) and 50 out, the uplink
    2 Gbit/s in (20 % of 10G) with 5 input errors a second. The ifIndexes in `down` are
    down."""
    hc_columns = dict.fromkeys((6, 7, 8, 9, 10, 11, 12, 13), 0)
    counters32 = dict.fromkeys((13, 14, 19, 20), 0)
    records: list[Record] = [("1.3.6.1.2.1.2.1.0", 2, 54)]
    aliases = {1: "ap-lobby", 2: "printer-2f", 3: "reception-pc"}
    for i in range(1, 49):
        records += port(i, descr=f"GigabitEthernet1/0/{i}", name=f"Gi1/0/{i}",
                        alias=aliases.get(i, ""), admin=2 if i > 46 else 1,
                        oper=1 if i <= 9 and i not in down else 2,
                        hc=hc_columns, counters32=counters32)
    for i in range(49, 53):
        records += port(i, descr=f"TenGigabitEthernet1/1/{i - 48}", name=f"Te1/1/{i - 48}",
                        alias="uplink to core" if i == 49 else "", speed_mbps=10_000,
                        oper=(1 if i not in down else 2) if i == 49 else 2 if i == 50 else 6,
                        hc=hc_columns, counters32=counters32)
    records += port(53, descr="Vlan1", name="Vl1", if_type=53, hc=hc_columns,
                    counters32=counters32)
    records += port(54, descr="Null0", name="Nu0", if_type=1, speed_mbps=None)
    growing = {1: {6: 25_000_000, 7: 20_000, 10: 6_250_000, 11: 10_000},
               49: {6: 250_000_000, 7: 200_000, 10: 31_250_000, 11: 50_000}}
    return growing_recording([*system("acc-48", "bridge test access switch, 48 x 1G + 4 x 10G",
                                      8_640_000), *records, *after_interfaces()],
                             growing, {49: {14: 5}})


def ups(*, source: int, minutes: int, battery: int, apc_status: int, runtime_ticks: int,
        replace: int) -> list[Record]:
    """UPS-MIB's upsOutputSource, upsEstimatedMinutesRemaining and upsBatteryStatus; APC
    PowerNet's upsBasicOutputStatus, upsAdvBatteryRunTimeRemaining and
    upsAdvBatteryReplaceIndicator."""
    return [("1.3.6.1.2.1.33.1.2.1.0", 2, battery), ("1.3.6.1.2.1.33.1.2.3.0", 2, minutes),
            ("1.3.6.1.2.1.33.1.4.1.0", 2, source),
            ("1.3.6.1.4.1.318.1.1.1.2.2.3.0", 67, runtime_ticks),
            ("1.3.6.1.4.1.318.1.1.1.2.2.4.0", 2, replace),
            ("1.3.6.1.4.1.318.1.1.1.4.1.1.0", 2, apc_status)]


def host(*, cpu: tuple[int, int], var_used: int, load5: str, mem_avail: int) -> list[Record]:
    """hrProcessorLoad for two processors; hrStorageTable as net-snmp lists it on Linux:
    physical memory 96 % "used" (the page cache counted), virtual memory, the cache itself
    (always full), a pseudo file system of size 0, / (50 %) and /var (var_used of 1000
    blocks); laLoad; memTotalReal 8 GB and memAvailReal in kB."""
    storage = "1.3.6.1.2.1.25.2.3.1"
    rows = [(1, HR_STORAGE_RAM, "Physical memory", 1024, 8_000_000, 7_680_000),
            (3, HR_STORAGE_VIRTUAL, "Virtual memory", 1024, 10_000_000, 7_700_000),
            (7, HR_STORAGE_OTHER, "Cached memory", 1024, 5_000_000, 5_000_000),
            (30, HR_STORAGE_DISK, "/sys/fs/cgroup", 4096, 0, 0),
            (31, HR_STORAGE_DISK, "/", 4096, 1000, 500),
            (36, HR_STORAGE_DISK, "/var", 4096, 1000, var_used)]
    records: list[Record] = [*system("host-1", "Linux host-1 6.1.0", 8_640_000)]
    for index, kind, descr, unit, size, used in rows:
        records += [(f"{storage}.2.{index}", 6, kind), (f"{storage}.3.{index}", 4, descr),
                    (f"{storage}.4.{index}", 2, unit),
                    (f"{storage}.5.{index}", 2, size), (f"{storage}.6.{index}", 2, used)]
    records += [("1.3.6.1.2.1.25.3.3.1.2.196608", 2, cpu[0]),
                ("1.3.6.1.2.1.25.3.3.1.2.196609", 2, cpu[1]),
                (f"{LA_ENTRY}.2.1", 4, "Load-1"), (f"{LA_ENTRY}.2.2", 4, "Load-5"),
                (f"{LA_ENTRY}.3.1", 4, "0.50"), (f"{LA_ENTRY}.3.2", 4, load5),
                ("1.3.6.1.4.1.2021.4.5.0", 2, 8_000_000), ("1.3.6.1.4.1.2021.4.6.0", 2, mem_avail)]
    return records


ENT_PHYSICAL_NAME = "1.3.6.1.2.1.47.1.1.1.1.7"
SENSOR_ENTRY = "1.3.6.1.2.1.99.1.1.1"


def entity_sensors(*, inlet_tenths: int, cpu_milli: int, fan_rpm: int, psu2_volts: int,
                   psu2_output_status: int) -> list[Record]:
    """ENTITY-MIB's names and ENTITY-SENSOR-MIB's sensors of a switch: entPhySensorType,
    Scale, Precision, Value, OperStatus by entPhysicalIndex. The inlet reads in tenths
    (precision 1), the CPU in milli-degrees (scale milli); sensor 1006 has no name."""
    sensors = [  # index, name, type, scale, precision, value, status
        (1001, "Inlet temperature", 8, 9, 1, inlet_tenths, 1),
        (1002, "CPU temperature", 8, 8, 0, cpu_milli, 1),
        (1003, "Fan 1", 10, 9, 0, fan_rpm, 1),
        (1004, "PSU 1 input", 3, 9, 0, 230, 1),
        (1005, "PSU 2 input", 3, 9, 0, psu2_volts, 1),
        (1006, "", 12, 9, 0, 1, psu2_output_status),
        (1007, "PSU 1 output", 4, 8, 0, 12_050, 1)]
    records: list[Record] = [(f"{ENT_PHYSICAL_NAME}.1", 4, "Chassis")]
    for index, name, kind, scale, precision, value, status in sensors:
        records += [(f"{ENT_PHYSICAL_NAME}.{index}", 4, name),
                    (f"{SENSOR_ENTRY}.1.{index}", 2, kind),
                    (f"{SENSOR_ENTRY}.2.{index}", 2, scale),
                    (f"{SENSOR_ENTRY}.3.{index}", 2, precision),
                    (f"{SENSOR_ENTRY}.4.{index}", 2, value),
                    (f"{SENSOR_ENTRY}.5.{index}", 2, status)]
    return records


def printer_supplies(*, black: int, cyan: int) -> list[Record]:
    """Printer-MIB prtMarkerSuppliesTable of hrDevice 1: class, description, max capacity,
    level. Black counts in % (max 100), cyan in pages; magenta says only "some remaining"
    (-3), yellow's capacity is unknown (-2), the waste toner box's level is unknown."""
    entry = "1.3.6.1.2.1.43.11.1.1"
    supplies = [(1, 3, "Black Toner", 100, black), (2, 3, "Cyan Toner", 12_000, cyan),
                (3, 3, "Magenta Toner", 12_000, -3), (4, 3, "Yellow Toner", -2, 5_000),
                (5, 4, "Waste Toner Box", 100, -2)]
    records: list[Record] = [("1.3.6.1.2.1.25.3.2.1.3.1", 4, "bridge test colour laser")]
    for index, kind, descr, capacity, level in supplies:
        records += [(f"{entry}.4.1.{index}", 2, kind), (f"{entry}.6.1.{index}", 4, descr),
                    (f"{entry}.8.1.{index}", 2, capacity), (f"{entry}.9.1.{index}", 2, level)]
    return records


def cisco(*, cpu_pct: int, used_kb: int, free_kb: int) -> list[Record]:
    """CISCO-PROCESS-MIB cpmCPUTotalTable: CPU 1 is entity 1000 ("Switch 1"), CPU 2 (always
    idle) points at no entity (cpmCPUTotalPhysicalIndex 0), as routers' CPUs often do."""
    entry = "1.3.6.1.4.1.9.9.109.1.1.1.1"
    records: list[Record] = [(f"{ENT_PHYSICAL_NAME}.1", 4, "Chassis"),
                             (f"{ENT_PHYSICAL_NAME}.1000", 4, "Switch 1")]
    for index, physical, pct, used, free in ((1, 1000, cpu_pct, used_kb, free_kb),
                                             (2, 0, 4, 100_000, 300_000)):
        records += [(f"{entry}.2.{index}", 2, physical), (f"{entry}.5.{index}", 66, pct),
                    (f"{entry}.8.{index}", 66, pct), (f"{entry}.12.{index}", 66, used),
                    (f"{entry}.13.{index}", 66, free)]
    return records


def juniper(*, re0_cpu: int, re0_buffer: int) -> list[Record]:
    """JUNIPER-MIB jnxOperatingTable (index: contents, L1, L2, L3): the midplane, a busy
    FPC (not a routing engine, never judged) and two routing engines."""
    entry = "1.3.6.1.4.1.2636.3.1.13.1"
    rows = [("1.1.0.0", "midplane", 0, 0), ("7.1.0.0", "FPC: EX4300-48T @ 0/*/*", 99, 97),
            ("9.1.0.0", "Routing Engine 0", re0_cpu, re0_buffer),
            ("9.2.0.0", "Routing Engine 1", 3, 25)]
    records: list[Record] = []
    for index, descr, cpu, buffer in rows:
        records += [(f"{entry}.5.{index}", 4, descr), (f"{entry}.8.{index}", 66, cpu),
                    (f"{entry}.11.{index}", 66, buffer)]
    return records


def fortigate_system(*, cpu_pct: int, memory_pct: int) -> list[Record]:
    """FORTINET-FORTIGATE-MIB fgSystemInfo: version, CPU %, memory % and capacity (kB)."""
    base = "1.3.6.1.4.1.12356.101.4.1"
    return [(f"{base}.1.0", 4, "v7.2.5,build1517,230606 (GA.F)"), (f"{base}.3.0", 66, cpu_pct),
            (f"{base}.4.0", 66, memory_pct), (f"{base}.5.0", 66, 4_000_000)]


def mikrotik(*, cpu: tuple[int, int], ram_used: int) -> list[Record]:
    """RouterOS's HOST-RESOURCES-MIB: two CPUs, "main memory" (hrStorageRam, 1 kB units,
    256 MB) and a nearly full "system disk" (not RAM: the template leaves it alone)."""
    storage = "1.3.6.1.2.1.25.2.3.1"
    records: list[Record] = [("1.3.6.1.2.1.25.3.3.1.2.1", 2, cpu[0]),
                             ("1.3.6.1.2.1.25.3.3.1.2.2", 2, cpu[1])]
    for index, kind, descr, size, used in ((65536, HR_STORAGE_RAM, "main memory", 262_144,
                                            ram_used),
                                           (131072, HR_STORAGE_DISK, "system disk", 131_072,
                                            125_000)):
        records += [(f"{storage}.2.{index}", 6, kind), (f"{storage}.3.{index}", 4, descr),
                    (f"{storage}.4.{index}", 2, 1024), (f"{storage}.5.{index}", 2, size),
                    (f"{storage}.6.{index}", 2, used)]
    return records


def huawei(*, mpu_cpu: int, mpu_memory: int) -> list[Record]:
    """HUAWEI-ENTITY-EXTENT-MIB hwEntityStateTable by entPhysicalIndex, with ENTITY-MIB's
    names: the main board, a line card, and a fan that has neither CPU nor memory (0)."""
    entry = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1"
    records: list[Record] = []
    for index, name, cpu, memory, size in ((67108867, "MPU Board 1", mpu_cpu, mpu_memory,
                                            2_147_483_647),
                                           (67108873, "LPU Board 2", 10, 30, 1_073_741_824),
                                           (67109000, "FAN 1", 0, 0, 0)):
        records += [(f"{ENT_PHYSICAL_NAME}.{index}", 4, name), (f"{entry}.5.{index}", 2, cpu),
                    (f"{entry}.7.{index}", 2, memory), (f"{entry}.9.{index}", 2, size)]
    return records


def write(name: str, records: list[Record]) -> None:
    records = sorted(records, key=lambda r: tuple(int(p) for p in r[0].split(".")))
    lines = [f"{oid}|{tag}|{value}" for oid, tag, value in records]
    (HERE / f"{name}.snmprec").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    # A 48-port access switch: ports 5 and 17 down while admin up, port 48 shut down.
    write("switch48", [*system("sw-48", "bridge test switch, 48 x 1G", 8_640_000),
                       *interfaces(48, "GigabitEthernet1/0/{i}", {48}, {5, 17}),
                       *after_interfaces()])
    # A router with a load average over its warning threshold.
    write("router", [*system("rtr-1", "bridge test router", 360_000),
                     *interfaces(4, "ge-0/0/{i}", set(), set()), *after_interfaces(),
                     (f"{LA_ENTRY}.2.1", 4, "Load-1"), (f"{LA_ENTRY}.2.2", 4, "Load-5"),
                     (f"{LA_ENTRY}.3.1", 4, "2.50"), (f"{LA_ENTRY}.3.2", 4, "1.20"),
                     (f"{LA_ENTRY}.5.1", 2, 250), (f"{LA_ENTRY}.5.2", 2, 120)])
    # The same router polled twice, 60 s apart by its own clock: ifInOctets.1 (Counter32)
    # wraps, ifHCInOctets.1 (Counter64) grows by 600,000 octets.
    base = [*after_interfaces()]
    write("router-t0", [*system("rtr-1", "bridge test router", 100_000), *base,
                        *interfaces(4, "ge-0/0/{i}", set(), set(),
                                    {1: 2**32 - 296}, {1: 1000})])
    write("router-t1", [*system("rtr-1", "bridge test router", 106_000), *base,
                        *interfaces(4, "ge-0/0/{i}", set(), set(), {1: 704}, {1: 601_000})])
    # ... and after a reboot: sysUpTime and the counters start again from small values.
    write("router-rebooted", [*system("rtr-1", "bridge test router", 500), *base,
                              *interfaces(4, "ge-0/0/{i}", set(), set(), {1: 100}, {1: 50})])
    # Shapes of real devices, made up here (no vendor's recording is copied).
    write("fortigate", [*system("fw-1", "bridge test firewall", 8_640_000), *fortigate(),
                        *after_interfaces()])
    write("access152", [*system("acc-1", "bridge test access switch", 8_640_000),
                        *access_switch(), *after_interfaces()])
    # ... later: uplink Te1/1/2 (ifIndex 2) and access port Gi1/0/1 (ifIndex 5) went down
    write("access152-later", [*system("acc-1", "bridge test access switch", 8_700_000),
                              *access_switch(frozenset({2, 5})), *after_interfaces()])
    for t in (0, 1):
        write(f"old-router-t{t}", [*system("old-1", "bridge test router without ifXTable",
                                           100_000 + t * 6000), *old_router(t),
                                   *after_interfaces()])
        write(f"hc-switch-t{t}", [*system("hc-1", "bridge test 10G switch",
                                          100_000 + t * 6000), *hc_switch(t),
                                  *after_interfaces()])
    # UPSes (UPS-MIB and APC PowerNet), a host's devices and an entity's sensors: enumerated
    # values judged by name, and the ups-mib and apc-powernet templates' verdicts.
    write("ups-on-battery", [
        *system("ups-1", "bridge test UPS, RouterOS-free firmware 7.1", 8_640_000),
        ("1.3.6.1.2.1.25.3.2.1.5.1", 2, 2), ("1.3.6.1.2.1.25.3.2.1.5.2", 2, 5),
        ("1.3.6.1.2.1.99.1.1.1.5.1", 2, 1), ("1.3.6.1.2.1.99.1.1.1.5.2", 2, 3),
        *ups(source=5, minutes=12, battery=2, apc_status=3, runtime_ticks=72_000, replace=2)])
    write("ups-online", [*system("ups-2", "bridge test UPS", 8_640_000),
                         *ups(source=3, minutes=45, battery=2, apc_status=2,
                              runtime_ticks=270_000, replace=1)])
    write("ups-depleted", [*system("ups-3", "bridge test UPS", 8_640_000),
                           *ups(source=5, minutes=3, battery=4, apc_status=3,
                                runtime_ticks=18_000, replace=2)])
    # Linux hosts (HOST-RESOURCES and UCD): the host-resources and ucd-snmp templates'
    # verdicts, ok, warning and failing.
    write("host-ok", host(cpu=(20, 40), var_used=600, load5="0.80", mem_avail=4_000_000))
    write("host-busy", host(cpu=(80, 90), var_used=900, load5="6.00", mem_avail=600_000))
    write("host-full", host(cpu=(99, 97), var_used=970, load5="12.00", mem_avail=200_000))
    # The other templates' devices, each ok, warning and failing.
    states = ("ok", "warning", "failing")
    for state, sensors in zip(states, (
            {"inlet_tenths": 245, "cpu_milli": 52_000, "fan_rpm": 5400, "psu2_volts": 231,
             "psu2_output_status": 1},
            {"inlet_tenths": 695, "cpu_milli": 61_000, "fan_rpm": 0, "psu2_volts": 0,
             "psu2_output_status": 1},
            {"inlet_tenths": 300, "cpu_milli": 85_000, "fan_rpm": 5200, "psu2_volts": 229,
             "psu2_output_status": 3}), strict=True):
        write(f"sensors-{state}", [*system("sw-s", "bridge test switch with sensors",
                                           8_640_000), *entity_sensors(**sensors)])
    for state, (black, cyan) in zip(states, ((80, 9000), (12, 9000), (3, 1200)), strict=True):
        write(f"printer-{state}", [*system("prn-1", "bridge test printer", 8_640_000),
                                   *printer_supplies(black=black, cyan=cyan)])
    for state, (cpu, used, free) in zip(states, ((12, 200_000, 600_000),
                                                 (85, 700_000, 100_000),
                                                 (97, 780_000, 20_000)), strict=True):
        write(f"cisco-{state}", [*system("c-1", "Cisco IOS Software, bridge test", 8_640_000),
                                 *cisco(cpu_pct=cpu, used_kb=used, free_kb=free)])
    for state, (cpu, buffer) in zip(states, ((8, 30), (85, 90), (98, 96)), strict=True):
        write(f"juniper-{state}", [*system("j-1", "Juniper Networks, bridge test", 8_640_000),
                                   *juniper(re0_cpu=cpu, re0_buffer=buffer)])
    for state, (cpu, memory) in zip(states, ((7, 40), (88, 86), (99, 97)), strict=True):
        write(f"fortinet-{state}", [*system("f-1", "bridge test FortiGate", 8_640_000),
                                    *fortigate_system(cpu_pct=cpu, memory_pct=memory)])
    for state, (cpus, ram) in zip(states, (((5, 15), 60_000), ((85, 90), 230_000),
                                           ((97, 99), 255_000)), strict=True):
        write(f"mikrotik-{state}", [*system("mt-1", "RouterOS bridge test", 8_640_000),
                                    *mikrotik(cpu=cpus, ram_used=ram)])
    for state, (cpu, memory) in zip(states, ((12, 40), (85, 88), (97, 96)), strict=True):
        write(f"huawei-{state}", [*system("hw-1", "Huawei VRP, bridge test", 8_640_000),
                                  *huawei(mpu_cpu=cpu, mpu_memory=memory)])
    # An agent that answers sysUpTime only after 3 s.
    (HERE / "slow.snmprec").write_text(
        f"{SYSTEM}.3.0|67:delay|value=100,wait=3000\n{SYSTEM}.5.0|4|slow\n", encoding="utf-8")
    (HERE / "busy-switch.snmprec").write_text(busy_switch(), encoding="utf-8")
    # A new user's first switch: 48 ports, most unused; later, in-use access port Gi1/0/3
    # and uplink Te1/1/1 went down.
    (HERE / "access48.snmprec").write_text(access48(), encoding="utf-8")
    (HERE / "access48-later.snmprec").write_text(access48(frozenset({3, 49})),
                                                 encoding="utf-8")


if __name__ == "__main__":
    main()
