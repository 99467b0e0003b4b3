"""`bridge test-rules`: the repository's own timelines pass, and mismatches are reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, copy_example_deployment


def bridge_test_rules(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge", "test-rules", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_the_shipped_rule_timelines_pass() -> None:
    files = sorted(str(p.relative_to(REPO)) for p in (REPO / "rules" / "tests").glob("*.toml"))
    assert len(files) >= 4
    done = bridge_test_rules(*files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"{len(files)} passed, 0 failed"


def test_a_mismatch_prints_a_diff_and_exits_1(tmp_path: Path) -> None:
    text = (REPO / "rules" / "tests" / "router-outage.toml").read_text()
    text = text.replace('config = "../../bridge.toml"', f'config = "{REPO / "bridge.toml"}"')
    text = text.replace('priority = "P1"', 'priority = "P3"')
    text = text.replace('attached = ["demo-switch", "demo-server"]', 'attached = ["demo-switch"]')
    (tmp_path / "wrong.toml").write_text(text)
    done = bridge_test_rules(str(tmp_path / "wrong.toml"))
    assert done.returncode == 1
    assert done.stdout.splitlines()[:3] == [
        f"{tmp_path / 'wrong.toml'}: FAILED",
        "  ~ ticket for demo-router: priority: expected P3, got P1",
        "  ~ ticket for demo-router: attached: expected [demo-switch], got "
        "[demo-server, demo-switch]",
    ]


def test_missing_and_unexpected_tickets_are_named(tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text(f'''
config = "{REPO / "bridge.toml"}"
[[results]]
devices = ["demo-server"]
pattern = "+-----"
from = "0s"
every = "2s"
[[expect.tickets]]
device = "demo-router"
''')
    done = bridge_test_rules(str(tmp_path / "t.toml"))
    assert done.returncode == 1
    assert "  - missing ticket: device=demo-router" in done.stdout
    assert "  + unexpected ticket: device=demo-server probe=ping priority=P2" in done.stdout


def test_a_bad_timeline_file_names_the_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(f'''config = "{REPO / "bridge.toml"}"

[[results]]
devices = ["demo-server"]
at = "soon"
ok = false
''')
    done = bridge_test_rules(str(tmp_path / "bad.toml"))
    assert done.returncode == 1
    assert (f"  {tmp_path / 'bad.toml'}:5: results[0].at: expected a duration such as "
            "'90s' or '5m', got 'soon'") in done.stdout


def test_an_expected_suppression_that_does_not_happen_fails(tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text(f'''
config = "{REPO / "bridge.toml"}"
start = 2026-03-04T12:00:00Z   # a Wednesday: no patching window
[[results]]
devices = ["demo-router", "demo-switch"]
from = "0s"
until = "60s"
every = "10s"
ok = true
[[results]]
devices = ["demo-server"]
pattern = "+-----"
from = "0s"
every = "2s"
[[expect.tickets]]
device = "demo-server"
[[expect.suppressed]]
device = "demo-server"
reason = "maintenance server-patching"
''')
    done = bridge_test_rules(str(tmp_path / "t.toml"))
    assert done.returncode == 1
    assert ("  - missing suppression: device=demo-server reason starting "
            "'maintenance server-patching' (got: none)") in done.stdout


def test_rules_are_replayed_without_the_daemon_secrets(tmp_path: Path) -> None:
    """A replay probes nothing: an SNMP community kept in the daemon's environment only
    does not stop an operator from testing rules in their own shell."""
    copy_example_deployment(tmp_path)
    (tmp_path / "config" / "lab.toml").write_text(
        '[devices.lab-sw]\ncustomer = "demo"\naddress = "127.0.0.1"\nprobes = ["ping"]\n'
        'snmp = { version = "2c", community = "env:BRIDGE_TEST_UNSET_COMMUNITY" }\n')
    timeline = tmp_path / "rules" / "tests" / "router-outage.toml"
    done = bridge_test_rules(str(timeline))
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1] == "1 passed, 0 failed"


def test_a_child_failing_in_the_second_its_parent_recovers_has_timers_from_the_recovery(
        tmp_path: Path) -> None:
    (tmp_path / "tie.toml").write_text(f'''
config = "{REPO / "bridge.toml"}"
start = 2026-03-04T10:00:00Z   # a Wednesday

[[results]]
devices = ["demo-router", "demo-switch"]
at = "0s"
ok = true

[[results]]  # listed first: in each second the switch's result comes before the router's
devices = ["demo-switch"]
from = "10s"
until = "120s"
every = "2s"
ok = false

[[results]]
devices = ["demo-router"]
from = "10s"
until = "60s"
every = "2s"
ok = false

[[results]]  # the router is back at 60s, the second of a failed result of the switch
devices = ["demo-router"]
from = "60s"
until = "120s"
every = "10s"
ok = true

[[expect.tickets]]
device = "demo-router"
attached = ["demo-switch"]
resolved_at = "60s"

[[expect.tickets]]             # the switch is broken itself: its own P2 ticket, with
device = "demo-switch"         # timers from the router's recovery, as for a later result
priority = "P2"
started_at = "60s"
''')
    done = bridge_test_rules(str(tmp_path / "tie.toml"))
    assert done.returncode == 0, done.stdout + done.stderr
