"""The desk's devices page: every device with its checks, and the maintenance windows the
desk adds and ends there (the API's rules)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import FormData

from bridge.portal.pages import measured
from tests.portal.site import Person, StoreService


async def _post_window(olga: Person, devices: list[str], start: str, end: str,
                       reason: str) -> int:
    await olga.page("/portal/desk/devices")
    form = FormData([("csrf_token", olga.csrf), ("start", start), ("end", end),
                     ("reason", reason), *(("devices", d) for d in devices)])
    async with olga.http.post("/portal/desk/maintenance", data=form,
                              allow_redirects=False) as response:
        return response.status


async def test_the_desk_adds_and_ends_a_maintenance_window(
        people: Callable[[], Person], service: StoreService) -> None:
    olga = people()
    await olga.sign_in("olga")
    status, text = await olga.page("/portal/desk/devices")
    assert status == 200
    assert "gw" in text
    assert "other-srv" in text
    next_year = service.now().year + 1
    assert await _post_window(olga, ["gw"], f"{next_year}-01-02T00:00",
                              f"{next_year}-01-02T02:00", "firmware upgrade") == 303
    [window] = await service.maintenance_windows()
    assert (window.devices, window.reason, window.created_by) == (
        ["gw"], "firmware upgrade", "Olga Operator")
    _, text = await olga.page("/portal/desk/devices")
    assert f"api-{window.id}" in text
    assert "firmware upgrade" in text
    status, _, _ = await olga.post(f"/portal/desk/maintenance/{window.id}/end", {})
    assert status == 303
    assert await service.maintenance_windows() == []
    assert (await olga.post(f"/portal/desk/maintenance/{window.id}/end", {}))[0] == 404


async def test_a_window_the_api_would_refuse_is_refused_here_too(
        people: Callable[[], Person], service: StoreService) -> None:
    olga, ann = people(), people()
    await olga.sign_in("olga")
    await ann.sign_in("ann")
    year = service.now().year
    for devices, start, end in ((["gw"], f"{year + 1}-01-02T02:00", f"{year + 1}-01-02T01:00"),
                                ([], f"{year + 1}-01-02T00:00", f"{year + 1}-01-02T01:00"),
                                (["nope"], f"{year + 1}-01-02T00:00", f"{year + 1}-01-02T01:00"),
                                (["gw"], "yesterday", "tomorrow")):
        assert await _post_window(olga, devices, start, end, "x") == 400, (devices, start)
    assert await service.maintenance_windows() == []
    assert await _post_window(ann, ["gw"], f"{year + 1}-01-02T00:00",
                              f"{year + 1}-01-02T01:00", "mine") == 403
    assert (await ann.page("/portal/desk/devices"))[0] == 403


def test_a_measurement_reads_in_its_unit() -> None:
    assert measured("rtt_avg_s", 7.06e-05) == "rtt avg 0.0706 ms"
    assert measured("connect_s", 1.5) == "connect 1.5 s"
    assert measured("loss_ratio", 0.25) == "loss 25 %"
    assert measured("cert_days_left", 12.0) == "cert 12 days left"
    assert measured("hrProcessorLoad", 37.0) == "hrProcessorLoad 37"


async def test_a_devices_row_links_its_open_ticket_until_it_closes(
        people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    await ann.page("/portal/tickets/new")
    status, _, location = await ann.post("/portal/tickets",
                                         {"summary": "gw reboots", "device": "gw"})
    assert status == 303
    ref = location.rsplit("/", 1)[1]
    _, text = await olga.page("/portal/desk/devices")
    gw_row = text.split('<th scope="row">gw</th>', 1)[1].split("</tr>", 1)[0]
    assert f'href="/portal/desk/tickets/{ref}"' in gw_row
    other_row = text.split('<th scope="row">other-srv</th>', 1)[1].split("</tr>", 1)[0]
    assert ref not in other_row
    for action in ("resolve", "confirm"):
        await olga.page(f"/portal/desk/tickets/{ref}")
        assert (await olga.post(f"/portal/desk/tickets/{ref}/{action}", {}))[0] == 303
    _, text = await olga.page("/portal/desk/devices")
    assert ref not in text
