"""The intake's mail table: each message the receiver took, and what became of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from bridge.store.columns import enum_column as _enum
from bridge.store.columns import utc_column as _utc


class MailStatus(StrEnum):
    """What a received message did."""

    PENDING = "pending"  # stored, not yet carried out (the store failed in between)
    COMMENTED = "commented"  # a comment on its ticket
    OPENED = "opened"  # a customer-reported ticket
    UNMATCHED = "unmatched"  # kept for operators: unknown sender, no such ticket, undecodable


class InboundMail(SQLModel, table=True):
    """One message, keyed by its digest (a resend is the same row)."""

    __tablename__ = "inbound_mail"
    __table_args__ = (Index("ix_inbound_mail_status_received", "status", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the Message-ID, From: address and body (of all the bytes without a Message-ID)
    digest: str = Field(max_length=64, unique=True)
    message_id: str = Field(default="", max_length=255)
    received_at: datetime = Field(sa_column=_utc())
    sender: str = Field(default="", max_length=255)  # the From: address
    recipient: str = Field(default="", max_length=255)  # the first RCPT TO
    subject: str = Field(default="", max_length=500)
    status: MailStatus = Field(sa_column=Column(_enum(MailStatus, "mail_status"), nullable=False))
    reason: str = Field(default="", max_length=200)  # why unmatched
    customer: str | None = Field(default=None, max_length=64)
    ticket: str | None = Field(default=None, max_length=32)  # the ticket's ID it went to
    size_bytes: int = 0
    body: str = Field(default="", sa_column=Column(Text, nullable=False))  # text, capped
    attachments: str = Field(default="", max_length=2000)  # "name (type, N bytes)" lines
