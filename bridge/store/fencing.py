"""Fencing: a batch writes a shard's decisions only while this instance holds its lease.

The lease keeper (daemon/shards.py) stops probing a shard before its lease can expire,
but a batch already on its way (a slow disk, a process frozen by SIGSTOP and thawed
later) could still reach the database after another instance took the shard. So the
batch's own transaction checks (owner, epoch) of every shard it touches, and writes
nothing for a shard held by someone else or at another epoch: no state, no history, no
ticket. What belongs to no device (a monitoring gap of the instance itself) passes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from bridge.core.decisions import (
    AttachToIncident,
    Decision,
    DetachFromIncident,
    OpenIncident,
    RecordChange,
    ResolveIncident,
    SaveState,
    SetFlapping,
    Suppressed,
)
from bridge.core.shards import shard_of
from bridge.store.leases import stale_shards

log = logging.getLogger(__name__)

_CHECK_PROBLEM = "check:"  # core.decisions.problem_key: "check:DEVICE/PROBE"


@dataclass(frozen=True)
class Fence:
    """The leases an instance believes it holds: what its batches may write."""

    owner: str
    shards: int
    held: Mapping[int, int] = field(default_factory=dict)  # shard -> epoch

    def shard(self, decision: Decision) -> int | None:
        """The shard a decision belongs to; None for the instance's own (a gap)."""
        device = device_of(decision)
        return None if device is None else shard_of(device, self.shards)

    def epoch(self, decision: Decision) -> int | None:
        """The epoch this fence holds the decision's shard at (None: not held)."""
        shard = self.shard(decision)
        return None if shard is None else self.held.get(shard)


def device_of(decision: Decision) -> str | None:
    """The device a decision is about, if it is about one."""
    if isinstance(decision, RecordChange | SaveState | AttachToIncident | DetachFromIncident
                  | Suppressed):
        return decision.key.device
    if isinstance(decision, OpenIncident):
        return decision.key.device if decision.key is not None else None
    if (isinstance(decision, ResolveIncident | SetFlapping)
            and decision.problem_key.startswith(_CHECK_PROBLEM)):
        return decision.problem_key[len(_CHECK_PROBLEM):].split("/", 1)[0]
    return None


def fenced(session: Session, decisions: Sequence[Decision], fence: Fence) -> list[Decision]:
    """The decisions of shards still held at the fence's epochs (checked, and kept so,
    within `session`'s transaction); the others are dropped and logged."""
    shards = {s for d in decisions if (s := fence.shard(d)) is not None}
    stale = stale_shards(session, fence.owner, fence.held, shards)
    if not stale:
        return list(decisions)
    kept, dropped = [], 0
    for decision in decisions:
        if fence.shard(decision) in stale:
            dropped += 1
        else:
            kept.append(decision)
    log.warning("shards %s are no longer ours at the epoch we held: %d decisions not "
                "written (their new owner judges those devices)",
                ", ".join(str(s) for s in sorted(stale)), dropped)
    return kept
