"""What the daemon's log says of checks' hard changes: a line per check with its output
when a few change, grouped lines naming every check when a burst changes at once."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bridge.core.engine import RuleEngine
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey
from bridge.daemon.change_log import NAMES_PER_LINE, ONE_BY_ONE
from bridge.daemon.monitor import Monitor
from tests.kits.engine import T0, build_config, device


def monitor(tmp_path: Path, count: int) -> Monitor:
    names = "".join(device(f"d{i:03d}") for i in range(count))
    return Monitor(RuleEngine(build_config(tmp_path, names)), lambda _: None, lambda _: None)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bridge.daemon.monitor"]


async def test_a_few_changes_log_one_line_each_with_the_output(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    watched = monitor(tmp_path, 2)
    with caplog.at_level(logging.INFO):
        for name in ("d000", "d001"):
            watched.record(CheckKey(name, "ping"), ProbeResult(True, T0, 0.0, "1/1 replies"))
        await asyncio.sleep(0)  # the end of the loop's turn
    assert lines(caplog) == ["check d000/ping: unknown -> up (first_up): 1/1 replies",
                             "check d001/ping: unknown -> up (first_up): 1/1 replies"]


async def test_a_burst_logs_grouped_lines_naming_every_check(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    count = NAMES_PER_LINE + ONE_BY_ONE
    watched = monitor(tmp_path, count)
    keys = [CheckKey(f"d{i:03d}", "ping") for i in range(count)]
    with caplog.at_level(logging.INFO):
        for key in keys:
            watched.record(key, ProbeResult(True, T0, 0.0, "1/1 replies"))
        await asyncio.sleep(0)
        for attempt in (1, 2):  # max_attempts 2: hard down, and no rule holds it back
            at = T0 + timedelta(seconds=10 * attempt)
            for key in keys[:3]:
                watched.record(key, ProbeResult(False, at, 0.0, "no reply"))
            await asyncio.sleep(0)
    names = ", ".join(str(key) for key in keys)
    assert lines(caplog) == [
        f"{NAMES_PER_LINE} checks: unknown -> up (first_up): {names[:names.index(', d100')]}",
        f"{ONE_BY_ONE} checks: unknown -> up (first_up): {names[names.index('d100'):]}",
        "check d000/ping: up -> down (hard_down): no reply",
        "check d001/ping: up -> down (hard_down): no reply",
        "check d002/ping: up -> down (hard_down): no reply",
    ]
