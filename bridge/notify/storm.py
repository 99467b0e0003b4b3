"""Storm control, pure: group a receiver's due messages into digests, cap its rate.

The first message to a receiver about a customer goes out at once; what follows
within `group_window_s` waits for the window to end and goes out as one digest.
No receiver gets more than `max_per_hour` messages in any hour: the rest wait
(never dropped) until the oldest delivery of that hour is an hour old.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.notify.notice import DIGEST_KIND

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Due:
    """A pending message as storm control sees it."""

    id: int
    receiver: str
    customer: str
    kind: str
    created_at: datetime


@dataclass(frozen=True)
class Recent:
    """What a receiver was sent lately."""

    last_sent: Mapping[str, datetime]  # customer -> last delivery to this receiver about it
    sent_within_hour: Sequence[datetime]  # deliveries (a digest counts once), oldest first


@dataclass(frozen=True)
class StormPolicy:
    """The [notifications] settings storm control uses."""

    group_window_s: float
    max_per_hour: int


@dataclass(frozen=True)
class Send:
    """Deliver these messages now: alone if one, as one digest if several."""

    receiver: str
    customer: str
    ids: tuple[int, ...]


@dataclass(frozen=True)
class Hold:
    """Keep these messages pending until `until`, and why."""

    ids: tuple[int, ...]
    until: datetime
    reason: str


def _groups(due: Sequence[Due]) -> list[tuple[str, str, list[Due]]]:
    """Messages by receiver and customer, oldest group first; digests stay alone."""
    groups: dict[tuple[str, str, int], list[Due]] = {}
    for item in sorted(due, key=lambda d: (d.created_at, d.id)):
        alone = item.id if item.kind == DIGEST_KIND else 0
        groups.setdefault((item.receiver, item.customer, alone), []).append(item)
    return [(receiver, customer, items) for (receiver, customer, _), items in groups.items()]


def plan(
    due: Sequence[Due], recent: Mapping[str, Recent], policy: StormPolicy, now: datetime
) -> list[Send | Hold]:
    """What to do with each due message now."""
    window = timedelta(seconds=policy.group_window_s)
    sent: dict[str, list[datetime]] = {}
    steps: list[Send | Hold] = []
    for receiver, customer, items in _groups(due):
        ids = tuple(item.id for item in items)
        history = recent.get(receiver, Recent({}, ()))
        times = sent.setdefault(receiver, sorted(t for t in history.sent_within_hour
                                                  if t > now - HOUR))
        last = history.last_sent.get(customer)
        if window and last is not None and now < last + window \
                and items[0].kind != DIGEST_KIND:
            steps.append(Hold(ids, last + window, "grouping window"))
        elif len(times) >= policy.max_per_hour:
            # The send that must age out before one more fits in the hour.
            until = times[len(times) - policy.max_per_hour] + HOUR
            steps.append(Hold(ids, until, f"rate cap {policy.max_per_hour}/h"))
        else:
            steps.append(Send(receiver, customer, ids))
            times.append(now)
    return steps
