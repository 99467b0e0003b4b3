"""Signed mail links: the page shows the ticket's public part and the link's one form; a
confirm link confirms once, a comment link comments (under the mail reader's name, else the
customer's) until it expires; a POST needs the CSRF token; expired, tampered and
other-ticket links are refused with a page that says so; a link grants no other page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer
from sqlmodel import Session, select

from bridge.core.mail_links import COMMENT, CONFIRM, MailLink, sign
from bridge.desk.contract import ContractDesk
from bridge.notify.links import MailLinks
from bridge.store.models import OutboxMessage
from tests.portal.site import Clocks, Person, StoreService, portal_app
from tests.portal.test_pages import _desk_act, _open

KEY = b"link-key-for-tests-0123456789abc"
READER = "it@acme.example.com"


@pytest.fixture
async def server(service: StoreService, clocks: Clocks) -> AsyncIterator[TestServer]:
    test_server = TestServer(portal_app(service, clocks, link_key=KEY))
    await test_server.start_server()
    yield test_server
    await test_server.close()


async def opened(people: Callable[[], Person], summary: str) -> str:
    ann = people()
    await ann.sign_in("ann")
    return await _open(ann, summary, "gw")


async def resolved(people: Callable[[], Person], summary: str) -> str:
    ref = await opened(people, summary)
    olga = people()
    await olga.sign_in("olga")
    await _desk_act(olga, ref, "resolve", {"message": "replaced the fuser"})
    return ref


def token(service: StoreService, ref: str, action: str = CONFIRM, days: float = 7,
          id_: str = "t1", reader: str = "") -> str:
    return sign(KEY, MailLink(ref, action, service.now() + timedelta(days=days), id_, reader))


def link_of(service: StoreService, ref: str, action: str = CONFIRM, *, id_: str = "t1",
            reader: str = "") -> str:
    return f"/portal/m/{ref}/{token(service, ref, action, id_=id_, reader=reader)}"


def timeline(text: str) -> str:
    return text[text.index('class="timeline"'):]


async def test_a_link_confirms_once(service: StoreService,
                                    people: Callable[[], Person]) -> None:
    ref = await resolved(people, "the printer is on fire")
    mail = people()  # not signed in
    link = link_of(service, ref, reader=READER)
    status, text = await mail.page(link)
    assert status == 200
    assert "replaced the fuser" in text
    assert f'action="{link}"' in text
    assert 'name="message"' not in text  # a confirm link does not comment
    status, _ = await mail.page(f"/portal/tickets/{ref}")
    assert status == 303  # the link is no sign-in: the GET changed nothing either
    assert (await mail.post(link, {}, token=False))[0] == 403  # no CSRF token
    status, _, location = await mail.post(link, {})
    assert (status, location) == (303, link)
    _, text = await mail.page(link)
    assert '<dd class="status">closed</dd>' in text
    assert READER in timeline(text)  # confirmed in the reader's name
    status, text, _ = await mail.post(link, {})
    assert status == 410
    assert "This link has been used." in text


async def test_a_link_mailed_before_the_ref_was_in_its_path_still_confirms(
        service: StoreService, people: Callable[[], Person]) -> None:
    ref = await resolved(people, "the printer is on fire")
    mail = people()
    link = f"/portal/m/{token(service, ref)}"
    assert (await mail.page(link))[0] == 200
    assert (await mail.post(link, {}))[:3:2] == (303, link)
    _, text = await mail.page(link)
    assert '<dd class="status">closed</dd>' in text
    assert "Acme" in timeline(text)  # no reader in the link: the customer's name


async def test_a_comment_link_comments_in_the_readers_name_until_it_expires(
        service: StoreService, people: Callable[[], Person]) -> None:
    ref = await opened(people, "the scanner jams")
    mail = people()
    link = link_of(service, ref, COMMENT, reader=READER)
    status, text = await mail.page(link)
    assert status == 200
    assert "the scanner jams" in text
    assert f'<form method="post" action="{link}" class="stack">' in text
    assert f"Your comment will be signed {READER}." in text
    assert (await mail.post(link, {"message": "no token"}, token=False))[0] == 403
    status, _, location = await mail.post(link, {"message": "it jams on A3 only"})
    assert (status, location) == (303, link)
    status, _, _ = await mail.post(link, {"message": "and on envelopes"})
    assert status == 303  # a comment link is good for more than one comment
    _, text = await mail.page(link)
    entries = re.findall(r'<span class="who">([^<]*)</span> <span class="kind">comment</span>\s*'
                         r"<p>([^<]*)</p>", text)
    assert entries == [(READER, "it jams on A3 only"), (READER, "and on envelopes")]
    olga = people()
    await olga.sign_in("olga")
    _, desk = await olga.page(f"/portal/desk/tickets/{ref}")
    assert "it jams on A3 only" in desk  # the desk reads it as the customer's
    assert "operator" not in re.findall(r'<span class="who">([^<]*)</span>', desk)

    service.clock += timedelta(days=7)
    status, text = await mail.page(link)
    assert status == 410
    assert "This link has expired." in text
    assert "the scanner jams" not in text
    status, text, _ = await mail.post(link, {"message": "too late"})
    assert status == 410
    _, desk = await olga.page(f"/portal/desk/tickets/{ref}")
    assert "too late" not in desk


async def test_a_comment_link_without_a_reader_comments_as_the_customer(
        service: StoreService, people: Callable[[], Person]) -> None:
    ref = await opened(people, "the scanner jams")
    mail = people()
    link = link_of(service, ref, COMMENT)
    await mail.page(link)
    assert (await mail.post(link, {"message": "from the webhook's reader"}))[0] == 303
    _, text = await mail.page(link)
    assert '<span class="who">Acme</span> <span class="kind">comment</span>' in text
    status, text, _ = await mail.post(link, {"message": ""})
    assert status == 400
    assert "message" in text
    status, _, _ = await mail.post(link, {"message": "psst", "internal": "on"})
    assert status == 403  # internal notes are the desk's
    assert "psst" not in (await mail.page(link))[1]


async def test_a_link_for_one_ticket_does_not_act_on_another(
        service: StoreService, people: Callable[[], Person]) -> None:
    a = await resolved(people, "ticket A")
    b = await resolved(people, "ticket B")
    mail = people()
    for action in (CONFIRM, COMMENT):
        for_a = token(service, a, action, id_=f"a-{action}")
        status, text = await mail.page(f"/portal/m/{b}/{for_a}")
        assert status == 404
        assert "ticket A" not in text
        assert "ticket B" not in text
        await mail.page(f"/portal/m/{a}/{for_a}")  # a fresh CSRF token
        status, _, _ = await mail.post(f"/portal/m/{b}/{for_a}", {"message": "on B?"})
        assert status == 404
    _, text = await mail.page(link_of(service, b, id_="b1"))
    assert '<dd class="status">resolved</dd>' in text  # not confirmed
    assert "on B?" not in text
    gone = link_of(service, "INC-2026-999999", COMMENT)
    assert (await mail.page(gone))[0] == 404  # a genuine link to no ticket


async def test_expired_and_tampered_links_are_refused_with_a_page_that_says_so(
        service: StoreService, people: Callable[[], Person]) -> None:
    a = await resolved(people, "ticket A")
    b = await resolved(people, "ticket B")
    mail = people()
    good = token(service, a)
    payload, mac = good.split(".")
    foreign = token(service, b).split(".")[0] + "." + mac  # B's ticket under A's signature
    forged = sign(b"another key, not the portal's 0", MailLink(
        a, CONFIRM, service.now() + timedelta(days=7), "t1"))
    for bad in (payload + "." + mac[::-1], foreign, forged, "nonsense", "x" * 2000, "a.b.c"):
        status, text = await mail.page(f"/portal/m/{a}/{bad}")
        assert status == 403
        assert "This link is not valid." in text
        assert "ticket A" not in text
        await mail.page(f"/portal/m/{a}/{good}")  # a fresh CSRF token
        assert (await mail.post(f"/portal/m/{a}/{bad}", {}))[0] == 403
    expired = token(service, a, days=-1)
    status, text = await mail.page(f"/portal/m/{a}/{expired}")
    assert status == 410
    assert "This link has expired." in text
    await mail.page(f"/portal/m/{a}/{good}")
    assert (await mail.post(f"/portal/m/{a}/{expired}", {}))[0] == 410
    _, text = await mail.page(f"/portal/m/{a}/{good}")
    assert '<dd class="status">resolved</dd>' in text


async def test_a_link_grants_no_other_page(service: StoreService,
                                           people: Callable[[], Person]) -> None:
    a = await resolved(people, "ticket A")
    mail = people()
    for action in (CONFIRM, COMMENT):
        assert (await mail.page(link_of(service, a, action)))[0] == 200
        for path in (f"/portal/tickets/{a}", "/portal/tickets", "/portal/desk/queue",
                     f"/portal/desk/tickets/{a}", "/portal/statistics"):
            assert (await mail.page(path))[0] == 303  # to the sign-in
        assert (await mail.post(f"/portal/tickets/{a}/confirm", {}))[0] == 403
        assert (await mail.post(f"/portal/tickets/{a}/comment", {"message": "x"}))[0] == 403
    # a comment link does not confirm, whatever its form says
    link = link_of(service, a, COMMENT)
    await mail.page(link)
    assert (await mail.post(link, {"do": "confirm"}))[0] == 400
    assert '<dd class="status">resolved</dd>' in (await mail.page(link))[1]


async def test_the_mails_carry_links_that_comment_and_confirm(
        service: StoreService, people: Callable[[], Person]) -> None:
    assert isinstance(service.desk, ContractDesk)
    service.desk.mail_links = MailLinks("https://desk.msp.example", KEY, 7)
    ref = await resolved(people, "the printer is on fire")
    with Session(service.db.reader) as session:
        bodies = {(row.kind, row.recipient): row.body for row in session.exec(
            select(OutboxMessage).where(OutboxMessage.customer == "acme"))}
    assert all("/portal/m/" not in body for (_, to), body in bodies.items() if to != READER)
    links = {kind: re.findall(r"https://desk\.msp\.example(/portal/m/\S+)", body)
             for (kind, to), body in bodies.items() if to == READER}
    assert len(links["opened"]) == 1  # a comment link, no confirm link
    assert len(links["resolved"]) == 2  # confirm, then comment
    mail = people()
    await mail.page(links["opened"][0])
    assert (await mail.post(links["opened"][0], {"message": "thanks"}))[0] == 303
    confirm = links["resolved"][0]
    await mail.page(confirm)
    assert (await mail.post(confirm, {}))[0] == 303
    _, text = await mail.page(confirm)
    assert ref in text
    assert '<dd class="status">closed</dd>' in text
    assert f'<span class="who">{READER}</span> <span class="kind">comment</span>' in text
