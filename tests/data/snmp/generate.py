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


def after_interfaces() -> list[Record]:
    """Objects that follow ifTable in the MIB: a walk that leaks past the table reads them."""
    return [("1.3.6.1.2.1.4.1.0", 2, 2), ("1.3.6.1.2.1.4.3.0", 65, 123456),
            ("1.3.6.1.2.1.6.9.0", 66, 12)]


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
    # An agent that answers sysUpTime only after 3 s.
    (HERE / "slow.snmprec").write_text(
        f"{SYSTEM}.3.0|67:delay|value=100,wait=3000\n{SYSTEM}.5.0|4|slow\n", encoding="utf-8")


if __name__ == "__main__":
    main()
