"""`bridge maintenance add|end` as an operator types them: a relative end counts from the
start, the API's reasons are shown whole, ending says whether a window ended or was
dropped, numbers are never handed out twice, and a config window is named as such."""

from __future__ import annotations

import json
import re
import shlex
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import REPO, bridge
from tests.cli.test_ops import ok
from tests.kits.daemon import Bridge, free_port, write_deployment

CONFIG_WINDOW = """
[maintenance.server-patching]
devices = ["gw"]
weekly = ["sun 03:00"]
duration_min = 60
reason = "OS updates"
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    """gw, and a weekly config window over it."""
    root = tmp_path_factory.mktemp("windows")
    config = write_deployment(root, {"gw": "127.0.0.2"}, listen=f"127.0.0.1:{free_port()}")
    (root / "config" / "maintenance.toml").write_text(CONFIG_WINDOW)
    running = Bridge(config)
    try:
        yield running
    finally:
        assert running.stop() == 0


def window(daemon: Bridge, name: str) -> dict[str, Any]:
    [found] = [w for w in json.loads(ok(daemon, "maintenance", "list", "--json"))
               if w["name"] == name]
    return found


def test_the_documented_example_adds_a_window_whose_end_counts_from_its_start(
        daemon: Bridge) -> None:
    doc = (REPO / "docs" / "api.md").read_text()
    [example] = re.findall(r"bridge (maintenance add .*?)#", doc.replace("\\\n", ""))
    args = [a.replace("demo-server", "gw") for a in shlex.split(example)]
    added = ok(daemon, *args, "--json")
    start, end = (datetime.fromisoformat(window(daemon, json.loads(added)["name"])[k])
                  for k in ("start", "end"))
    assert end - start == timedelta(hours=26)
    assert start - datetime.now(UTC) > timedelta(days=1, hours=23)
    # an absolute start, a relative end: local to --tz
    added = ok(daemon, "maintenance", "add", "--device", "gw", "--tz", "Asia/Tehran",
               "--start", f"{datetime.now(UTC).year + 1}-01-09T22:00", "--end", "+90m")
    assert added.endswith(f"{datetime.now(UTC).year + 1}-01-09 22:00 +03:30 to "
                          f"{datetime.now(UTC).year + 1}-01-09 23:30 +03:30\n")


def test_a_refused_window_is_answered_with_each_problem(daemon: Bridge) -> None:
    year = datetime.now(UTC).year + 1
    done = bridge("maintenance", "add", "--device", "gw", "--start", f"{year}-01-09T22:00",
                  "--end", f"{year}-01-09T21:00", cwd=daemon.config.parent)
    assert (done.returncode, done.stderr) == (
        1, "bridge maintenance: 400: end must be after start\n")


class Terse(BaseHTTPRequestHandler):
    """An API whose `error` is a summary and whose `details` say what is wrong."""

    def do_POST(self) -> None:
        body = json.dumps({"error": "invalid maintenance window",
                           "details": ["end must be after start", "unknown device 'gx'"]})
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_args: Any) -> None:
        pass


def test_the_details_of_an_error_are_shown_too(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Terse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "token").write_text("t\n")
    try:
        done = bridge("maintenance", "add", "--device", "gx", "--end", "+1h", "--url",
                      f"http://127.0.0.1:{server.server_address[1]}", "--token-file",
                      str(tmp_path / "token"), cwd=tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert (done.returncode, done.stderr) == (
        1, "bridge maintenance: 400: invalid maintenance window\n"
           "  end must be after start\n  unknown device 'gx'\n")


def test_ending_says_ended_or_dropped_and_numbers_are_never_reused(daemon: Bridge) -> None:
    running = json.loads(ok(daemon, "maintenance", "add", "--device", "gw", "--end", "+1h",
                            "--json"))
    later = json.loads(ok(daemon, "maintenance", "add", "--device", "gw", "--start", "+2d",
                          "--end", "+1h", "--json"))
    assert ok(daemon, "maintenance", "end", later["name"]) == (
        f"maintenance window {later['name']} dropped: it had not started\n")
    again = json.loads(ok(daemon, "maintenance", "add", "--device", "gw", "--start", "+2d",
                          "--end", "+1h", "--json"))
    assert again["id"] > later["id"]  # the dropped number is not handed out again
    # a bare number works as well as api-N
    assert ok(daemon, "maintenance", "end", str(running["id"])) == (
        f"maintenance window {running['name']} ended now\n")
    assert json.loads(ok(daemon, "maintenance", "end", again["name"], "--json")) == {
        "id": again["id"], "name": again["name"], "outcome": "dropped"}


def test_a_config_window_is_said_to_end_in_the_config(daemon: Bridge) -> None:
    done = bridge("maintenance", "end", "server-patching", cwd=daemon.config.parent)
    assert done.returncode == 1
    assert done.stderr.startswith("bridge maintenance: server-patching is a config window: "
                                  "end it by removing or editing its "
                                  "[maintenance.server-patching] table in config/*.toml")
    unknown = bridge("maintenance", "end", "nightly", cwd=daemon.config.parent)
    assert (unknown.returncode, unknown.stderr) == (
        1, "bridge maintenance: no maintenance window 'nightly': give an API window's name "
           "(api-N) or number, as `bridge maintenance list` shows them\n")
