"""Forms no browser of ours sends: compressed. Each is a 4xx saying why, never a 500."""

from __future__ import annotations

import gzip
from collections.abc import Callable

from tests.portal.site import PASSWORD, Person

URLENCODED = "application/x-www-form-urlencoded"


async def _raw(person: Person, path: str, body: bytes, content_type: str,
               **headers: str) -> tuple[int, str]:
    async with person.http.post(path, data=body, allow_redirects=False, headers={
            "Content-Type": content_type, **headers}) as response:
        return response.status, await response.text()


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
