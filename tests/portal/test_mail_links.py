"""Signed mail links: the page shows the ticket and a button; the POST (with the CSRF token)
confirms once; expired, tampered and foreign-ticket links are refused; a link grants no
other page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer
from sqlmodel import Session, select

from bridge.core.mail_links import COMMENT, CONFIRM, MailLink, sign
from bridge.desk.contract import ContractDesk
from bridge.notify.links import ConfirmLinks
from bridge.store.models import OutboxMessage
from tests.portal.site import Clocks, Person, StoreService, portal_app
from tests.portal.test_pages import _desk_act, _open

KEY = b"link-key-for-tests-0123456789abc"


@pytest.fixture
async def server(service: StoreService, clocks: Clocks) -> AsyncIterator[TestServer]:
    test_server = TestServer(portal_app(service, clocks, link_key=KEY))
    await test_server.start_server()
    yield test_server
    await test_server.close()


async def resolved(people: Callable[[], Person], summary: str) -> str:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    ref = await _open(ann, summary, "gw")
    await _desk_act(olga, ref, "resolve", {"message": "replaced the fuser"})
    return ref


def token(service: StoreService, ref: str, action: str = CONFIRM, days: float = 7,
          id_: str = "t1") -> str:
    return sign(KEY, MailLink(ref, action, service.now() + timedelta(days=days), id_))


async def test_a_link_confirms_once(service: StoreService,
                                    people: Callable[[], Person]) -> None:
    ref = await resolved(people, "the printer is on fire")
    mail = people()  # not signed in
    link = f"/portal/m/{token(service, ref)}"
    status, text = await mail.page(link)
    assert status == 200
    assert "replaced the fuser" in text
    assert f'action="{link}"' in text
    status, _ = await mail.page(f"/portal/tickets/{ref}")
    assert status == 303  # the link is no sign-in: the GET changed nothing either
    assert (await mail.post(link, {}, token=False))[0] == 403  # no CSRF token
    status, _, location = await mail.post(link, {})
    assert (status, location) == (303, link)
    _, text = await mail.page(link)
    assert '<dd class="status">closed</dd>' in text
    status, text, _ = await mail.post(link, {})
    assert status == 410
    assert "this link has been used" in text


async def test_expired_tampered_foreign_and_wrong_action_links_are_refused(
        service: StoreService, people: Callable[[], Person]) -> None:
    a = await resolved(people, "ticket A")
    b = await resolved(people, "ticket B")
    mail = people()
    good = token(service, a)
    payload, mac = good.split(".")
    foreign = token(service, b).split(".")[0] + "." + mac  # B's ticket under A's signature
    for bad in (token(service, a, days=-1), payload + "." + mac[::-1], foreign,
                token(service, a, COMMENT), "nonsense"):
        status, text = await mail.page(f"/portal/m/{bad}")
        assert status == 403
        await mail.page(f"/portal/m/{good}")  # a fresh CSRF token
        assert (await mail.post(f"/portal/m/{bad}", {}))[0] == 403
    _, text = await mail.page(f"/portal/m/{token(service, b, id_='b1')}")
    assert "ticket B" in text
    assert "ticket A" not in text
    for path in (f"/portal/tickets/{a}", "/portal/tickets", "/portal/desk/queue"):
        assert (await mail.page(path))[0] == 303  # to the sign-in
    assert (await mail.post(f"/portal/tickets/{a}/confirm", {}))[0] == 403


async def test_the_resolution_mail_carries_a_link_that_confirms(
        service: StoreService, people: Callable[[], Person]) -> None:
    assert isinstance(service.desk, ContractDesk)
    service.desk.confirm_links = ConfirmLinks("https://desk.msp.example", KEY, 7)
    ref = await resolved(people, "the printer is on fire")
    with Session(service.db.reader) as session:
        bodies = {row.kind: row.body for row in session.exec(
            select(OutboxMessage).where(OutboxMessage.customer == "acme"))}
    assert "/portal/m/" not in bodies["opened"]
    found = re.search(r"https://desk\.msp\.example(/portal/m/\S+)", bodies["resolved"])
    assert found is not None
    mail = people()
    await mail.page(found.group(1))
    assert (await mail.post(found.group(1), {}))[0] == 303
    _, text = await mail.page(found.group(1))
    assert ref in text
    assert '<dd class="status">closed</dd>' in text
