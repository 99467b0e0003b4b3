"""The inbound_mail table (migration 0017): a message is kept once per Message-ID, and the
migration steps down and up again on a store that holds mail."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect

from bridge.store import Database
from bridge.store.db import MIGRATIONS
from bridge.store.mail import ReceivedMail, count_mail, keep_mail, list_mail, settle_mail
from bridge.store.mail_models import MailStatus

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


def test_the_mail_table_steps_down_and_up_again(db: Database) -> None:
    keep_mail(db.writer, _mail(), AT)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0016")
    assert "inbound_mail" not in inspect(db.writer).get_table_names()
    db.migrate()
    assert "inbound_mail" in inspect(db.writer).get_table_names()
    keep_mail(db.writer, _mail("e" * 64), AT)
    assert [m["status"] for m in list_mail(db.reader, None, 10)] == ["pending"]
