"""Forms no browser of ours sends: compressed, in a charset that does not exist or does not
decode, a broken multipart body, text the store cannot keep. Each is a 4xx saying why, on
every form route, never a 500."""

from __future__ import annotations

import gzip
from collections.abc import Callable

import pytest

from tests.portal.site import PASSWORD, Person

URLENCODED = "application/x-www-form-urlencoded"


async def _raw(person: Person, path: str, body: bytes, content_type: str,
               **headers: str) -> tuple[int, str]:
    async with person.http.post(path, data=body, allow_redirects=False, headers={
            "Content-Type": content_type, **headers}) as response:
        return response.status, await response.text()


@pytest.mark.parametrize(("content_type", "body", "reason"), [
    (f"{URLENCODED}; charset=bogus-charset", b"name=ann",
     "400: the form cannot be read: unknown charset 'bogus-charset'"),
    (f"{URLENCODED}; charset=utf-32", b"name=ann",
     "400: the form cannot be read: it is not in its charset 'utf-32'"),
    ("multipart/form-data; boundary=x", b"name=ann",
     "400: the form cannot be read: Could not find starting boundary b'--x'"),
])
async def test_a_form_that_cannot_be_read_is_a_400_on_every_form_route(
        people: Callable[[], Person], content_type: str, body: bytes, reason: str) -> None:
    stranger, ann = people(), people()
    await stranger.page("/portal/sign-in")
    assert await _raw(stranger, "/portal/sign-in", body, content_type) == (400, reason)
    await ann.sign_in("ann")
    await ann.page("/portal/tickets/new")
    for path in ("/portal/tickets", "/portal/sign-out"):  # token in a header: read later
        assert await _raw(ann, path, body, content_type, **{"X-CSRF-Token": ann.csrf}) \
            == (400, reason), path
    assert (await ann.page("/portal/tickets"))[0] == 200  # still signed in, nothing opened


async def test_nul_in_a_field_is_a_400_naming_it(people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await ann.page("/portal/tickets/new")
    status, text, _ = await ann.post("/portal/tickets", {"summary": "printer\x00on fire"})
    assert (status, text) == (400, "400: summary: must not contain NUL (\\u0000)")
    status, _, location = await ann.post("/portal/tickets", {"summary": "printer on fire"})
    assert status == 303
    ref = location.rsplit("/", 1)[1]
    status, text, _ = await ann.post(f"/portal/tickets/{ref}/comment",
                                     {"message": "since\x009:00"})
    assert (status, text) == (400, "400: message: must not contain NUL (\\u0000)")
    await olga.sign_in("olga")
    await olga.page(f"/portal/desk/tickets/{ref}")
    status, text, _ = await olga.post(f"/portal/desk/tickets/{ref}/comment",
                                      {"message": "on\x00it"})
    assert (status, text) == (400, "400: message: must not contain NUL (\\u0000)")
    status, text, _ = await olga.post("/portal/sign-in", {"name": "olga\x00",
                                                          "password": PASSWORD})
    assert (status, text) == (400, "400: name: must not contain NUL (\\u0000)")


async def test_a_compressed_form_is_a_415_before_it_is_read(
        people: Callable[[], Person]) -> None:
    stranger = people()
    await stranger.page("/portal/sign-in")
    body = gzip.compress(f"name=ann&password={PASSWORD}&csrf_token={stranger.csrf}".encode())
    status, text = await _raw(stranger, "/portal/sign-in", body, URLENCODED,
                              **{"Content-Encoding": "gzip"})
    assert (status, text) == (415, "415: the body must not be compressed (Content-Encoding: "
                                   "gzip); send it as it is")
    assert (await stranger.page("/portal/tickets"))[0] == 303  # not signed in
