"""Signing in and staying signed in: passwords, limits on failures, the session cookie and
its timeouts, sign-out, CSRF tokens and origins, security headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy.exc import OperationalError

from bridge.portal.guard import COOKIE
from bridge.portal.passwords import hash_password
from bridge.store.users import set_disabled, set_password
from tests.portal.site import PASSWORD, Clocks, Person, StoreService, portal_app


async def test_a_person_signs_in_to_their_own_start_page(
        people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    assert (await ann.page("/portal/tickets"))[0] == 303  # to the sign-in page first
    status, _, location = await ann.sign_in("ann")
    assert (status, location) == (303, "/portal/")
    assert (await ann.page("/portal/"))[0] == 303
    status, text = await ann.page("/portal/tickets")
    assert status == 200
    assert "Signed in as Ann Acme" in text
    await olga.sign_in("olga")
    status, text = await olga.page("/portal/desk/queue")
    assert status == 200


async def test_the_cookie_is_httponly_samesite_lax_and_encrypted(
        people: Callable[[], Person]) -> None:
    ann = people()
    await ann.page("/portal/sign-in")
    async with ann.http.post("/portal/sign-in", data={
            "name": "ann", "password": PASSWORD, "csrf_token": ann.csrf},
            allow_redirects=False) as response:
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/portal/" in cookie
    assert "Secure" not in cookie  # cookie_secure = false: plain HTTP on loopback
    assert "ann" not in cookie.split(";")[0]  # the session's content is not readable


async def test_a_wrong_password_and_an_unknown_name_read_the_same(
        people: Callable[[], Person]) -> None:
    browser = people()
    wrong = await browser.sign_in("ann", "not the password")
    unknown = await browser.sign_in("nobody", "not the password")
    assert wrong[0] == unknown[0] == 401
    assert "Wrong user name or password." in wrong[1]
    assert "Wrong user name or password." in unknown[1]
    assert PASSWORD not in wrong[1]


async def test_failures_are_limited_per_name_and_per_address(
        people: Callable[[], Person], clocks: Clocks) -> None:
    """Five failures for ann: even her right password waits; the window passes, she is in.
    Five failures from one address for other names: that address waits too."""
    browser = people()
    for _ in range(5):
        assert (await browser.sign_in("ann", "guess"))[0] == 401
    status, text, _ = await browser.sign_in("ann")
    assert status == 429
    assert "Too many failed attempts. Try again in 5 min." in text
    clocks.advance(301)
    assert (await browser.sign_in("ann"))[0] == 303
    other = people()
    for i in range(5):
        assert (await other.sign_in(f"guess{i}", "guess"))[0] == 401
    assert (await other.sign_in("olga"))[0] == 429  # the same address (loopback)


async def test_sessions_end_when_idle_and_after_the_absolute_limit(
        people: Callable[[], Person], clocks: Clocks) -> None:
    ann = people()
    await ann.sign_in("ann")
    clocks.advance(1700)
    assert (await ann.page("/portal/tickets"))[0] == 200
    clocks.advance(1801)  # idle_timeout_s 1800
    status, _ = await ann.page("/portal/tickets")
    assert status == 303
    await ann.sign_in("ann")
    for _ in range(25):  # used every 30 min, for 12.5 h
        clocks.advance(1790)
        status, _ = await ann.page("/portal/tickets")
        if status != 200:
            break
    assert status == 303
    assert clocks.wall - 1_800_000_000.0 > 43200


async def test_sign_out_ends_the_session_even_for_a_copy_of_its_cookie(
        people: Callable[[], Person], service: StoreService, clocks: Clocks) -> None:
    """The cookie kept from before sign-out, replayed by another client to this instance
    or another on the same store, is signed out."""
    ann = people()
    await ann.sign_in("ann")
    await ann.page("/portal/tickets")
    [cookie] = [c for c in ann.http.cookie_jar if c.key == COOKIE]
    kept = {"Cookie": f"{COOKIE}={cookie.value}"}
    assert (await ann.post("/portal/sign-out", {}))[0] == 303
    assert (await ann.page("/portal/tickets"))[0] == 303
    second = TestServer(portal_app(service, clocks))
    await second.start_server()
    try:
        for server in (ann.server, second):
            async with ClientSession(base_url=server.make_url("")) as replay, replay.get(
                    "/portal/tickets", headers=kept, allow_redirects=False) as response:
                assert response.status == 303
                assert response.headers["Location"].startswith("/portal/sign-in")
    finally:
        await second.close()
    assert (await ann.sign_in("ann"))[0] == 303  # signing in again makes a new session
    assert (await ann.page("/portal/tickets"))[0] == 200


async def test_sign_out_with_the_store_down_still_signs_this_browser_out(
        people: Callable[[], Person], service: StoreService,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The store cannot keep the session ended: the browser is signed out all the same
    (never a 500 that leaves it signed in)."""
    ann = people()
    await ann.sign_in("ann")
    await ann.page("/portal/tickets")

    async def down(_fn: object) -> None:
        raise OperationalError("INSERT", {}, Exception("the store is down"))

    monkeypatch.setattr(service, "write", down)
    assert (await ann.post("/portal/sign-out", {}))[0] == 303
    assert (await ann.page("/portal/tickets"))[0] == 303


