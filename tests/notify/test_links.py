"""Every notice links to its ticket's page: the customer's portal page, the desk's for the
provider's people, at [portal] public_url; no link when the portal has no public address.
A customer's mail also carries signed links: a comment link in its reader's name on every
notice, a confirm link on the resolution; the provider's people's mail carries none."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.config.portal import PortalSection
from bridge.core.decisions import OpenIncident
from bridge.core.mail_links import COMMENT, CONFIRM, MailLink, verify
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.desk.clock import run_clock
from bridge.desk.contract import ContractDesk
from bridge.notify.compose import DigestItem, compose, compose_digest
from bridge.notify.links import MailLinks, ReplyLinks, ticket_link
from bridge.notify.notice import NoticeKind, TicketNotice
from bridge.notify.templates import TemplateSet, builtin_languages
from bridge.store import Database
from bridge.store.decisions import apply_batch
from tests.kits.mail_contract import NOC, acme_contract, mail_deployment
from tests.kits.notify_peers import MailSink, port_of, start_smtp
from tests.kits.notify_peers import outbox_worker as worker_for

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REF = "INC-2026-000042"
PUBLIC = "https://desk.msp.example"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bridge.db'}"


def test_the_link_is_the_readers_ticket_page() -> None:
    assert ticket_link(PUBLIC, REF, staff=False) == f"{PUBLIC}/portal/tickets/{REF}"
    assert ticket_link(PUBLIC + "/", REF, staff=True) == f"{PUBLIC}/portal/desk/tickets/{REF}"
    assert ticket_link(None, REF, staff=False) is None


@pytest.mark.parametrize("language", builtin_languages())
@pytest.mark.parametrize("kind", [NoticeKind.OPENED, NoticeKind.RESOLVED, NoticeKind.COMMENT])
def test_every_language_carries_the_link_once(language: str, kind: NoticeKind) -> None:
    notice = TicketNotice(kind=kind, ref=REF, customer="acme", discriminator="1", at=T0,
                          summary="gw down", priority=Priority.P2, message="hello")
    link = f"{PUBLIC}/portal/tickets/{REF}"
    [draft] = compose(notice, ["mailto:it@acme.example.com"], language, TemplateSet(),
                      link=link)
    assert draft.body.count(link) == 1
    assert draft.body.rstrip().endswith(link)
    [plain] = compose(notice, ["mailto:it@acme.example.com"], language, TemplateSet())
    assert "/portal/" not in plain.body


@pytest.mark.parametrize("bad", ["desk.msp.example", "ftp://desk.msp.example", "https://",
                                 "https://desk.msp.example/?a=1"])
def test_public_url_must_be_an_http_address(bad: str) -> None:
    with pytest.raises(ValidationError):
        PortalSection(public_url=bad)
    assert PortalSection(public_url=PUBLIC + "/").public_url == PUBLIC


async def notices(tmp_path: Path, db: Database, portal: str,
                  link_key: bytes | None = None) -> dict[str, str]:
    sink = MailSink()
    server = await start_smtp(sink)
    config = mail_deployment(tmp_path, acme_contract("fi", tier1=False), NOC + portal,
                             smtp_port=port_of(server))
    desk = ContractDesk(config, link_key=link_key)
    [opened] = apply_batch(db.writer, [OpenIncident(
        "check:gw/ping", CheckKey("gw", "ping"), "acme", Priority.P1, "down", T0,
        "gw is down")], "INC", T0, desk)
    run_clock(db.writer, desk, T0)  # tier 1 is empty: the NOC is told
    await worker_for(db, config, lambda: T0).run_once()
    server.close()
    assert opened.ref == REF.replace("000042", "000001")
    return {m["To"]: m.get_content() for m in sink.messages}


async def test_customer_and_staff_mails_link_to_their_pages(
        tmp_path: Path, db: Database) -> None:
    told = await notices(tmp_path, db, f'\n[portal]\npublic_url = "{PUBLIC}"\n', b"k" * 32)
    ref = REF.replace("000042", "000001")
    assert f"{PUBLIC}/portal/tickets/{ref}" in told["it@acme.example.com"]
    assert "/desk/" not in told["it@acme.example.com"]
    assert f"{PUBLIC}/portal/desk/tickets/{ref}" in told["noc@msp.example.com"]
    # the customer's mail: a comment link in its reader's name, in the contract's language
    found = re.search(rf"kommentoida kirjautumatta: {PUBLIC}/portal/m/{ref}/(\S+)",
                      told["it@acme.example.com"])
    assert found is not None
    assert verify(b"k" * 32, found.group(1), T0) == MailLink(
        ref, COMMENT, T0 + timedelta(days=7), link_id(f"/{found.group(1)}"),
        "it@acme.example.com")
    assert "/portal/m/" not in told["noc@msp.example.com"]


async def test_no_public_url_no_link(tmp_path: Path, db: Database) -> None:
    told = await notices(tmp_path, db, "")
    assert len(told) == 2
    assert all("/portal/" not in body for body in told.values())


def test_every_notice_a_comment_link_only_the_resolution_a_confirm_link() -> None:
    links = MailLinks(PUBLIC, b"k" * 32, 7)
    for kind in NoticeKind:
        notice = TicketNotice(kind=kind, ref=REF, customer="acme", discriminator="1", at=T0,
                              summary="gw down")
        found = links.of(notice, "it@acme.example.com")
        assert found.comment is not None
        assert found.comment.startswith(f"{PUBLIC}/portal/m/{REF}/")
        assert verify(b"k" * 32, found.comment.rsplit("/", 1)[1], T0) == MailLink(
            REF, COMMENT, T0 + timedelta(days=7), link_id(found.comment),
            "it@acme.example.com")
        assert links.of(notice, "it@acme.example.com") == found  # same notice, same links
        assert links.of(notice, "boss@acme.example.com").comment != found.comment
        if kind is NoticeKind.RESOLVED:
            assert found.confirm is not None
            assert verify(b"k" * 32, found.confirm.rsplit("/", 1)[1], T0) == MailLink(
                REF, CONFIRM, T0 + timedelta(days=7), link_id(found.confirm),
                "it@acme.example.com")
            # one confirmation for all the notice's readers: the same id
            other = links.of(notice, "boss@acme.example.com").confirm
            assert other is not None
            assert link_id(other) == link_id(found.confirm)
        else:
            assert found.confirm is None
    resolved = TicketNotice(kind=NoticeKind.RESOLVED, ref=REF, customer="acme",
                            discriminator="1", at=T0, summary="gw down")
    assert MailLinks(None, b"k" * 32, 7).of(resolved) == ReplyLinks()
    assert MailLinks(PUBLIC, None, 7).of(resolved) == ReplyLinks()
    unsignable = MailLinks(PUBLIC, b"k" * 32, 7).of(resolved, "a|b@acme.example.com").comment
    assert unsignable is not None
    assert link_reader(unsignable) == ""  # the customer's name, then


def test_each_reader_gets_links_in_its_own_name() -> None:
    notice = TicketNotice(kind=NoticeKind.RESOLVED, ref=REF, customer="acme",
                          discriminator="1", at=T0, summary="gw down")
    links = MailLinks(PUBLIC, b"k" * 32, 7)
    drafts = compose(notice, ["mailto:it@acme.example.com", "mailto:boss@acme.example.com",
                              "webhook:acme"], "en", TemplateSet(),
                     mail_links=lambda reader: links.of(notice, reader))
    readers = [link_reader(d.payload["comment_link"]) for d in drafts]
    assert readers == ["it@acme.example.com", "boss@acme.example.com", ""]
    for draft in drafts:
        assert draft.payload["comment_link"] in draft.body
        assert draft.payload["confirm_link"] in draft.body
        assert link_reader(draft.payload["confirm_link"]) == link_reader(
            draft.payload["comment_link"])


def link_reader(link: str) -> str:
    found = verify(b"k" * 32, link.rsplit("/", 1)[1], T0)
    assert found is not None
    return found.reader


def link_id(link: str) -> str:
    found = verify(b"k" * 32, link.rsplit("/", 1)[1], T0)
    assert found is not None
    return found.id


@pytest.mark.parametrize("language", builtin_languages())
def test_the_resolution_says_where_to_confirm_in_every_language(language: str) -> None:
    notice = TicketNotice(kind=NoticeKind.RESOLVED, ref=REF, customer="acme",
                          discriminator="1", at=T0, summary="gw down")
    confirm = f"{PUBLIC}/portal/m/abc.def"
    [draft] = compose(notice, ["mailto:it@acme.example.com"], language, TemplateSet(),
                      mail_links=lambda _: ReplyLinks(confirm=confirm))
    line = next(line for line in draft.body.splitlines() if confirm in line)
    assert line.endswith(confirm)
    assert len(line) > len(confirm) + 5  # words before it, in the reader's language
    [plain] = compose(notice, ["mailto:it@acme.example.com"], language, TemplateSet())
    assert "/portal/m/" not in plain.body


@pytest.mark.parametrize("language", builtin_languages())
@pytest.mark.parametrize("kind", [k for k in NoticeKind if k is not NoticeKind.DEAD_LETTER])
def test_every_customer_notice_says_where_to_comment_in_every_language(
        language: str, kind: NoticeKind) -> None:
    notice = TicketNotice(kind=kind, ref=REF, customer="acme", discriminator="1", at=T0,
                          summary="gw down")
    comment = f"{PUBLIC}/portal/m/{REF}/abc.def"
    [draft] = compose(notice, ["mailto:it@acme.example.com"], language, TemplateSet(),
                      mail_links=lambda _: ReplyLinks(comment=comment))
    [line] = [line for line in draft.body.splitlines() if comment in line]
    assert line.endswith(comment)
    assert len(line) > len(comment) + 5  # words before it, in the reader's language
    [plain] = compose(notice, ["mailto:it@acme.example.com"], language, TemplateSet())
    assert "/portal/m/" not in plain.body
    assert "\n\n\n" not in plain.body  # no gap where the link would be


@pytest.mark.parametrize("language", builtin_languages())
def test_a_digest_keeps_each_messages_links(language: str) -> None:
    resolved = TicketNotice(kind=NoticeKind.RESOLVED, ref=REF, customer="acme",
                            discriminator="1", at=T0, summary="gw down")
    page, confirm = f"{PUBLIC}/portal/tickets/{REF}", f"{PUBLIC}/portal/m/{REF}/abc.def"
    comment = f"{PUBLIC}/portal/m/{REF}/ghi.jkl"
    [draft] = compose(resolved, ["mailto:it@acme.example.com"], language, TemplateSet(),
                      link=page, mail_links=lambda _: ReplyLinks(confirm, comment))
    [plain] = compose(TicketNotice(kind=NoticeKind.COMMENT, ref=REF, customer="acme",
                                   discriminator="2", at=T0, summary="gw down"),
                      ["mailto:it@acme.example.com"], language, TemplateSet())
    items = [DigestItem(d.idempotency_key, d.subject, d.body, d.payload) for d in (draft, plain)]
    digest = compose_digest(items, "mailto:it@acme.example.com", "acme", language,
                            TemplateSet(), 20)
    assert digest.body.count(page) == 1
    assert digest.body.count(confirm) == 1
    assert digest.body.count(comment) == 1
    assert digest.payload["messages"][0]["confirm_link"] == confirm
    assert digest.payload["messages"][0]["comment_link"] == comment
    assert "link" not in digest.payload["messages"][1]
    assert "comment_link" not in digest.payload["messages"][1]
