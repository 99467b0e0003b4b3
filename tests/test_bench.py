"""bench/ runs end to end (numbers are its job, not the tests'): exit 0, every side answered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize(("name", "answer_rows"), [
    ("ping", ["ping.reply_ratio"]),
    ("snmp", ["snmp.success_ratio"]),
    # the daemon on a small schedule for a few seconds, against fping -l and snmp_exporter
    ("scale", ["scale.ping_success_ratio", "scale.snmp_success_ratio"]),
])
def test_a_quick_benchmark_runs_and_every_side_answers(
    tmp_path: Path, name: str, answer_rows: list[str]
) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "bench", name, "--quick", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())
    assert {"name", "unit", "bridge", "peer", "peer_name", "ratio"} <= set(rows[0])
    for answer_row in answer_rows:
        ratios = [(r["bridge"], r["peer"]) for r in rows if r["name"] == answer_row]
        assert ratios, answer_row
        assert all(pair == (1, 1) for pair in ratios), (answer_row, ratios)
