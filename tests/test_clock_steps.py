"""Steps of the wall clock under a running daemon (libfaketime), and a daemon that stops
checking: probing goes on across steps both ways, and /readyz says when no check finished.

The daemon runs with libfaketime preloaded and reads its offset from a file on every call
(FAKETIME_NO_CACHE); the monotonic clock stays real (FAKETIME_DONT_FAKE_MONOTONIC), as it
does when an operator or NTP steps the system clock.
"""

from __future__ import annotations

import glob
import signal
import time
from pathlib import Path

import pytest

from tests.daemon import Bridge, metric, wait_for, write_deployment

LIBFAKETIME = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))


def faketime_env(offset_file: Path) -> dict[str, str]:
    """Run a process with its wall clock offset by whatever `offset_file` says."""
    if not LIBFAKETIME:
        pytest.fail("libfaketime is missing: apt-get install faketime (in .ci/run)")
    offset_file.write_text("+0\n")
    return {"LD_PRELOAD": LIBFAKETIME[0], "FAKETIME_TIMESTAMP_FILE": str(offset_file),
            "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def step(offset_file: Path, offset: str) -> None:
    """Step the daemon's wall clock to `offset` from the real time ("-2h", "+3d", "+0")."""
    offset_file.write_text(offset + "\n")


def checks_done(bridge: Bridge) -> float:
    """How many checks have finished so far."""
    text = str(bridge.get("/metrics", token=None))
    return metric(text, "bridge_probe_duration_seconds_count", kind="icmp") or 0.0


def keeps_checking(bridge: Bridge, what: str) -> None:
    """Several more checks finish, and the daemon stays ready."""
    done = checks_done(bridge)
    wait_for(f"checks to keep finishing {what}", lambda: checks_done(bridge) >= done + 5)
    assert bridge.request("GET", "/readyz", token=None)[0] == 200


def test_checks_keep_finishing_when_the_wall_clock_steps_back_or_forth(tmp_path: Path) -> None:
    offset = tmp_path / "faketime"
    bridge = Bridge(write_deployment(tmp_path, {"gw": "127.0.0.2"}), env=faketime_env(offset))
    try:
        keeps_checking(bridge, "at the start")
        step(offset, "-2h")
        keeps_checking(bridge, "after a step of -2 h")
        step(offset, "+3d")
        keeps_checking(bridge, "after a step of +3 d")
        step(offset, "+0")
        keeps_checking(bridge, "after +3 d and back to +0")
    finally:
        assert bridge.stop() == 0


SLOW_PING = """
[probes.ping]
kind = "icmp"
interval_s = 3
timeout_s = 0.5
count = 3
packet_interval_s = 1
"""


def test_readyz_and_metrics_say_when_no_check_finished(tmp_path: Path) -> None:
    """A daemon that was not scheduled for longer than the stall threshold (stopped, as a
    frozen VM or cgroup would be) says so when it runs again, until checks finish again.

    A check takes 2 s (three pings a second apart), so for 2 s after the daemon resumes no
    new check can have finished; one cut short by its deadline checked nothing."""
    bridge = Bridge(write_deployment(tmp_path, {"gw": "127.0.0.2"}, probes=SLOW_PING))
    threshold_s = 2 * 3 + (2 * 1 + 0.5 + 1)  # two intervals and the probe's deadline
    try:
        wait_for("a check", lambda: checks_done(bridge) >= 1)
        assert bridge.request("GET", "/readyz", token=None)[0] == 200

        bridge.signal(signal.SIGSTOP)
        time.sleep(threshold_s + 1)
        bridge.signal(signal.SIGCONT)
        status, body = bridge.request("GET", "/readyz", token=None)
        assert status == 503
        [problem] = [p for p in body["problems"] if p.startswith("no check finished in")]
        assert problem.endswith(f"(expected within {threshold_s:g} s)")
        text = str(bridge.get("/metrics", token=None))
        assert metric(text, "bridge_checks_stalled") == 1
        assert metric(text, "bridge_checks_stall_threshold_seconds") == threshold_s
        age_s = metric(text, "bridge_checks_last_finished_age_seconds")
        assert age_s is not None
        assert age_s > threshold_s

        wait_for("ready again", lambda: bridge.request("GET", "/readyz", token=None)[0] == 200)
        text = str(bridge.get("/metrics", token=None))
        assert metric(text, "bridge_checks_stalled") == 0
        assert "monitoring has stalled: no check finished in" in bridge.log()
    finally:
        assert bridge.stop() == 0
