"""libfaketime for a daemon under test: its wall clock offset by what a file says, stepped
while it runs; the monotonic clock stays real, as when an operator or NTP steps the clock.

The offset is reread at most once a second (FAKETIME_CACHE_DURATION), not at every reading
(FAKETIME_NO_CACHE): that opens and reads the file, under a lock, at every clock reading of
every thread, and a daemon reading its clocks thousands of times a second then answered its
first requests seconds late and fired escalations late."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

LIBFAKETIME = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))


def faketime_env(offset_file: Path) -> dict[str, str]:
    """Run a process with its wall clock offset by whatever `offset_file` says."""
    if not LIBFAKETIME:
        pytest.fail("libfaketime is missing: apt-get install faketime (in .ci/run)")
    offset_file.write_text("+0\n")
    return {"LD_PRELOAD": LIBFAKETIME[0], "FAKETIME_TIMESTAMP_FILE": str(offset_file),
            "FAKETIME_CACHE_DURATION": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def step(offset_file: Path, offset: str) -> None:
    """Step the daemon's wall clock to `offset` from the real time ("-2h", "+3d", "+0").

    Written aside and renamed into place: libfaketime rereads the file once a second,
    and a half-written file would be a step of its own."""
    aside = offset_file.with_suffix(".new")
    aside.write_text(offset + "\n")
    aside.replace(offset_file)
