"""Outages from hard state history, each with its cause: the device's own failure, or a parent.

A device is down while any of its checks is hard down. Its down time while a parent is
down is the parent's (the device was unreachable, not broken); the rest is its own. The
parent's down time here is that of its reachability checks, as the rule engine judges it,
and a parent that was itself unreachable passes its root cause on. A parent's first failed
check can come up to one of its check intervals after the child's (checks are spread over
their interval), so the parent's outage counts from `parent_lead_s` before it began. Likewise
the child reads down until its own next check after the parent recovered: own down time
straight after the parent's that ends within `recheck_s` (one of the child's check
intervals) is the parent's too. An outage is a whole stretch of down time: the parent's if
all of it was, else the device's own (an own failure the parent's outage fell into is one
outage, not two).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bridge.core.spans import Spans, intersect, union
from bridge.core.state import Status

StatusChange = tuple[float, Status]  # epoch seconds, the hard status from then on


class Cause(StrEnum):
    """Whose failure an outage was."""

    OWN = "own"
    PARENT = "parent"


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of one device's down time with one cause (root: the failed ancestor)."""

    start: float
    end: float
    cause: Cause
    root: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceTimeline:
    """A device's history as spans: when it was known, down, and down with which cause."""

    known: Spans
    down: Spans
    checks: Mapping[str, tuple[Spans, Spans]]  # probe -> (known, down)
    segments: tuple[Segment, ...]
    reach_roots: tuple[Segment, ...]  # its reachability down time, by root cause, for children


def check_spans(changes: Sequence[StatusChange], end: float) -> tuple[Spans, Spans]:
    """(known, down) spans of one check up to `end`; before its first change it is unknown."""
    known: Spans = []
    down: Spans = []
    for i, (at, status) in enumerate(changes):
        if at >= end:
            break
        until = min(changes[i + 1][0], end) if i + 1 < len(changes) else end
        if until <= at:
            continue
        if status != Status.UNKNOWN:
            known.append((at, until))
        if status == Status.DOWN:
            down.append((at, until))
    return union(known), union(down)


def parent_runs(parents: Sequence[str], redundant: bool,
                timelines: Mapping[str, DeviceTimeline]) -> list[Segment]:
    """When the parents count as down, by root: any of them, or all of them if redundant."""
    known = [timelines[p] for p in parents if p in timelines]
    if not known or (redundant and len(known) < len(parents)):
        return []
    if not redundant:
        runs = sorted((s for t in known for s in t.reach_roots), key=lambda s: s.start)
        return _merge_first_root(runs)
    common = [(s.start, s.end) for s in known[0].reach_roots]
    for timeline in known[1:]:
        common = intersect(common, [(s.start, s.end) for s in timeline.reach_roots])
    first = known[0].reach_roots
    return [Segment(start, end, Cause.PARENT, _root_at(first, start)) for start, end in common]


def _merge_first_root(runs: list[Segment]) -> list[Segment]:
    """Overlapping runs joined, the earliest run's root naming the joined one; touching runs
    join only if they share a root (a parent whose own cause took over from its parent's)."""
    merged: list[Segment] = []
    for run in runs:
        if merged and (run.start < merged[-1].end
                       or (run.start == merged[-1].end and run.root == merged[-1].root)):
            last = merged[-1]
            merged[-1] = Segment(last.start, max(last.end, run.end), last.cause, last.root)
        else:
            merged.append(run)
    return merged


def _root_at(segments: Sequence[Segment], at: float) -> str | None:
    for segment in segments:
        if segment.start <= at < segment.end:
            return segment.root
    return None


