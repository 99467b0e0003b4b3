"""`python -m bench [NAME…] [--quick] [--duration-s S] [--json FILE]`: run benchmarks, print a
table and JSON."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

from bench import availability, desk, intake, metrics, ping, portal, scale, snmp, traps
from bench.common import Benchmark, PeerMissingError, Row, format_table

BENCHMARKS: dict[str, Benchmark] = {"ping": ping.run, "snmp": snmp.run, "scale": scale.run,
                                     "availability": availability.run, "metrics": metrics.run,
                                     "desk": desk.run, "intake": intake.run,
                                     "portal": portal.run, "traps": traps.run}
TIMED = {"scale"}  # the benchmarks that run for a time (--duration-s) rather than a workload


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run bridge's benchmarks side by side with peers.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    parser.add_argument("--quick", action="store_true", help="a smaller workload")
    parser.add_argument("--duration-s", type=float, metavar="S",
                        help=f"how long each side runs ({', '.join(sorted(TIMED))} only)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows here")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.duration_s is not None and (args.duration_s <= 0 or not TIMED & set(args.names)):
        parser.error(f"--duration-s takes seconds > 0 and applies to {', '.join(sorted(TIMED))}; "
                     "name it")
    return args


def _benchmark(name: str, args: argparse.Namespace) -> Benchmark:
    if name in TIMED and args.duration_s is not None:
        return partial(scale.run, duration_s=args.duration_s)
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
