"""Parent dependencies: is a failing check its own problem, unreachable, or not yet judged?

A child is judged only once its parents are: a parent that is failing but still soft, or
whose last result is older than the child's first failure, may be down without knowing it
yet. Then the child waits, and the engine asks for the parents to be checked at once.
This closes the race Zabbix and Icinga have, where the child alerts before the parent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bridge.core.engine_config import EngineConfig
from bridge.core.state import CheckKey, CheckState, StateType, Status


class Health(StrEnum):
    """What a device's own reachability checks say."""

    UP = "up"
    DOWN = "down"
    SUSPECT = "suspect"  # failing but soft, or not checked since the child began failing


@dataclass(frozen=True)
class Verdict:
    """The judgement for one failing check."""

    kind: str  # "own", "unreachable" or "wait"
    parent: str | None = None  # the down parent (unreachable)
    root_check: CheckKey | None = None  # the parent's failing check (unreachable)
    recheck: tuple[CheckKey, ...] = ()  # parent checks to run now (wait)


OWN = Verdict("own")


def device_health(
    checks: Iterable[tuple[CheckKey, CheckState]], failing_since: datetime
) -> tuple[Health, CheckKey | None, tuple[CheckKey, ...]]:
    """Health of a parent from its reachability checks, relative to a child's failure start.

    Returns the health, the hard-down check (if DOWN) and the checks to re-run (if SUSPECT).
    """
    stale = []
    for key, state in checks:
        if state.hard_status == Status.DOWN:
            return Health.DOWN, key, ()
        soft_failing = state.status == Status.DOWN and state.state_type == StateType.SOFT
        if soft_failing or state.last is None or state.last.at < failing_since:
            stale.append(key)
    return (Health.SUSPECT if stale else Health.UP), None, tuple(stale)


def judge(
    parents: tuple[str, ...],
    redundant: bool,
    failing_since: datetime,
    health_of: Callable[[str, datetime], tuple[Health, CheckKey | None, tuple[CheckKey, ...]]],
) -> Verdict:
    """Own problem, unreachable behind a down parent, or wait for the parents' checks.

    Without redundancy one down parent makes the child unreachable; with it (redundant
    uplinks) only all parents down does.
    """
    if not parents:
        return OWN
    judged = [(p, *health_of(p, failing_since)) for p in parents]
    down = [(p, root) for p, health, root, _ in judged if health == Health.DOWN]
    suspect = [keys for _, health, _, keys in judged if health == Health.SUSPECT]
    recheck = tuple(k for keys in suspect for k in keys)
    if redundant:
        if len(down) == len(parents):
            return Verdict("unreachable", down[0][0], down[0][1])
        if len(down) + len(suspect) == len(parents):
            return Verdict("wait", recheck=recheck)
        return OWN
    if down:
        return Verdict("unreachable", down[0][0], down[0][1])
    if suspect:
        return Verdict("wait", recheck=recheck)
    return OWN


_WAIT_MARGIN = timedelta(seconds=5)


def max_wait(config: EngineConfig, checks: Iterable[CheckKey]) -> timedelta:
    """How long a child waits for its parents' checks to decide: their longest run of
    attempts, and a margin; after that the child is judged on its own."""
    longest = 0.0
    for check in checks:
        probe = config.probes[check.probe]
        attempts, _ = config.attempts_policy(check.device, check.probe)
        longest = max(longest, attempts * (probe.retry_interval_s + probe.duration_budget_s()))
    return timedelta(seconds=longest) + _WAIT_MARGIN


def devices_below(children: Mapping[str, Iterable[str]], device_id: str) -> set[str]:
    """Every device behind this one, through any number of levels."""
    below: set[str] = set()
    stack = list(children.get(device_id, ()))
    while stack:
        child = stack.pop()
        if child not in below:
            below.add(child)
            stack.extend(children.get(child, ()))
    return below


def reachability(config: EngineConfig, states: Mapping[CheckKey, CheckState],
                 device_id: str) -> Iterator[tuple[CheckKey, CheckState]]:
    """A device's reachability checks and their states: its ICMP checks, or all checks if
    it has none."""
    for probe in config.reachability(device_id):
        key = CheckKey(device_id, probe)
        yield key, states.get(key, CheckState())


def pending_below(children: Mapping[str, Iterable[str]], pending: Collection[CheckKey],
                  device_id: str) -> list[CheckKey]:
    """The checks failing without a ticket of their own on devices below `device_id`."""
    if device_id not in children or not pending:
        return []  # the common case, on every result: a leaf, or nothing waiting
    below = devices_below(children, device_id)
    return sorted((k for k in pending if k.device in below), key=str)


def parents_verdict(config: EngineConfig, states: Mapping[CheckKey, CheckState],
                    waiting: dict[CheckKey, datetime], key: CheckKey, state: CheckState,
                    now: datetime) -> Verdict:
    """A hard-down check's verdict on its parents: its own problem, unreachable behind a
    down parent, or a wait for the parents' checks (`recheck`). `waiting` keeps when each
    check began to wait: past `max_wait` it is judged on its own, and with no recheck."""
    device = config.devices[key.device]
    failing_since = state.hard_since or now

    def health(device_id: str, since: datetime
               ) -> tuple[Health, CheckKey | None, tuple[CheckKey, ...]]:
        return device_health(reachability(config, states, device_id), since)

    verdict = judge(device.parents, device.redundant_parents, failing_since, health)
    if verdict.kind != "wait":
        waiting.pop(key, None)
        return verdict
    first = waiting.setdefault(key, now)
    if now - first > max_wait(config, verdict.recheck):
        return OWN  # the parents did not answer in time: judge the child on its own
    return verdict
