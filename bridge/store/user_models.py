"""The portal's people: operators and customer users who sign in with a password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from bridge.config.main_file import Role
from bridge.store.columns import enum_column as _enum
from bridge.store.columns import utc_column as _utc


class PortalUser(SQLModel, table=True):
    """One person's account. `session_epoch` grows when the password changes or the account
    is disabled, which ends every session signed in before."""

    __tablename__ = "portal_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)  # what the person signs in with
    display_name: str = Field(max_length=120)  # what the timeline shows
    role: Role = Field(sa_column=Column(_enum(Role, "user_role"), nullable=False))
    customer: str | None = Field(default=None, max_length=64)  # customer users: theirs
    password_hash: str = Field(max_length=255)  # argon2id, never the password
    disabled: bool = False
    session_epoch: int = 0
    created_at: datetime = Field(sa_column=_utc())
    changed_at: datetime = Field(sa_column=_utc())


class PersonalToken(SQLModel, table=True):
    """A person's own API token (`bridge login`): what they do through the CLI is on the
    timeline under their name. Only its SHA-256 is kept; it ends with the person's sessions
    (a new password, a disabled account)."""

    __tablename__ = "personal_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="portal_user.id", index=True)
    digest: str = Field(max_length=64, unique=True)  # SHA-256 of the secret, hex
    session_epoch: int  # the account's when it was made
    created_at: datetime = Field(sa_column=_utc())


class UsedMailLink(SQLModel, table=True):
    """A signed mail link that did its one-time action (a confirmation): never again."""

    __tablename__ = "used_mail_link"

    id: str = Field(primary_key=True, max_length=64)  # the token's id
    ref: str = Field(max_length=64)
    used_at: datetime = Field(sa_column=_utc())


class SignInFailure(SQLModel, table=True):
    """A failed sign-in, against a user name ("name:…") or a client address ("addr:…"):
    kept in the store so that every instance of the portal counts them alike."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_key_failed_at", "key", "failed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    failed_at: datetime = Field(sa_column=_utc(index=True))


class EndedPortalSession(SQLModel, table=True):
    """A portal session its person signed out of: its cookie, replayed, is signed out too.
    Kept until no session signed in before could still be within its absolute timeout."""

    __tablename__ = "ended_portal_session"

    id: str = Field(primary_key=True, max_length=64)  # the session's random id
    ended_at: datetime = Field(sa_column=_utc(index=True))
