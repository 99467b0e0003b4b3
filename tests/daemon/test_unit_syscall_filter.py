"""deploy/bridge.service's system call filter, as systemd merges its lines: the availability
process may lower its own priority (setpriority), and nothing else of @resources or
@privileged is allowed."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

import pytest

from tests.conftest import REPO
from tests.daemon.test_template_unit import settings

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is not installed")


@cache
def _calls(name: str) -> frozenset[str]:
    """A system call, or every call of a group (`@name`, nested groups expanded), by
    systemd's own list."""
    if not name.startswith("@"):
        return frozenset({name})
    listed = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True,
                            text=True, timeout=60, check=True).stdout.splitlines()
    found: set[str] = set()
    for line in listed[1:]:
        entry = line.strip()
        if entry and not entry.startswith("#"):
            found |= _calls(entry)
    return frozenset(found)


def _allowed(unit: str) -> frozenset[str]:
    """systemd.exec(5): the first SystemCallFilter= line is an allow list (no `~`) that
    later lines add to, and `~` lines take from."""
    allowed: set[str] = set()
    lines = [value for _, key, value in settings(unit) if key == "SystemCallFilter"]
    assert lines
    assert not lines[0].startswith("~")
    for value in lines:
        names = value.removeprefix("~").split()
        calls = set().union(*(_calls(name) for name in names))
        allowed = allowed - calls if value.startswith("~") else allowed | calls
    return frozenset(allowed)


@pytest.mark.parametrize("unit", ["bridge.service", "bridge@.service"])
def test_the_availability_process_may_lower_its_priority_and_nothing_else_of_resources(
    unit: str,
) -> None:
    allowed = _allowed((REPO / "deploy" / unit).read_text())
    assert {"setpriority", "getpriority"} <= allowed
    resources = _calls("@resources")
    assert allowed & resources == {"setpriority"}
    assert not allowed & _calls("@privileged")
    assert {"sched_setscheduler", "sched_setattr", "setrlimit", "nice"} <= resources
