"""Portal sessions ended by signing out, kept in the store so that every instance refuses a
copy of their cookie (the session itself lives in the encrypted cookie)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError

from bridge.store.user_models import EndedPortalSession

_ENDED = EndedPortalSession.__table__  # type: ignore[attr-defined]


def end_session(engine: Engine, session_id: str, at: datetime,
                forget_before: datetime) -> None:
    """Keep `session_id` as ended; drop those ended before `forget_before` (no cookie of
    theirs is within its absolute timeout any more)."""
    try:
        with engine.begin() as connection:
            connection.execute(delete(_ENDED).where(_ENDED.c.ended_at < forget_before))
            if not connection.execute(select(exists().where(_ENDED.c.id == session_id))
                                      ).scalar():
                connection.execute(insert(_ENDED), [{"id": session_id, "ended_at": at}])
    except IntegrityError:
        pass  # a sign-out of the same session at the same moment kept it


def session_ended(engine: Engine, session_id: str) -> bool:
    """Whether its person signed out of this session."""
    with engine.connect() as connection:
        return bool(connection.execute(select(exists().where(_ENDED.c.id == session_id)))
                    .scalar())
