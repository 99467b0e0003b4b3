"""The rolling windows computed in the availability process (a real child process reading
the real store) are the windows computed here, exactly; a child that dies is replaced."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.availability.inputs import Inventory
from bridge.availability.rollup_job import roll_up
from bridge.availability.windows import rolling_windows
from bridge.daemon.availability_worker import (
    CHILD_NICENESS,
    WindowsProcess,
    _pickled,
    _unpickled,
)
from bridge.store import Database
from tests.availability.test_sliding import (
    EVENTS,
    START,
    STEP,
    assert_same,
    deployment,
    happen,
    seed,
    utc,
)
from tests.conftest import REPO
from tests.kits.daemon import wait_for
from tests.kits.engine import build_config, device
from tests.kits.faketime import faketime_env
from tests.kits.faketime import step as step_clock


@pytest.fixture
def windows() -> Iterator[WindowsProcess]:
    process = WindowsProcess()
    yield process
    process.close()


def test_the_availability_process_gives_the_windows_computed_here(
    db: Database, tmp_path: Path, windows: WindowsProcess
) -> None:
    config = replace(deployment(tmp_path), storage_url=db.url)
    inventory = Inventory.of(config)
    seed(db)
    pending = list(EVENTS)
    for step in range(0, 31):  # through the evening's first outages, a window and a gap
        now = START + step * STEP
        while pending and utc(pending[0][0]) <= now:
            _, kind, what = pending.pop(0)
            happen(db, kind, what, now)
        roll_up(db.writer, config, now)
        got = windows.refresh(config, now)
        assert windows.pid not in (None, os.getpid())
        assert_same(got, rolling_windows(db.reader, config, now, True, inventory))
    assert windows.starts == 1  # one child kept the windows between refreshes
    assert windows.computed_from_scratch < 10  # and moved their edges
    # background work: the daemon's loop has the CPU first when both want it
    assert windows.pid is not None
    assert os.getpriority(os.PRIO_PROCESS, windows.pid) == min(
        19, os.getpriority(os.PRIO_PROCESS, 0) + CHILD_NICENESS)


def test_a_killed_availability_process_is_replaced_and_starts_over(
    db: Database, tmp_path: Path, windows: WindowsProcess
) -> None:
    config = replace(deployment(tmp_path), storage_url=db.url)
    seed(db)
    windows.refresh(config, START)
    first = windows.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    now = START + STEP
    got = windows.refresh(config, now)
    assert windows.starts == 2
    assert windows.pid not in (None, first)
    assert_same(got, rolling_windows(db.reader, config, now, True))


_KILLED_DAEMON = """
import os, signal, sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from bridge.daemon.availability_worker import (
    CHILD_NICENESS,
    WindowsProcess,
    _pickled,
    _unpickled,
)
from tests.availability.test_sliding import deployment
if __name__ == "__main__":
    config = replace(deployment(Path(sys.argv[1])), storage_url=sys.argv[2])
    windows = WindowsProcess()
    windows.refresh(config, datetime(2026, 6, 19, 19, 0, tzinfo=UTC))
    print(windows.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no clean-up: as kill -9 of the daemon
"""


def _daemon_script(source: str, tmp_path: Path, db: Database,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `source` as a daemon of its own (argv: the deployment folder, the store's URL),
    with `env` added to this process's environment."""
    script = tmp_path / "daemon.py"
    script.write_text(source)
    return subprocess.run([sys.executable, str(script), str(tmp_path), db.url],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **(env or {}), "PYTHONPATH": str(REPO)})


def test_the_availability_process_exits_when_the_daemon_is_killed(
    db: Database, tmp_path: Path
) -> None:
    done = _daemon_script(_KILLED_DAEMON, tmp_path, db)
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.strip())
    wait_for("the availability process to exit", lambda: not _alive(child), timeout_s=30)


