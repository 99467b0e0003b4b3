"""What a delivery attempt came to, and what happens next: pure, with the jitter injected.

Senders only say delivered, retry (transient, maybe with the receiver's Retry-After) or
dead (permanent); this one stage decides when to try again, or that the retry deadline
has passed and the message is a dead letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Delivered:
    """The receiver accepted the message."""

    detail: str = ""


@dataclass(frozen=True)
class Retry:
    """A transient failure: try again later (not before `after_s`, if the receiver said so)."""

    reason: str
    after_s: float | None = None


@dataclass(frozen=True)
class Dead:
    """A permanent failure: retrying cannot help."""

    reason: str


Attempt = Delivered | Retry | Dead


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: initial_s, doubled after each failure, at most max_s."""

    initial_s: float
    max_s: float

    def delay_s(self, attempts: int, jitter: float) -> float:
        """The wait after the `attempts`-th failure; `jitter` in [0, 1) spreads it over
        its upper half, so instances that failed together do not retry together."""
        base = min(self.max_s, self.initial_s * 2.0 ** min(max(attempts - 1, 0), 60))
        return base / 2 + base / 2 * jitter


def longest_wait_s(backoff: Backoff) -> float:
    """The longest a pending message is ever set to wait: a retry's backoff, or an hour
    (the hourly cap per receiver, a receiver's Retry-After). The outbox takes one due
    further ahead than this as due now (store/outbox/queue.py claim_due)."""
    return max(backoff.max_s, 3600.0)


@dataclass(frozen=True)
class Sent:
    """Mark the message sent."""


@dataclass(frozen=True)
class RetryAt:
    """Keep the message pending until `at`."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class DeadLetter:
    """Give up on the message: a dead letter, loudly."""

    reason: str


Next = Sent | RetryAt | DeadLetter


def settle(attempt: Attempt, attempts: int, now: datetime, deadline_at: datetime | None,
           backoff: Backoff, jitter: float) -> Next:
    """The next step after the `attempts`-th attempt (counting this one) ended as `attempt`.

    The last retry is moved forward to the deadline rather than skipped, so a receiver
    that comes back just before it still gets the message.
    """
    if isinstance(attempt, Delivered):
        return Sent()
    if isinstance(attempt, Dead):
        return DeadLetter(attempt.reason)
    if deadline_at is not None and now >= deadline_at:
        return DeadLetter(f"{attempt.reason} (gave up after {attempts} attempts: "
                          "the retry deadline passed)")
    # a receiver's Retry-After is honoured up to the longest wait bridge sets itself
    asked_s = min(attempt.after_s or 0.0, longest_wait_s(backoff))
    wait_s = max(backoff.delay_s(attempts, jitter), asked_s)
    at = now + timedelta(seconds=wait_s)
    if deadline_at is not None:
        at = min(at, deadline_at)
    return RetryAt(at, attempt.reason)
