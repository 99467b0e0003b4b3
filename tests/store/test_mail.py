"""The inbound_mail table (migration 0015): a message is kept once per Message-ID, and the
migration steps down and up again on a store that holds mail."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect
from sqlmodel import Session

from bridge.core.priority import Priority
from bridge.desk.actions import Action
from bridge.store import Database
from bridge.store.db import MIGRATIONS
from bridge.store.mail import (
    ReceivedMail,
    SettlingDesk,
    count_mail,
    keep_mail,
    list_mail,
    settle_mail,
)
from bridge.store.mail_models import MailStatus
from bridge.store.models import Actor, Incident, TicketSource
from bridge.store.reads import ref_of
from bridge.store.tickets import (
    ActionRequest,
    NewTicket,
    QuietDesk,
    TicketChange,
    create_ticket,
    take_action,
)

AT = datetime(2026, 12, 6, 9, tzinfo=UTC)


def _mail(digest: str = "d" * 64) -> ReceivedMail:
    return ReceivedMail(digest, "<m1@acme.example>", "jane@acme.example", "desk@msp.example",
                        "Re: [INC-2026-000001] down", 1234, "still down",
                        ("a.png (image/png, 10 bytes)",))


def test_a_message_is_kept_once_and_settled(db: Database) -> None:
    mail_id, status = keep_mail(db.writer, _mail(), AT)
    assert status is MailStatus.PENDING
    assert keep_mail(db.writer, _mail(), AT) == (mail_id, MailStatus.PENDING)  # not settled yet
    settle_mail(db.writer, mail_id, MailStatus.UNMATCHED, reason="unknown sender")
    assert keep_mail(db.writer, _mail(), AT) == (mail_id, MailStatus.UNMATCHED)
    [shown] = list_mail(db.reader, MailStatus.UNMATCHED, 10)
    assert shown["reason"] == "unknown sender"
    assert shown["attachments"] == ["a.png (image/png, 10 bytes)"]
    assert count_mail(db.reader, MailStatus.UNMATCHED) == 1
    assert list_mail(db.reader, MailStatus.OPENED, 10) == []


def test_a_resend_of_a_message_kept_before_the_upgrade_is_that_message(db: Database) -> None:
    """A row stored when a message was known by its Message-ID alone (its digest the
    Message-ID's SHA-256): the same message from the same sender resent after the upgrade,
    under today's digest, finds it; another sender reusing the Message-ID does not."""
    legacy = hashlib.sha256(b"<m1@acme.example>").hexdigest()
    mail_id, _ = keep_mail(db.writer, _mail(legacy), AT)
    settle_mail(db.writer, mail_id, MailStatus.COMMENTED)
    assert keep_mail(db.writer, _mail("e" * 64), AT) == (mail_id, MailStatus.COMMENTED)
    other = replace(_mail("f" * 64), sender="bob@other.example")
    assert keep_mail(db.writer, other, AT)[1] is MailStatus.PENDING


def test_the_mail_table_steps_down_and_up_again(db: Database) -> None:
    keep_mail(db.writer, _mail(), AT)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0014")
    assert "inbound_mail" not in inspect(db.writer).get_table_names()
    db.migrate()
    assert "inbound_mail" in inspect(db.writer).get_table_names()
    keep_mail(db.writer, _mail("e" * 64), AT)
    assert [m["status"] for m in list_mail(db.reader, None, 10)] == ["pending"]


class _FailingDesk(QuietDesk):
    """A desk whose planning fails: the ticket write's transaction rolls back."""

    def changed(self, session: Session, incident: Incident, change: TicketChange) -> None:
        raise RuntimeError("the desk failed")


def test_a_comment_and_its_message_commit_together_or_not_at_all(db: Database) -> None:
    incident_id, _ = create_ticket(db.writer, NewTicket(
        "acme", None, "down", Priority.P3, TicketSource.CUSTOMER, Actor.CUSTOMER, "jane"),
        "INC", AT, QuietDesk())
    ref = ref_of(db.reader, incident_id)
    mail_id, _ = keep_mail(db.writer, _mail(), AT)
    request = ActionRequest(move=Action.COMMENT.spec.move, actor=Actor.CUSTOMER,
                            author="jane@acme.example", message="still down")
    with pytest.raises(RuntimeError):
        take_action(db.writer, ref, "acme", request, AT,
                    SettlingDesk(_FailingDesk(), mail_id, MailStatus.COMMENTED, "acme"))
    assert keep_mail(db.writer, _mail(), AT) == (mail_id, MailStatus.PENDING)  # to redo
    result = take_action(db.writer, ref, "acme", request, AT,
                         SettlingDesk(QuietDesk(), mail_id, MailStatus.COMMENTED, "acme"))
    assert result.status == 200
    [row] = list_mail(db.reader, None, 10)
    assert (row["status"], row["ticket"], row["customer"]) == ("commented", ref, "acme")