_ONE_CHILD = """
import os, sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from bridge.daemon.availability_worker import WindowsProcess
from tests.availability.test_sliding import deployment
if __name__ == "__main__":
    config = replace(deployment(Path(sys.argv[1])), storage_url=sys.argv[2])
    windows = WindowsProcess()
    windows.refresh(config, datetime(2026, 6, 19, 19, 0, tzinfo=UTC))
    children = sorted(int(pid) for task in os.listdir("/proc/self/task")
                      for pid in Path(f"/proc/self/task/{task}/children").read_text().split())
    print(windows.pid, *children, flush=True)
    windows.close()
"""


def test_the_availability_process_is_the_daemons_only_extra_process(
    db: Database, tmp_path: Path
) -> None:
    done = _daemon_script(_ONE_CHILD, tmp_path, db)
    assert done.returncode == 0, done.stderr
    child, *children = (int(pid) for pid in done.stdout.split())
    assert children == [child]  # no resource tracker or other helper process beside it


_STOPPED_AFTER_A_STEP = """
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from bridge.daemon.availability_worker import WindowsProcess
from tests.availability.test_sliding import deployment
if __name__ == "__main__":
    config = replace(deployment(Path(sys.argv[1])), storage_url=sys.argv[2])
    windows = WindowsProcess()
    windows.refresh(config, datetime(2026, 6, 19, 19, 0, tzinfo=UTC))
    windows.close()
    print("closed", flush=True)
"""


def test_the_availability_process_stops_cleanly_after_the_wall_clock_stepped(
    db: Database, tmp_path: Path
) -> None:
    """A daemon whose wall clock stepped forward (libfaketime, +3 d) still stops its child
    and exits 0: under libfaketime a sleep fails with EINVAL after such a step, and the
    child was waited for in subprocess's sleeping loop."""
    offset = tmp_path / "faketime"
    env = faketime_env(offset)
    step_clock(offset, "+3d")
    done = _daemon_script(_STOPPED_AFTER_A_STEP, tmp_path, db, env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["closed"]


# The daemon under a unit filtering all of @resources (deploy/bridge.service allows
# setpriority back) with SystemCallErrorNumber=EPERM, applied here by libseccomp:
# setpriority fails with EPERM.
_FILTERED = """
import ctypes, errno, sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from bridge.daemon.availability_worker import WindowsProcess
from tests.availability.test_sliding import deployment
if __name__ == "__main__":
    seccomp = ctypes.CDLL("libseccomp.so.2")
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    context = ctypes.c_void_p(seccomp.seccomp_init(ctypes.c_uint32(0x7FFF0000)))  # allow
    for name in (b"setpriority", b"nice"):
        number = seccomp.seccomp_syscall_resolve_name(name)
        if number >= 0:  # SCMP_ACT_ERRNO(EPERM)
            seccomp.seccomp_rule_add(context, ctypes.c_uint32(0x00050000 | errno.EPERM),
                                     number, 0)
    assert seccomp.seccomp_load(context) == 0
    config = replace(deployment(Path(sys.argv[1])), storage_url=sys.argv[2])
    windows = WindowsProcess()
    windows.refresh(config, datetime(2026, 6, 19, 19, 0, tzinfo=UTC))
    print(windows.starts, flush=True)
    windows.close()
"""


def test_the_availability_process_serves_where_lowering_its_priority_is_refused(
    db: Database, tmp_path: Path
) -> None:
    try:
        import ctypes
        ctypes.CDLL("libseccomp.so.2")
    except OSError:
        pytest.skip("libseccomp is not installed")
    done = _daemon_script(_FILTERED, tmp_path, db)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1"]  # one child, which served

def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_large_config_travels_in_pieces_and_arrives_whole(tmp_path: Path) -> None:
    config = build_config(tmp_path, "".join(
        device(f"d{i:03d}", address=f"127.0.{i // 250}.{1 + i % 250}") for i in range(600)))
    parts = _pickled(config)
    assert len(parts) == 1 + 3  # the rest, then 600 devices 250 at a time (no SNMP access)
    assert max(len(part) for part in parts) < len(pickle.dumps(dict(config.devices)))
    again = _unpickled(parts)
    assert again == config
    assert list(again.devices) == list(config.devices)  # in their order
    with pytest.raises(TypeError):
        again.devices["new"] = config.devices["d000"]  # type: ignore[index]  # read-only