def attribute(down: Spans, runs: Sequence[Segment], lead_s: float,
              recheck_s: float = 0.0) -> list[Segment]:
    """Split down time into own stretches and stretches while a parent run was down.

    Each time the parents go down counts from `lead_s` earlier; a run that continues the one
    before it (another root, the parent still down) is not moved. Own time right after a
    parent stretch that lasts at most `recheck_s` is the parent's: the device had not been
    checked again since the parent recovered.
    """
    moved = [Segment(r.start - (0.0 if i and runs[i - 1].end == r.start else lead_s),
                     r.end, r.cause, r.root) for i, r in enumerate(runs)]
    extended = _merge_first_root(moved)
    segments: list[Segment] = []
    for start, end in down:
        cursor = start
        for run in extended:
            if run.end <= cursor or run.start >= end:
                continue
            begin = max(cursor, run.start)
            if begin > cursor:
                segments.append(Segment(cursor, begin, Cause.OWN))
            cursor = min(end, run.end)
            segments.append(Segment(begin, cursor, Cause.PARENT, run.root))
        if cursor < end:
            segments.append(Segment(cursor, end, Cause.OWN))
    return _parents_remainders(segments, recheck_s)


def _parents_remainders(segments: Sequence[Segment], recheck_s: float) -> list[Segment]:
    settled: list[Segment] = []
    for segment in segments:
        last = settled[-1] if settled else None
        if (last is not None and last.cause == Cause.PARENT and segment.cause == Cause.OWN
                and segment.start == last.end and segment.end - segment.start <= recheck_s):
            settled[-1] = Segment(last.start, segment.end, Cause.PARENT, last.root)
        else:
            settled.append(segment)
    return settled


def outage_runs(segments: Sequence[Segment]) -> list[Segment]:
    """The outages in a device's segments (oldest first): each unbroken stretch of down time
    is one, the parent's (the first root) if all of it was behind a parent, else its own."""
    outages: list[Segment] = []
    for segment in segments:
        last = outages[-1] if outages else None
        if last is None or segment.start != last.end:
            outages.append(segment)
        elif last.cause == Cause.PARENT and segment.cause == Cause.PARENT:
            outages[-1] = Segment(last.start, segment.end, Cause.PARENT, last.root)
        else:
            outages[-1] = Segment(last.start, segment.end, Cause.OWN)
    return outages


def timeline(device: str, checks: Mapping[str, Sequence[StatusChange]],
             reachability: Sequence[str], runs: Sequence[Segment], lead_s: float,
             end: float, recheck_s: float = 0.0) -> DeviceTimeline:
    """One device's timeline, given its parents' runs (see `parent_runs`)."""
    per_check = {probe: check_spans(changes, end) for probe, changes in checks.items()}
    known = union(s for k, _ in per_check.values() for s in k)
    down = union(s for _, d in per_check.values() for s in d)
    segments = attribute(down, runs, lead_s, recheck_s) if runs else [
        Segment(start, stop, Cause.OWN) for start, stop in down]
    reach_down = union(s for p in reachability if p in per_check for s in per_check[p][1])
    reach_roots = []
    for segment in segments:
        for start, stop in intersect([(segment.start, segment.end)], reach_down):
            root = segment.root if segment.cause == Cause.PARENT else device
            reach_roots.append(Segment(start, stop, Cause.PARENT, root))
    return DeviceTimeline(known, down, per_check, tuple(segments), tuple(reach_roots))


def parents_first(parents: Mapping[str, Sequence[str]]) -> list[str]:
    """The devices (each with its parents) in an order where every device comes after those
    of its parents listed: the order given if it is one already (callers usually order them
    so), else sorted by name, parents pulled forward."""
    seen: set[str] = set()
    for name, own in parents.items():
        if any(p in parents and p not in seen for p in own):
            break
        seen.add(name)
    else:
        return list(parents)
    order: list[str] = []
    seen.clear()
    for name in sorted(parents):
        stack = [(name, False)]
        while stack:
            current, expanded = stack.pop()
            if expanded:
                order.append(current)
                continue
            if current in seen or current not in parents:
                continue
            seen.add(current)
            stack.append((current, True))
            stack.extend((p, False) for p in reversed(parents[current]))
    return order
