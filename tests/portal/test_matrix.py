"""Every portal route by every role and customer: nobody signed in, an operator, acme's user
on acme's ticket, other's user on acme's ticket. Another customer's ticket is a 404, exactly
as a missing one; the desk's pages are the desk's; nothing of acme's reaches other."""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

from bridge.config.portal import PortalSection
from bridge.portal.app import build_portal
from bridge.store.reads import get_incident
from tests.portal.site import SECRET, Person, StoreService

# (method, path, form, expected status for: nobody, operator, acme on its own, other on acme's)
# {own} is acme's ticket; {record} its supplier record. 303 to the sign-in page for nobody's
# GETs (a POST without a session is refused), 303 after a form that worked.
ROUTES: list[tuple[str, str, dict[str, str], tuple[int, int, int, int]]] = [
    ("GET", "/portal/", {}, (303, 303, 303, 303)),
    ("GET", "/portal/sign-in", {}, (200, 200, 200, 200)),
    ("POST", "/portal/sign-in", {"name": "x", "password": "y"}, (401, 401, 401, 401)),
    ("GET", "/portal/tickets", {}, (303, 303, 200, 200)),  # operators: to the queue
    ("GET", "/portal/tickets/new", {}, (303, 303, 200, 200)),
    ("POST", "/portal/tickets", {"summary": "s", "device": "gw"}, (403, 303, 303, 404)),
    ("GET", "/portal/tickets/{own}", {}, (303, 200, 200, 404)),  # operators: the customer's view
    ("POST", "/portal/tickets/{own}/comment", {"message": "m"}, (403, 303, 303, 404)),
    ("GET", "/portal/desk/queue", {}, (303, 200, 403, 403)),
    ("GET", "/portal/desk/queue/rows", {}, (303, 200, 403, 403)),
    ("GET", "/portal/desk/tickets/{own}", {}, (303, 200, 403, 403)),
    ("POST", "/portal/desk/tickets/{own}/supplier", {"supplier": "s"}, (403, 303, 403, 403)),
    ("POST", "/portal/desk/tickets/{own}/supplier/{record}", {"closed": "on"},
     (403, 303, 403, 403)),
    ("GET", "/portal/desk/devices", {}, (303, 200, 403, 403)),
    ("POST", "/portal/desk/maintenance", {"devices": "gw"}, (403, 400, 403, 403)),  # no times
    ("POST", "/portal/desk/maintenance/999/end", {}, (403, 404, 403, 403)),  # no such window
    ("GET", "/portal/availability", {}, (303, 200, 200, 200)),  # a customer: its own devices
    ("GET", "/portal/availability/devices/gw", {}, (303, 200, 200, 404)),
    ("GET", "/portal/statistics", {}, (303, 200, 200, 200)),  # a customer: its own month
    ("GET", "/portal/reports", {}, (303, 200, 200, 200)),  # a customer: its own months
    ("GET", "/portal/reports/acme/{month}.html", {}, (303, 200, 200, 404)),
    ("GET", "/portal/reports/acme/{month}.csv", {}, (303, 200, 200, 404)),
    ("GET", "/portal/reports/acme/{month}.json", {}, (303, 200, 200, 404)),
    ("GET", "/portal/static/portal.css", {}, (200, 200, 200, 200)),
    ("POST", "/portal/sign-out", {}, (403, 303, 303, 303)),  # last: it ends the sessions
]


def test_the_matrix_names_every_route() -> None:
    app = web.Application()
    app.add_subapp("/portal/", build_portal(None, PortalSection(), SECRET))  # type: ignore[arg-type]
    served = {(r.method, str(r.resource.canonical).replace("{filename}", "portal.css"))
              for r in app.router.routes() if r.method != "HEAD" and r.resource is not None}
    served = {(m, p.replace("{ref}", "{own}").replace("{customer}", "acme")) for m, p in served}
    served = {(m, "/portal/static/portal.css" if p.startswith("/portal/static") else p)
              for m, p in served}
    listed = {(m, re.sub(r"\.(html|csv|json)$", ".{format}", p).replace(
        "/comment", "/{action}").replace("/supplier", "/{action}").replace("/999/", "/{id}/")
        .replace("/devices/gw", "/devices/{device}"))
        for m, p, _, _ in ROUTES}
    assert served == listed, f"routes without a row: {served - listed}; " \
                             f"rows without a route: {listed - served}"


async def test_route_by_role_and_customer(people: Callable[[], Person],
                                          service: StoreService) -> None:
    nobody, olga, ann, omid = people(), people(), people(), people()
    for person, name in ((olga, "olga"), (ann, "ann"), (omid, "omid")):
        assert (await person.sign_in(name))[0] == 303
    await ann.page("/portal/tickets/new")
    _, _, location = await ann.post("/portal/tickets", {"summary": "ACME-ONLY printer"})
    own = location.rsplit("/", 1)[1]
    await olga.page(f"/portal/desk/tickets/{own}")
    await olga.post(f"/portal/desk/tickets/{own}/supplier", {"supplier": "ACME-SUPPLIER"})
    ticket = await service.read(lambda e: get_incident(e, own))
    assert ticket is not None
    [record] = ticket["records"]["supplier"]
    for method, path, form, expected in ROUTES:
        url = path.replace("{own}", own).replace("{record}", str(record["id"])).replace(
            "{month}", service.now().strftime("%Y-%m"))
        # the least privileged first, so a refused request cannot hide a state change
        for index, person in ((0, nobody), (3, omid), (2, ann), (1, olga)):
            if method == "GET":
                status, text = await person.page(url)
            else:
                await person.page("/portal/sign-in")  # a fresh token from a page it may read
                status, text, _ = await person.post(url, form)
            assert status == expected[index], (index, method, url, text[:300])
            if person is omid:
                assert "ACME" not in text, (method, url)
