"""The CLI verbs as an operator runs them from a shell: what each needs from the config, and
how each fails — with a message and an exit status, never a Python traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.kits.daemon import Bridge, free_port, write_deployment

# The daemon's unit holds the SNMPv3 keys in its environment; an operator's shell does not.
DAEMON_ENV = {"BRIDGE_TEST_V3_AUTH": "lab-auth-passphrase",
              "BRIDGE_TEST_V3_PRIV": "lab-priv-passphrase"}
LAB_V3 = """
[devices.lab-v3]
customer = "acme"
address = "127.0.0.1"
probes = ["ping"]

[devices.lab-v3.snmp]
version = "3"
user = "monitor"
auth_key = "env:BRIDGE_TEST_V3_AUTH"
priv_key = "env:BRIDGE_TEST_V3_PRIV"
"""
# A device being added while the daemon runs: its key file is too short for SNMPv3.
BAD_PRIV = """
[devices.bad-priv]
customer = "acme"
address = "127.0.0.1"
probes = ["ping"]

[devices.bad-priv.snmp]
version = "3"
user = "monitor"
auth_key = "env:BRIDGE_TEST_V3_AUTH"
priv_key = "file:../secrets/bad-priv.key"
"""
MONTH = datetime.now(UTC).strftime("%Y-%m")
REPO = Path(__file__).resolve().parents[2]


def operator_shell() -> dict[str, str]:
    """An operator's environment: none of the daemon's secrets, no BRIDGE_URL/BRIDGE_TOKEN.

    PYTHONPATH: run from the deployment's folder, `python -m bridge` is this checkout's."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
            "PYTHONPATH": str(REPO)}


def bridge(*args: str, cwd: Path, stdout: int | None = subprocess.PIPE,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `bridge` the way an operator does, from the deployment's folder."""
    return subprocess.run([sys.executable, "-m", "bridge", *args], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, env=env or operator_shell(), text=True,
                          timeout=60, check=False)


def add_v3_devices(root: Path) -> None:
    """lab-v3 (keys from the daemon's environment) and bad-priv (a 5-character key)."""
    (root / "secrets" / "bad-priv.key").write_text("short\n")
    with (root / "config" / "inventory.toml").open("a") as inventory:
        inventory.write(LAB_V3 + BAD_PRIV)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    """A daemon at a fixed address in bridge.toml, started with lab-v3's keys; bad-priv is
    added to the inventory after it started (not reloaded)."""
    root = tmp_path_factory.mktemp("deploy")
    config = write_deployment(root, {"gw": "127.0.0.2"}, listen=f"127.0.0.1:{free_port()}")
    with (root / "config" / "inventory.toml").open("a") as inventory:
        inventory.write(LAB_V3)
    running = Bridge(config, env=DAEMON_ENV)
    try:
        (root / "secrets" / "bad-priv.key").write_text("short\n")
        with (root / "config" / "inventory.toml").open("a") as inventory:
            inventory.write(BAD_PRIV)
        yield running
    finally:
        assert running.stop() == 0


# ---- API client verbs: only the address and the operator token -----------------------------


def test_incidents_and_report_need_only_the_api_address_and_operator_token(
    daemon: Bridge,
) -> None:
    root = daemon.config.parent
    created = bridge("incidents", "create", "--customer", "acme", "--json",
                     "printer on fire", cwd=root)
    assert created.returncode == 0, created.stderr
    ticket = json.loads(created.stdout)["id"]

    listing = bridge("incidents", "list", cwd=root)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines()[1].split()[:4] == [ticket, "open", "P3", "acme"]
    shown = bridge("incidents", "show", ticket, "--json", cwd=root)
    assert (shown.returncode, json.loads(shown.stdout)["summary"]) == (0, "printer on fire")

    report = bridge("report", "--customer", "acme", "--month", MONTH, "--format", "json",
                    cwd=root)
    assert report.returncode == 0, report.stderr
    body = json.loads(report.stdout)
    assert (body["customer"], body["month"]) == ("acme", MONTH)


def test_client_verbs_name_an_operator_token_they_cannot_read(tmp_path: Path) -> None:
    root = tmp_path
    write_deployment(root, {"gw": "127.0.0.2"})
    main = root / "bridge.toml"
    main.write_text(main.read_text().replace('"file:secrets/ops.token"\ncreate = true',
                                             '"env:BRIDGE_TEST_OPS_TOKEN"'))
    for verb in (("incidents", "list"), ("report", "--customer", "acme", "--month", MONTH)):
        done = bridge(*verb, cwd=root)
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr == (
            f"bridge {verb[0]}: no operator token: bridge.toml:18: api.tokens[0].secret: "
            "environment variable BRIDGE_TEST_OPS_TOKEN is not set (or set $BRIDGE_TOKEN, or "
            "pass --token-file)\n")


# ---- probe: only the device's own secrets ----------------------------------------------------


@pytest.fixture
def with_v3_devices(tmp_path: Path) -> Path:
    write_deployment(tmp_path, {"lo": "127.0.0.1"})
    add_v3_devices(tmp_path)
    return tmp_path


def test_probe_runs_one_device_while_others_secrets_are_unset_or_invalid(
    with_v3_devices: Path,
) -> None:
    done = bridge("probe", "lo", cwd=with_v3_devices)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("OK   lo ping: ")


def test_probe_names_the_device_own_secret_problems(with_v3_devices: Path) -> None:
    done = bridge("probe", "bad-priv", cwd=with_v3_devices)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "config/inventory.toml:31: devices.bad-priv.snmp.auth_key: "
        "environment variable BRIDGE_TEST_V3_AUTH is not set",
        "config/inventory.toml:32: devices.bad-priv.snmp.priv_key: "
        "must be at least 8 characters long (RFC 3414)",
    ]
    done = bridge("probe", "lab-v3", cwd=with_v3_devices,
                  env={**operator_shell(), "BRIDGE_TEST_V3_AUTH": "lab-auth-passphrase"})
    assert (done.returncode, done.stderr.splitlines()) == (1, [
        "config/inventory.toml:21: devices.lab-v3.snmp.priv_key: "
        "environment variable BRIDGE_TEST_V3_PRIV is not set"])


