"""Failed portal sign-ins, kept in the store so that several instances on one database
count them together (a guesser gains nothing by spreading tries over instances)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select

from bridge.store.user_models import SignInFailure

_FAILURES = SignInFailure.__table__  # type: ignore[attr-defined]


def recent_failures(engine: Engine, keys: Sequence[str],
                    since: datetime) -> dict[str, tuple[int, datetime]]:
    """Per key with failures after `since`: how many, and the oldest of them."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(_FAILURES.c.key, func.count(), func.min(_FAILURES.c.failed_at))
            .where(_FAILURES.c.key.in_(list(keys)), _FAILURES.c.failed_at > since)
            .group_by(_FAILURES.c.key)).all()
    return {key: (int(count), oldest) for key, count, oldest in rows}


def add_failure(engine: Engine, keys: Iterable[str], at: datetime,
                forget_before: datetime) -> None:
    """A failed sign-in against each key; failures older than `forget_before` are dropped
    (every key's: a flood of names or addresses stays bounded by the window)."""
    with engine.begin() as connection:
        connection.execute(delete(_FAILURES).where(_FAILURES.c.failed_at <= forget_before))
        connection.execute(insert(_FAILURES), [{"key": k, "failed_at": at} for k in keys])


def forget_failures(engine: Engine, key: str) -> None:
    """The person got in: the failures against this key are forgotten."""
    with engine.begin() as connection:
        connection.execute(delete(_FAILURES).where(_FAILURES.c.key == key))