async def test_a_new_password_or_a_disabled_account_ends_its_sessions(
        people: Callable[[], Person], service: StoreService) -> None:
    ann, omid = people(), people()
    await ann.sign_in("ann")
    await omid.sign_in("omid")
    now = datetime.now(UTC)
    set_password(service.db.writer, "ann", hash_password("another password!"), now)
    set_disabled(service.db.writer, "omid", True, now)
    assert (await ann.page("/portal/tickets"))[0] == 303
    assert (await omid.page("/portal/tickets"))[0] == 303
    assert (await omid.sign_in("omid"))[0] == 401
    assert (await ann.sign_in("ann", "another password!"))[0] == 303


async def test_a_form_without_its_token_or_from_another_site_is_403(
        people: Callable[[], Person]) -> None:
    ann = people()
    await ann.sign_in("ann")
    await ann.page("/portal/tickets/new")
    form = {"summary": "printer on fire"}
    assert (await ann.post("/portal/tickets", form, token=False))[0] == 403
    assert (await ann.post("/portal/tickets", {**form, "csrf_token": "forged"},
                           token=False))[0] == 403
    assert (await ann.post("/portal/tickets", form,
                           headers={"Origin": "https://evil.example"}))[0] == 403
    assert (await ann.post("/portal/sign-out", {}, token=False))[0] == 403
    _status, text = await ann.page("/portal/tickets")
    assert "printer on fire" not in text  # nothing was opened
    # a script's request carries the token in a header instead
    async with ann.http.post("/portal/tickets", data=form, allow_redirects=False,
                             headers={"X-CSRF-Token": ann.csrf}) as response:
        assert response.status == 303
    # a sign-in form needs its token too (no logging people in from another site)
    stranger = people()
    assert (await stranger.post("/portal/sign-in", {"name": "ann", "password": PASSWORD},
                                token=False))[0] == 403


async def test_every_answer_has_the_security_headers(people: Callable[[], Person]) -> None:
    browser = people()
    for path in ("/portal/sign-in", "/portal/static/portal.css", "/portal/tickets"):
        async with browser.http.get(path, allow_redirects=False) as response:
            csp = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert "frame-ancestors 'none'" in csp
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    _, text = await browser.page("/portal/sign-in")
    assert "<script>" not in text
    assert "onclick" not in text
    assert "style=" not in text


async def test_instances_on_one_store_count_the_failures_together(
        people: Callable[[], Person], service: StoreService, clocks: Clocks) -> None:
    """Three failures on one instance, two on another: the fifth is the limit on both (a
    guesser gains nothing by spreading tries over the instances behind a balancer)."""
    second = TestServer(portal_app(service, clocks))  # another instance, the same store
    await second.start_server()
    try:
        here, there = people(), Person(second)
        for _ in range(3):
            assert (await here.sign_in("ann", "guess"))[0] == 401
        for _ in range(2):
            assert (await there.sign_in("ann", "guess"))[0] == 401
        assert (await here.sign_in("ann"))[0] == 429
        assert (await there.sign_in("ann"))[0] == 429
        await there.close()
    finally:
        await second.close()
