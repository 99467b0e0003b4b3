"""Standard output of the verbs that print: failures to write it end the verb like a Unix tool.

A reader that has gone (`bridge probe X | head -1`) ends the verb quietly; another write
error (a full disk) is one line on stderr. Both exit non-zero, never with a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any, TextIO, cast

# What a shell reports for a tool killed by SIGPIPE; Python ignores the signal itself.
EXIT_READER_GONE = 128 + signal.SIGPIPE


class OutputError(Exception):
    """Standard output could not be written; the OSError is the cause."""


class _GuardedStdout:
    """Standard output, telling its own write errors apart from any other OSError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise OutputError() from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputError() from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def print_results(verb: str, work: Callable[[], int]) -> int:
    """Run a verb that prints; its exit status, or why its output could not be written."""
    stdout = sys.stdout
    sys.stdout = cast(TextIO, _GuardedStdout(stdout))
    try:
        code = work()
        sys.stdout.flush()  # a failure shows here, not in the interpreter's own flush at exit
        return code
    except OutputError as exc:
        # What is still buffered goes nowhere: Python flushes stdout again at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
        os.close(devnull)
        cause = exc.__cause__
        if isinstance(cause, BrokenPipeError):
            return EXIT_READER_GONE
        reason = cause.strerror if isinstance(cause, OSError) else cause
        print(f"bridge {verb}: cannot write the output: {reason}", file=sys.stderr)
        return 1
    finally:
        sys.stdout = stdout
