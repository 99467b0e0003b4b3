"""The portal's accounts: add, change a password, disable, list, find one to sign in; and
their personal API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bridge.config.main_file import Role
from bridge.store.user_models import PersonalToken, PortalUser


@dataclass(frozen=True)
class User:
    """An account as the portal and the CLI see it (its hash only where a check needs it)."""

    id: int
    name: str
    display_name: str
    role: Role
    customer: str | None
    disabled: bool
    session_epoch: int
    password_hash: str

    @property
    def is_operator(self) -> bool:
        """Whether the person works the desk (sees every customer)."""
        return self.role is Role.OPERATOR


class UserExists(ValueError):
    """An account of that name exists already."""


def _user(row: PortalUser) -> User:
    assert row.id is not None
    return User(row.id, row.name, row.display_name, Role(row.role), row.customer, row.disabled,
                row.session_epoch, row.password_hash)


def add_user(engine: Engine, name: str, display_name: str, role: Role, customer: str | None,
             password_hash: str, now: datetime) -> User:
    """Create an account; UserExists if the name is taken."""
    row = PortalUser(name=name, display_name=display_name, role=role, customer=customer,
                     password_hash=password_hash, created_at=now, changed_at=now)
    try:
        with Session(engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return _user(row)
    except IntegrityError:
        raise UserExists(f"a user named {name!r} exists already") from None


def find_user(engine: Engine, name: str) -> User | None:
    """The account of that sign-in name, disabled or not."""
    with Session(engine) as session:
        row = session.exec(select(PortalUser).where(col(PortalUser.name) == name)).first()
        return _user(row) if row is not None else None


def user_by_id(engine: Engine, user_id: int) -> User | None:
    """The account of a session."""
    with Session(engine) as session:
        row = session.get(PortalUser, user_id)
        return _user(row) if row is not None else None


def list_users(engine: Engine) -> list[User]:
    """Every account, by name."""
    with Session(engine) as session:
        rows = session.exec(select(PortalUser).order_by(col(PortalUser.name))).all()
        return [_user(r) for r in rows]


def _change(engine: Engine, name: str, now: datetime, *, password_hash: str | None = None,
            disabled: bool | None = None) -> bool:
    with Session(engine) as session:
        row = session.exec(select(PortalUser).where(col(PortalUser.name) == name)).first()
        if row is None:
            return False
        if password_hash is not None:
            row.password_hash = password_hash
        if disabled is not None:
            row.disabled = disabled
        row.session_epoch += 1  # every session signed in before ends
        row.changed_at = now
        session.add(row)
        session.commit()
        return True


def set_password(engine: Engine, name: str, password_hash: str, now: datetime) -> bool:
    """A new password (hash); False if there is no such account."""
    return _change(engine, name, now, password_hash=password_hash)


def set_disabled(engine: Engine, name: str, disabled: bool, now: datetime) -> bool:
    """Disable (or enable again) an account; False if there is no such account."""
    return _change(engine, name, now, disabled=disabled)


def rehash(engine: Engine, user_id: int, password_hash: str) -> None:
    """Store a stronger hash of the same password (the sessions stay)."""
    with Session(engine) as session:
        row = session.get(PortalUser, user_id)
        if row is not None:
            row.password_hash = password_hash
            session.add(row)
            session.commit()


def _digest(secret: str) -> str:
    return sha256(secret.encode()).hexdigest()


def add_personal_token(engine: Engine, user: User, secret: str, now: datetime) -> None:
    """Keep a new personal token of `user` (its digest only)."""
    with Session(engine) as session:
        session.add(PersonalToken(user_id=user.id, digest=_digest(secret),
                                  session_epoch=user.session_epoch, created_at=now))
        session.commit()


def person_of_token(engine: Engine, secret: str) -> User | None:
    """The enabled account a personal token belongs to, while its sessions last."""
    with Session(engine) as session:
        found = session.exec(
            select(PersonalToken, PortalUser)
            .join(PortalUser, col(PortalUser.id) == col(PersonalToken.user_id))
            .where(col(PersonalToken.digest) == _digest(secret))).first()
        if found is None:
            return None
        token, row = found
        if row.disabled or row.session_epoch != token.session_epoch:
            return None
        return _user(row)
