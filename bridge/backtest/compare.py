"""Compare a replay with a timeline's expectations; describe every difference."""

from __future__ import annotations

from datetime import datetime

from bridge.backtest.replay import Replay, Ticket
from bridge.backtest.timeline import ExpectedTicket, Timeline


def _offset(timeline: Timeline, at: datetime | None) -> str:
    if at is None:
        return "-"
    return f"{(at - timeline.start).total_seconds():g}s"


def describe(timeline: Timeline, ticket: Ticket) -> str:
    """One line for a ticket, in the file's own terms."""
    parts = [f"device={ticket.device}"]
    if ticket.probe and ticket.device != "monitoring-gap":
        parts.append(f"probe={ticket.probe}")
    parts += [f"priority={ticket.priority}",
              f"started_at={_offset(timeline, ticket.started_at)}",
              f"resolved_at={_offset(timeline, ticket.resolved_at)}"]
    if ticket.reopened:
        parts.append("reopened")
    if ticket.flapping:
        parts.append("flapping")
    if ticket.attached:
        parts.append(f"attached=[{', '.join(sorted(ticket.attached))}]")
    return " ".join(parts)


def _mismatches(timeline: Timeline, want: ExpectedTicket, got: Ticket) -> list[str]:
    problems = []
    checks: list[tuple[str, object, object]] = [
        ("priority", want.priority, got.priority),
        ("resolved", want.resolved, got.resolved_at is not None),
        ("reopened", want.reopened, got.reopened),
        ("flapping", want.flapping, got.flapping),
    ]
    for name, expected, actual in checks:
        if expected is not None and expected != actual:
            problems.append(f"{name}: expected {expected}, got {actual}")
    for name, expected_s, actual_at in (("started_at", want.started_at, got.started_at),
                                        ("resolved_at", want.resolved_at, got.resolved_at)):
        if expected_s is None:
            continue
        actual_s = (actual_at - timeline.start).total_seconds() if actual_at else None
        if actual_s is None or abs(actual_s - expected_s) > 1e-6:
            problems.append(f"{name}: expected {expected_s:g}s, got "
                            f"{_offset(timeline, actual_at)}")
    if want.attached is not None and sorted(want.attached) != sorted(got.attached):
        problems.append(f"attached: expected [{', '.join(sorted(want.attached))}], got "
                        f"[{', '.join(sorted(got.attached))}]")
    return problems


def compare(timeline: Timeline, result: Replay) -> list[str]:
    """Every difference as a readable line; empty when the replay matches."""
    lines: list[str] = []
    unmatched = list(result.tickets)
    for want in timeline.expect.tickets:
        candidates = [t for t in unmatched if t.device == want.device
                      and (want.probe is None or t.probe == want.probe)]
        if not candidates:
            lines.append(f"- missing ticket: device={want.device}"
                         + (f" probe={want.probe}" if want.probe else ""))
            continue
        got = candidates[0]
        unmatched.remove(got)
        for problem in _mismatches(timeline, want, got):
            lines.append(f"~ ticket for {want.device}: {problem}")
    if timeline.expect.exhaustive:
        for extra in unmatched:
            lines.append(f"+ unexpected ticket: {describe(timeline, extra)}")
    for want_s in timeline.expect.suppressed:
        if not any(device == want_s.device and reason.startswith(want_s.reason)
                   for device, reason, _ in result.suppressed):
            seen = sorted({r for d, r, _ in result.suppressed if d == want_s.device})
            lines.append(f"- missing suppression: device={want_s.device} reason starting "
                         f"{want_s.reason!r} (got: {', '.join(seen) or 'none'})")
    return lines
