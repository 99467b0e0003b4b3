"""What every benchmark shares: result rows, CPU accounting and the table printer."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent


class PeerMissingError(Exception):
    """The established tool a benchmark compares against is not installed."""


@dataclass(frozen=True)
class Row:
    """One measured quantity for bridge and its peer; lower ratio is better for bridge.

    `peer` is None for what only bridge has (e.g. its scheduler's lag)."""

    name: str
    unit: str
    bridge: float
    peer: float | None
    peer_name: str

    @property
    def ratio(self) -> float | None:
        """bridge / peer, or None when the peer measured zero or nothing."""
        return self.bridge / self.peer if self.peer else None

    def to_json(self) -> dict[str, object]:
        """The row as the JSON object `python -m bench` prints and writes."""
        ratio = self.ratio
        return {
            "name": self.name,
            "unit": self.unit,
            "bridge": round(self.bridge, 6),
            "peer": None if self.peer is None else round(self.peer, 6),
            "peer_name": self.peer_name,
            "ratio": None if ratio is None else round(ratio, 4),
        }


@dataclass(frozen=True)
class Report:
    """What one benchmark returns: its rows and anything a reader must not miss."""

    rows: list[Row]
    notes: list[str] = field(default_factory=list)


class Benchmark(Protocol):
    """A benchmark: runs both sides and reports; raises PeerMissingError if it cannot."""

    def __call__(self, *, quick: bool) -> Report: ...


def self_cpu_s() -> float:
    """User + system CPU seconds this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds a running process has used so far (from /proc)."""
    fields = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """User + system CPU seconds of this process's finished, waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def format_table(rows: Sequence[Row]) -> str:
    """A fixed-width table of rows, one line each."""
    header = ("benchmark", "unit", "bridge", "peer", "ratio", "peer_name")
    lines = [(r.name, r.unit, _cell(r.bridge), _cell(r.peer), _cell(r.ratio), r.peer_name)
             for r in rows]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *lines]
    )


def run_child(module: str, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """Run `python -m module` with a JSON payload on stdin, in a fresh process measured like
    the peer tools are (RUSAGE_CHILDREN). Returns its JSON answer and its whole CPU time."""
    cpu_before_s = children_cpu_s()
    done = subprocess.run([sys.executable, "-m", module], input=json.dumps(payload),
                          capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    process_cpu_s = children_cpu_s() - cpu_before_s
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed ({done.returncode}):\n{done.stderr}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer, process_cpu_s
