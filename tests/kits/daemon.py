"""Run the real `bridge run` as a subprocess against a throw-away deployment."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.kits.pg import scratch_database

T = TypeVar("T")

PROBE = """
[probes.ping]
kind = "icmp"
interval_s = {interval_s}
timeout_s = 0.3
count = 1
retry_interval_s = 0.3
max_attempts = {max_attempts}
"""


def write_deployment(
    root: Path,
    devices: dict[str, str],
    *,
    interval_s: float = 1.0,
    max_attempts: int = 2,
    customer_token: bool = False,
    metrics_auth: bool = False,
    parents: dict[str, str] | None = None,
    batch_interval_s: float = 0.1,
    listen: str = "127.0.0.1:0",
    probes: str | None = None,
    device_probes: dict[str, list[str]] | None = None,
) -> Path:
    """A minimal deployment: one customer 'acme' (+ 'other'), loopback devices, one rule.

    `probes` replaces probes/ping.toml; `device_probes` gives devices other probes than
    ["ping"]."""
    for folder in ("config", "probes", "rules", "secrets"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    tokens = ('[[api.tokens]]\nname = "ops"\nrole = "operator"\n'
              'secret = "file:secrets/ops.token"\ncreate = true\n')
    if customer_token:
        (root / "secrets" / "acme.token").write_text("acme-secret-token\n")
        tokens += ('[[api.tokens]]\nname = "acme-portal"\nrole = "customer"\ncustomer = "acme"\n'
                   'secret = "file:secrets/acme.token"\n')
    (root / "bridge.toml").write_text(
        f'[storage]\nurl = "sqlite:///var/bridge.db"\nbatch_interval_s = {batch_interval_s}\n\n'
        f'[http]\nlisten = "{listen}"\n'
        + ("metrics_auth = true\n" if metrics_auth else "")
        + '\n[daemon]\ntick_s = 0.05\nshutdown_timeout_s = 10\n\n'
        + '[availability]\nrefresh_s = 1\n\n'
        + tokens)
    inventory = '[customers.acme]\nname = "Acme"\n\n[customers.other]\nname = "Other"\n'
    for name, address in devices.items():
        customer = "other" if name.startswith("other") else "acme"
        names = (device_probes or {}).get(name, ["ping"])
        inventory += (f'\n[devices.{name}]\ncustomer = "{customer}"\naddress = "{address}"\n'
                      f'probes = {json.dumps(names)}\n')
        if parents and name in parents:
            inventory += f'parents = ["{parents[name]}"]\n'
    (root / "config" / "inventory.toml").write_text(inventory)
    (root / "probes" / "ping.toml").write_text(
        probes or PROBE.format(interval_s=interval_s, max_attempts=max_attempts))
    (root / "rules" / "default.toml").write_text('[rules.down]\npriority = "P2"\n')
    return root / "bridge.toml"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, fn: Callable[[], T | None], timeout_s: float = 20.0) -> T:
    """Poll `fn` until it returns something truthy; fail with `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in an exposition, or None if it is absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix):])
    return None


def http_request(method: str, url: str, headers: dict[str, str],
                 data: bytes | None) -> tuple[int, bytes]:
    """One request; an HTTP error status is an answer, not an exception."""
    req = urllib.request.Request(url, method=method, headers=headers, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# The same request made by a child process inside a network namespace.
_IN_NAMESPACE = """
import json, sys
from tests.kits.daemon import http_request
method, url, headers, data = json.load(sys.stdin)
status, body = http_request(method, url, headers, data.encode() if data else None)
sys.stdout.write(f"{status}\\n{body.decode()}")
"""


class Bridge:
    """A running `bridge run` process; optionally inside a named network namespace."""

    def __init__(self, config: Path, netns: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.config = config
        self.netns = netns
        prefix: Sequence[str] = ("ip", "netns", "exec", netns) if netns else ()
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "bridge", "run", "-c", str(config)],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            listening = wait_for("the daemon to listen",
                                 lambda: self._find(r"listening on (\S+)"))
        except BaseException:  # never left running behind a test that failed to start it
            if self.proc.poll() is None:
                self.kill()
            raise
        self.url = f"http://{listening}"
        self.token = (config.parent / "secrets" / "ops.token").read_text().strip()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def _find(self, pattern: str) -> str | None:
        if self.proc.poll() is not None and not self._reader.is_alive():
            self._close()
            raise AssertionError("bridge exited early:\n" + "\n".join(self.lines))
        for line in list(self.lines):
            if m := re.search(pattern, line):
                return m.group(1)
        return None

    def log(self) -> str:
        """Everything the daemon logged so far."""
        return "\n".join(self.lines)

    def request(self, method: str, path: str, token: str | None = "ops",
                body: Any = None) -> tuple[int, Any]:
        """An HTTP request, sent from inside the daemon's namespace when it has one."""
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {self.token if token == 'ops' else token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.netns is None:
            status, raw = http_request(method, self.url + path, headers, data)
        else:
            done = subprocess.run(
                ["ip", "netns", "exec", self.netns, sys.executable, "-c", _IN_NAMESPACE],
                input=json.dumps([method, self.url + path, headers,
                                  data.decode() if data else None]),
                capture_output=True, text=True, check=True, timeout=30,
                cwd=Path(__file__).resolve().parents[2])
            status_text, _, text = done.stdout.partition("\n")
            status, raw = int(status_text), text.encode()
        if raw[:1] in (b"{", b"["):
            return status, json.loads(raw)
        return status, raw.decode()

    def get(self, path: str, token: str | None = "ops") -> Any:
        """GET that must succeed."""
        status, body = self.request("GET", path, token)
        assert status == 200, (status, body)
        return body

    def cli(self, *args: str) -> Any:
        """Run `bridge incidents … --json` the way a user would, in the daemon's namespace."""
        prefix: Sequence[str] = ("ip", "netns", "exec", self.netns) if self.netns else ()
        out = subprocess.run(
            [*prefix, sys.executable, "-m", "bridge", "incidents", "-c", str(self.config),
             "--url", self.url, "--json", *args],
            capture_output=True, text=True, check=False, timeout=30,
        )
        assert out.returncode == 0, f"bridge incidents {' '.join(args)}: {out.stderr}"
        return json.loads(out.stdout)

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the daemon."""
        self.proc.send_signal(sig)

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout_s)
        self._close()
        return code

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        self._reader.join(timeout=5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@contextlib.contextmanager
def running(config: Path, pg_admin_url: str | None = None) -> Iterator[Bridge]:
    """The daemon of `config`, on a scratch PostgreSQL database when given a server's admin
    URL (else on the deployment's SQLite file); it must stop cleanly afterwards."""
    with contextlib.ExitStack() as stack:
        if pg_admin_url is not None:
            url = stack.enter_context(scratch_database(
                pg_admin_url, f"bridge_daemon_{uuid.uuid4().hex[:12]}"))
            config.write_text(re.sub(r'(?m)^url = "sqlite:[^"]*"$', f'url = "{url}"',
                                     config.read_text(), count=1))
        daemon = Bridge(config)
        try:
            yield daemon
        finally:
            assert daemon.stop() == 0


def customer_daemon(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    """For a fixture with params ["sqlite", "postgresql"]: the daemon on that store,
    watching gw and other-srv, with an operator token and acme's, once its first
    availability windows are computed (until then /api/v1/availability is a 503 by design)."""
    config = write_deployment(tmp_path_factory.mktemp("daemon"),
                              {"gw": "127.0.0.2", "other-srv": "127.0.0.4"}, customer_token=True)
    pg = request.getfixturevalue("pg_admin_url") if request.param == "postgresql" else None
    with running(config, pg) as daemon:
        wait_for("the first availability windows", lambda: daemon.request(
            "GET", "/api/v1/availability")[0] == 200 or None, timeout_s=60.0)
        yield daemon
