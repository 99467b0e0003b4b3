"""deploy/bridge@.service: systemd accepts it, it is bridge.service but for what names an
instance, and two of its instances, run as systemd would run them, serve side by side on
one PostgreSQL store, each on the port it is named by."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.kits.daemon import free_port, http_request, wait_for, write_deployment

DEPLOY = REPO / "deploy"
TEMPLATE = DEPLOY / "bridge@.service"
INSTALLED_BRIDGE = "/opt/bridge/venv/bin/bridge"
# What the template may set differently from bridge.service: what names an instance.
PER_INSTANCE = {"Description", "Environment", "ExecStart", "SyslogIdentifier"}


def settings(unit: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of every setting, comments left out."""
    found, section = [], ""
    for line in unit.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.append((section, key, value))
    return found


def exec_start(instance: str, environment: dict[str, str] | None = None) -> list[str]:
    """The command systemd runs for bridge@INSTANCE: the template's ExecStart with its
    specifiers and its Environment= (then `environment`, as a drop-in would) expanded."""
    unit = settings(TEMPLATE.read_text())
    env = dict(value.split("=", 1) for _, key, value in unit if key == "Environment")
    env.update(environment or {})
    (command,) = [value for _, key, value in unit if key == "ExecStart"]
    words = []
    for word in command.split():
        word = re.sub(r"%(.)", lambda m: {"i": instance, "%": "%"}[m.group(1)], word)
        words.append(re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word))
    return words


def test_systemd_accepts_an_instance_of_the_template(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify wants the command to exist: the bridge of this checkout stands in for the
    # installed one
    bridge = Path(sys.executable).parent / "bridge"
    (tmp_path / "bridge@.service").write_text(
        TEMPLATE.read_text().replace(INSTALLED_BRIDGE, str(bridge)))
    (tmp_path / "bridge@9411.service").symlink_to(tmp_path / "bridge@.service")
    done = subprocess.run([analyze, "verify", str(tmp_path / "bridge@9411.service")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""


def test_the_template_is_bridge_service_but_for_what_names_an_instance() -> None:
    single, template = settings((DEPLOY / "bridge.service").read_text()), settings(
        TEMPLATE.read_text())
    assert [s for s in template if s[1] not in PER_INSTANCE] == \
        [s for s in single if s[1] not in PER_INSTANCE]
    assert ("Service", "SyslogIdentifier", "bridge@%i") in template


def test_each_instance_listens_on_the_port_it_is_named_by() -> None:
    assert exec_start("9410") == [INSTALLED_BRIDGE, "run", "-c", "/etc/bridge/bridge.toml",
                                  "--listen", "127.0.0.1:9410"]
    assert exec_start("9411")[-1] == "127.0.0.1:9411"
    # a drop-in's Environment= moves every instance to another address
    assert exec_start("9411", {"BRIDGE_LISTEN_ADDRESS": "192.0.2.7"})[-1] == "192.0.2.7:9411"


@pytest.fixture
def instances(tmp_path: Path, pg_url: str) -> Iterator[list[tuple[int, subprocess.Popen[str]]]]:
    config = write_deployment(tmp_path, {"sw-1": "127.0.0.1"})
    config.write_text(config.read_text().replace("sqlite:///var/bridge.db", pg_url))
    running = []
    try:
        for port in (free_port(), free_port()):
            command = exec_start(str(port))
            assert command[:4] == [INSTALLED_BRIDGE, "run", "-c", "/etc/bridge/bridge.toml"]
            # this checkout's bridge and deployment stand in for the installed ones
            argv = [sys.executable, "-m", "bridge", "run", "-c", str(config), *command[4:]]
            running.append((port, subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, text=True)))
        yield running
    finally:
        for _, process in running:
            process.terminate()
        for _, process in running:
            assert process.wait(timeout=30) == 0


def test_two_instances_of_the_template_serve_side_by_side_on_postgresql(
    instances: list[tuple[int, subprocess.Popen[str]]]
) -> None:
    for port, process in instances:
        def ready(port: int = port) -> bool:
            try:
                return http_request("GET", f"http://127.0.0.1:{port}/readyz", {}, None)[0] \
                    == 200
            except OSError:
                return False

        wait_for(f"the instance on port {port} to be ready", ready, timeout_s=60)
        assert process.poll() is None
