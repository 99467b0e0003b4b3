"""Signed mail links used once: a confirmation link's id is kept, and a second use refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bridge.store.user_models import UsedMailLink


def use_once(engine: Engine, link_id: str, ref: str, at: datetime) -> bool:
    """True the first time `link_id` is used; False ever after."""
    try:
        with Session(engine) as session:
            session.add(UsedMailLink(id=link_id, ref=ref, used_at=at))
            session.commit()
    except IntegrityError:
        return False
    return True


def forget_use(engine: Engine, link_id: str) -> None:
    """Undo a use whose action was refused (the ticket was not resolved any more)."""
    with Session(engine) as session:
        row = session.get(UsedMailLink, link_id)
        if row is not None:
            session.delete(row)
            session.commit()
