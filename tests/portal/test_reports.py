"""A month's report from the portal: the same report as `bridge report` and the API, as a
page, a spreadsheet or JSON; a customer's own only."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from bridge.availability.windows import WindowTallies
from bridge.core.availability import Tally
from tests.portal.site import Person, StoreService, Windows


async def test_a_customer_downloads_its_months_report_in_every_format(
        people: Callable[[], Person], service: StoreService) -> None:
    ann = people()
    await ann.sign_in("ann")
    month = service.now().strftime("%Y-%m")
    status, text = await ann.page("/portal/reports")
    assert status == 200
    assert f'href="/portal/reports/acme/{month}.html"' in text
    async with ann.http.get(f"/portal/reports/acme/{month}.json") as response:
        assert response.status == 200
        report = json.loads(await response.text())
    assert report["customer"] == "acme"
    async with ann.http.get(f"/portal/reports/acme/{month}.csv") as response:
        assert response.headers["Content-Disposition"] == \
            f'attachment; filename="acme-{month}.csv"'
    async with ann.http.get(f"/portal/reports/acme/{month}.html") as response:
        page = await response.text()
        csp = response.headers["Content-Security-Policy"]
    assert "<html" in page
    assert "script-src" not in csp
    assert csp.startswith("default-src 'none'")  # no script of any origin
    assert "frame-ancestors 'none'" in csp


async def test_another_customers_report_and_a_bad_month_are_refused(
        people: Callable[[], Person], service: StoreService) -> None:
    omid = people()
    await omid.sign_in("omid")
    month = service.now().strftime("%Y-%m")
    for url in (f"/portal/reports/acme/{month}.json", f"/portal/reports/nobody/{month}.json",
                f"/portal/reports/other/{month}.exe"):
        assert (await omid.page(url))[0] == 404, url
    assert (await omid.page("/portal/reports/other/2026-13.json"))[0] == 400
    assert (await omid.page(f"/portal/reports/other/{month}.json"))[0] == 200


async def test_a_customer_sees_its_devices_over_the_rolling_windows(
        people: Callable[[], Person], service: StoreService) -> None:
    """The tallies the daemon computed (the API's and /metrics' numbers), its own devices
    only, in its language; while nothing is computed yet, it says so."""
    ann, omid = people(), people()
    await ann.sign_in("ann")
    await omid.sign_in("omid")
    assert "Being computed" in (await ann.page("/portal/availability"))[1]
    now = service.now()
    day = WindowTallies(now - timedelta(days=1), now, {
        "gw": Tally(counted_s=86400, down_s=864), "other-srv": Tally(counted_s=86400)})
    service.latest = Windows({"1d": day}, now)
    status, text = await ann.page("/portal/availability")
    assert status == 200
    assert '<td class="">99.000 %</td>' in text
    assert "other-srv" not in text
    _, theirs = await omid.page("/portal/availability?customer=acme")  # its own, whatever asked
    assert "other-srv" in theirs
    assert ">gw<" not in theirs  # (a bare "gw" may be in the page's random CSRF token)
    assert "/devices/gw" not in theirs
    assert '<html lang="fa" dir="rtl">' in theirs
