"""`python -m bench [NAME…] [--quick] [--duration-s S] [--json FILE]`: run benchmarks, print a
table and JSON."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

from bench import (
    availability,
    desk,
    failover,
    intake,
    metrics,
    outage,
    ping,
    portal,
    scale,
    snmp,
    traps,
)
from bench.common import Benchmark, PeerMissingError, Row, format_table
from bench.scale_work import QUICK, ScaleWork

BENCHMARKS: dict[str, Benchmark] = {"ping": ping.run, "snmp": snmp.run, "scale": scale.run,
                                     "availability": availability.run, "metrics": metrics.run,
                                     "desk": desk.run, "intake": intake.run,
                                     "portal": portal.run, "traps": traps.run,
                                     "failover": failover.run, "outage": outage.run}
TIMED = {"scale"}  # the benchmarks that run for a time (--duration-s) rather than a workload
SIZED = ("ping_devices", "snmp_devices", "instances")  # scale's size options
AT_LOAD = {"scale", "failover", "outage"}  # the benchmarks --ping/--snmp-devices size


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run bridge's benchmarks side by side with peers.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    parser.add_argument("--quick", action="store_true", help="a smaller workload")
    parser.add_argument("--duration-s", type=float, metavar="S",
                        help=f"how long each side runs ({', '.join(sorted(TIMED))} only)")
    parser.add_argument("--ping-devices", type=int, metavar="N",
                        help="scale: devices pinged (default 10000)")
    parser.add_argument("--snmp-devices", type=int, metavar="N",
                        help="scale: of those, SNMP-polled too (default 2000)")
    parser.add_argument("--instances", type=int, metavar="N",
                        help="scale: bridge instances sharing the devices (default 1; more "
                             "run on a scratch PostgreSQL database)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows here")
    args = parser.parse_args(argv)
    sized = {name: getattr(args, name) for name in SIZED if getattr(args, name) is not None}
    if "instances" in sized and not {"scale", "outage"} & set(args.names):
        parser.error("--instances applies to scale and outage; name one")
    if sized and not AT_LOAD & set(args.names):
        parser.error("--ping-devices and --snmp-devices apply to scale, failover and outage; "
                     "name one")
    if any(n < 0 for n in sized.values()) or sized.get("instances", 1) < 1:
        parser.error("--ping-devices and --snmp-devices take N >= 0, --instances N >= 1")
    if "snmp_devices" in sized or "ping_devices" in sized:
        work = QUICK if args.quick else ScaleWork()
        ping = sized.get("ping_devices", work.ping_devices)
        if sized.get("snmp_devices", work.snmp_devices) > ping:
            parser.error(f"--snmp-devices: the SNMP devices are some of the {ping} pinged ones: "
                         "at most --ping-devices")
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.duration_s is not None and (args.duration_s <= 0 or not TIMED & set(args.names)):
        parser.error(f"--duration-s takes seconds > 0 and applies to {', '.join(sorted(TIMED))}; "
                     "name it")
    return args


def _benchmark(name: str, args: argparse.Namespace) -> Benchmark:
    if name == "scale":
        sized = {n: getattr(args, n) for n in SIZED if getattr(args, n) is not None}
        return partial(scale.run, duration_s=args.duration_s, **sized)
    if name == "outage" and args.instances is not None:
        return partial(outage.run, ping_devices=args.ping_devices,
                       snmp_devices=args.snmp_devices, instances=args.instances)
    if name in AT_LOAD:
        run = failover.run if name == "failover" else outage.run
        return partial(run, ping_devices=args.ping_devices, snmp_devices=args.snmp_devices)
    return BENCHMARKS[name]


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; exit 2 when a peer tool is missing."""
    args = parse_args(argv)
    rows: list[Row] = []
    notes: list[str] = []
    for name in args.names or list(BENCHMARKS):
        try:
            report = _benchmark(name, args)(quick=args.quick)
        except PeerMissingError as exc:
            print(f"bench {name}: {exc}", file=sys.stderr)
            return 2
        rows += report.rows
        notes += [f"{name}: {note}" for note in report.notes]
    print(format_table(rows))
    print("\n".join(notes))
    document = json.dumps([row.to_json() for row in rows], indent=2)
    if args.json is not None:
        args.json.write_text(document + "\n")
    print(document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
