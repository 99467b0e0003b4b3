"""Other instances' tickets, as far as this instance's engine needs them.

With several instances a device behind a parent in another shard is judged here on that
parent's state as its owner stored it (daemon/fleet.py); when the parent is down, the
child attaches to the parent's ticket. That ticket is opened by the parent's owner, so this
engine learns of it from the store: the open problems and attachments of the others'
checks are taken as the store has them, each time the fleet's state is read. An owned
check's tickets are this engine's own and never touched here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bridge.core.decisions import CHECK_PROBLEM
from bridge.core.state import CheckKey


def device_of_problem(problem: str) -> str | None:
    """The device of a check's problem key (`check:device/probe`); None for others'."""
    if not problem.startswith(CHECK_PROBLEM):
        return None
    device, slash, _probe = problem[len(CHECK_PROBLEM):].rpartition("/")
    return device if slash else None


def follow_their_tickets(open_problems: dict[str, bool], armed: set[str],
                         attached: dict[CheckKey, str], stored_open: Mapping[str, bool],
                         stored_attached: Mapping[CheckKey, str],
                         theirs: Callable[[str], bool]) -> None:
    """Make what the engine knows of other instances' checks' tickets (`open_problems`,
    `armed`, `attached`) what the store says (`stored_*`); `theirs` tells of a device
    whether another instance judges it."""

    def their_problem(problem: str) -> bool:
        device = device_of_problem(problem)
        return device is not None and theirs(device)

    for problem in [p for p in open_problems if p not in stored_open and their_problem(p)]:
        del open_problems[problem]
        armed.discard(problem)
    for problem, flapping in stored_open.items():
        if their_problem(problem):
            open_problems[problem] = flapping
    for key in [k for k in attached if k not in stored_attached and theirs(k.device)]:
        del attached[key]
    for key, problem in stored_attached.items():
        if theirs(key.device):
            attached[key] = problem