def test_check_still_resolves_every_secret(with_v3_devices: Path) -> None:
    done = bridge("check", cwd=with_v3_devices)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "config/inventory.toml:20: devices.lab-v3.snmp.auth_key: "
        "environment variable BRIDGE_TEST_V3_AUTH is not set",
        "config/inventory.toml:21: devices.lab-v3.snmp.priv_key: "
        "environment variable BRIDGE_TEST_V3_PRIV is not set",
        "config/inventory.toml:31: devices.bad-priv.snmp.auth_key: "
        "environment variable BRIDGE_TEST_V3_AUTH is not set",
        "config/inventory.toml:32: devices.bad-priv.snmp.priv_key: "
        "must be at least 8 characters long (RFC 3414)",
    ]


# ---- output: messages, not tracebacks ---------------------------------------------------------


def test_report_names_a_file_it_cannot_write(daemon: Bridge, tmp_path: Path) -> None:
    root = daemon.config.parent
    # (a folder is not an error: the report is saved in it as CUSTOMER-YYYY-MM.html)
    for target, reason in ((tmp_path / "missing" / "x.html", "No such file or directory"),
                           (tmp_path / "missing" / "y", "No such file or directory")):
        done = bridge("report", "--customer", "acme", "--month", MONTH, "--format", "html",
                      "-o", str(target), cwd=root)
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr == f"bridge report: cannot write {target}: {reason}\n"


def closed_pipe_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`bridge ARGS | head -0`: standard output is a pipe whose reader has gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return bridge(*args, cwd=cwd, stdout=write_end)
    finally:
        os.close(write_end)


SIGPIPE_EXIT = 141  # 128 + SIGPIPE, what a shell reports for `cat`, `grep` … in its place


def test_offline_verbs_stop_quietly_when_the_reader_goes_away(with_v3_devices: Path) -> None:
    for args in (("probe", "lo"), ("probe", "lo", "--json"), ("check",)):
        done = closed_pipe_run(*args, cwd=with_v3_devices)
        assert (done.returncode, done.stderr) == (SIGPIPE_EXIT, ""), args


def test_api_verbs_stop_quietly_when_the_reader_goes_away(daemon: Bridge) -> None:
    for args in (("incidents", "list"), ("incidents", "list", "--json"),
                 ("report", "--customer", "acme", "--month", MONTH, "--format", "csv")):
        done = closed_pipe_run(*args, cwd=daemon.config.parent)
        assert (done.returncode, done.stderr) == (SIGPIPE_EXIT, ""), args


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_output_that_cannot_be_written_is_one_line_on_stderr(with_v3_devices: Path) -> None:
    with open("/dev/full", "w") as full:
        for args in (("probe", "lo"), ("check",)):
            done = bridge(*args, cwd=with_v3_devices, stdout=full.fileno())
            assert (done.returncode, done.stderr) == (
                1, f"bridge {args[0]}: cannot write the output: No space left on device\n")


def test_the_apis_client_starts_without_the_store(tmp_path: Path) -> None:
    """`bridge incidents …` only talks to the API: it never loads the store (SQLAlchemy and
    the models were most of every command's start-up, over a second each time), and says
    plainly when nothing answers."""
    config = write_deployment(tmp_path, {"lo": "127.0.0.1"})
    (tmp_path / "token").write_text("not-a-real-token\n")
    port = free_port()
    code = ("import sys\n"
            "from bridge.cli.main import main\n"
            f"status = main(['incidents', 'list', '-c', {str(config)!r}, '--url', "
            f"'http://127.0.0.1:{port}', '--token-file', {str(tmp_path / 'token')!r}])\n"
            "print(status, sorted(m for m in sys.modules\n"
            "                    if m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'alembic')\n"
            "                    or m.startswith('bridge.store.')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False, cwd=tmp_path)
    assert done.stdout.strip() == "1 []", done.stdout + done.stderr
    assert "cannot reach the bridge API" in done.stderr, done.stderr


def test_bridge_run_with_its_store_unreachable_says_so_in_one_line(tmp_path: Path) -> None:
    """PostgreSQL not running (yet): exit 1, which the unit retries, and one line naming the
    store (without its password) and why, not a traceback."""
    config = write_deployment(tmp_path, {"lo": "127.0.0.1"})
    port = free_port()  # nothing listens there
    config.write_text(config.read_text().replace(
        'url = "sqlite:///var/bridge.db"',
        f'url = "postgresql+psycopg://bridge:s3cret-pw@127.0.0.1:{port}/bridge"'))
    done = subprocess.run([sys.executable, "-m", "bridge", "run", "-c", str(config)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "s3cret-pw" not in done.stderr
    [line] = [x for x in done.stderr.splitlines() if "ERROR" in x]
    assert (f"the store postgresql+psycopg://bridge:***@127.0.0.1:{port}/bridge is "
            "unavailable: connection failed") in line, line
