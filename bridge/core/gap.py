"""Monitoring gaps: when the bridge itself is blind, record it instead of paging customers.

Evidence of blindness, judged on every tick:
- most checks fail *locally* (no socket permission, a local firewall, no route): the
  monitoring host cannot probe at all;
- or most checks of the fleet fail, spread over several customers that each lose most of
  their checks, and every canary (a target the bridge should always reach, such as its
  own uplink) fails too. One customer's site going down, however large a share of a small
  fleet it is, is that customer's outage: the bridge going blind takes every customer.
A gap ends when the evidence falls below half its threshold (hysteresis). While it is only
suspected (the same evidence at half the threshold and no canary answering, or a canary
failing), new customer tickets wait briefly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bridge.core.state import CheckKey, CheckState, Status


@dataclass(frozen=True)
class GapPolicy:
    """Thresholds from bridge.toml [monitoring]."""

    canaries: frozenset[str]  # device ids
    failing_ratio: float = 0.5
    min_customers: int = 2
    min_checks: int = 10


@dataclass(frozen=True)
class Assessment:
    """What the evidence says now."""

    gap: str | None  # why the bridge is blind, or None
    suspect: bool  # close enough that new tickets should wait
    evidence: str = ""  # why it is suspected


def _failing(state: CheckState) -> bool:
    return state.status == Status.DOWN


def _customers_failing(failing: list[CheckKey], states: Iterable[CheckKey],
                       customer_of: Mapping[str, str], share: float) -> int:
    """How many customers have at least `share` of their own checks failing."""
    down = Counter(customer_of.get(k.device, "") for k in failing)
    checks = Counter(customer_of.get(k.device, "") for k in states)
    return sum(1 for customer, n in down.items() if n / checks[customer] >= share)


def assess(
    states: Mapping[CheckKey, CheckState],
    failing_now: Collection[CheckKey],
    canary_states: Sequence[CheckState],
    blind: Iterable[CheckKey],
    customer_of: Mapping[str, str],
    policy: GapPolicy,
    active: bool,
) -> Assessment:
    """Whether the bridge is blind now; `active` lowers the bar to end it (hysteresis).
    `failing_now`: the keys of `states` whose status is down (the engine keeps them);
    `canary_states`: the states of the canaries' checks (`policy.canaries`)."""
    total = len(states)
    if total == 0:
        return Assessment(None, False)
    blind_keys = set(blind)
    threshold = policy.failing_ratio / 2 if active else policy.failing_ratio
    if len(blind_keys) / total >= threshold:
        return Assessment(f"{len(blind_keys)} of {total} checks fail on the monitoring host "
                          "itself (permissions, firewall or routing)", True)
    # Runs every second: no pass over every check (60,000 at scale) unless enough fail.
    down = Status.DOWN
    failing = list(failing_now)
    failing += [k for k in blind_keys if k in states and states[k].status != down]
    canaries_failing = all(_failing(s) for s in canary_states) if canary_states else None
    ratio = len(failing) / total
    half = policy.failing_ratio / 2
    # Customers are counted only once enough checks fail: a quiet fleet is spared the
    # pass over every check.
    if total >= policy.min_checks and ratio >= min(threshold, half):
        together = _customers_failing(failing, states, customer_of, threshold)
        if (ratio >= threshold and together >= policy.min_customers
                and canaries_failing is not False):
            canary_note = ", and every canary fails" if canaries_failing else ""
            return Assessment(f"{len(failing)} of {total} checks of {together} customers "
                              f"fail together{canary_note}", True)
        spread = _customers_failing(failing, states, customer_of, half)
        if spread >= policy.min_customers and canaries_failing is not False:
            return Assessment(None, True, f"{len(failing)} of {total} checks of {spread} "
                                          "customers fail")
    if canary_states and any(_failing(s) for s in canary_states):
        return Assessment(None, True, "a canary fails")
    return Assessment(None, False)
