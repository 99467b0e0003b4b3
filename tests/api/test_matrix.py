"""Every route by every role and customer: who gets in, who is refused, what a customer
sees of what it may read (the public timeline of its own tickets, its own part of a shared
maintenance window), and nobody learns about another customer's tickets (a 404, exactly as
for a ticket that does not exist)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bridge.api.openapi import describe
from bridge.api.routes import build_app
from bridge.core.decisions import AttachToIncident, OpenIncident
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.store import Database
from bridge.store.decisions import apply_batch
from tests.kits.daemon import Bridge, free_port, wait_for, write_deployment
from tests.kits.notify_peers import MailSink

ACME, OTHER = "acme-secret-token", "other-secret-token"
NEXT_YEAR = datetime.now(UTC).year + 1  # a maintenance window starts within a year


# What only the desk may read: its people's addresses, an internal note, the reasons of
# windows that are not (only) acme's. None of it may reach acme's or other's token.
# The probe output and the rule of acme's monitoring ticket are the desk's too.
PROBE_OUTPUT = "old-router (10.9.9.1) is down: ping failed: 0/3 replies"
STAFF_ONLY = ("duty@msp.example.com", "seniors@msp.example.com", "INTERNAL: on credit hold",
              "SHARED-REASON", PROBE_OUTPUT, "ping failed", "rule down")
# ... and what is the other customer's.
THEIRS = {"acme": ("OTHER-REASON", "other-srv", "other's"), "other": ("ACME-REASON", "acme's")}
CONTRACTS = """
[customers.acme.contract]
notify = ["mailto:it@acme.example.com"]

[customers.acme.contract.tiers]
tier1 = ["mailto:duty@msp.example.com"]
tier3 = ["mailto:seniors@msp.example.com"]
"""
# acme's ticket for a router it had, with a device of acme's and one of other's behind it.
OLD_ROUTER = "check:old-router/ping"


def _seed(root: Path) -> None:
    db = Database(f"sqlite:///{root / 'var' / 'bridge.db'}")
    db.migrate()
    t0 = datetime.now(UTC) - timedelta(hours=1)
    apply_batch(db.writer, [
        OpenIncident(OLD_ROUTER, CheckKey("old-router", "ping"), "acme", Priority.P2, "down",
                     t0, PROBE_OUTPUT),
        AttachToIncident(OLD_ROUTER, CheckKey("gw", "ping"), t0, "gw unreachable"),
        AttachToIncident(OLD_ROUTER, CheckKey("other-srv", "ping"), t0,
                         "other-srv unreachable"),
    ], "INC", t0)
    db.dispose()


@pytest.fixture(scope="module")
def mail() -> Iterator[int]:
    """A real SMTP server on loopback for the contracts' receivers; its port."""
    port = free_port()
    controller = Controller(MailSink(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          mail: int) -> Iterator[tuple[Bridge, str, str]]:
    """A daemon with tokens for the operator, acme and other; one ticket of each customer,
    and a busy one of acme's with an internal note, escalation and messages to the desk's
    people; maintenance windows of acme's, of other's, and one they share."""
    root: Path = tmp_path_factory.mktemp("matrix")
    config = write_deployment(root, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"},
                              customer_token=True, metrics_auth=True)
    (root / "secrets" / "other.token").write_text(OTHER + "\n")
    with config.open("a") as f:
        f.write('\n[[api.tokens]]\nname = "other-portal"\nrole = "customer"\n'
                'customer = "other"\nsecret = "file:secrets/other.token"\n'
                f'\n[notifications.smtp]\nhost = "127.0.0.1"\nport = {mail}\n'
                'sender = "bridge@msp.example.com"\n')
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write(CONTRACTS)
    _seed(root)
    bridge = Bridge(config)
    acme = bridge.request("POST", "/api/v1/incidents", ACME, {"summary": "acme's"})[1]["id"]
    other = bridge.request("POST", "/api/v1/incidents", OTHER, {"summary": "other's"})[1]["id"]
    busy = bridge.request("POST", "/api/v1/incidents", ACME, {"summary": "busy"})[1]["id"]
    for action, body in (("comment", {"message": STAFF_ONLY[2], "internal": True}),
                         ("comment", {"message": "we are on it"}),
                         ("escalate", {"tier": 3})):
        assert bridge.request("POST", f"/api/v1/incidents/{busy}/{action}", "ops", body)[0] == 200
    wait_for("tier 1 told at opening", lambda: [
        e for e in bridge.get(f"/api/v1/incidents/{busy}")["timeline"]
        if e["kind"].startswith("notified") and "duty@" in e["message"]])
    for devices, customers, reason in ((["gw", "other-srv"], [], "SHARED-REASON"),
                                       (["gw"], [], "ACME-REASON"),
                                       ([], ["other"], "OTHER-REASON")):
        assert bridge.request("POST", "/api/v1/maintenance", "ops", {
            "devices": devices, "customers": customers, "reason": reason,
            "start": f"{NEXT_YEAR}-01-02T00:00:00Z",
            "end": f"{NEXT_YEAR}-01-02T01:00:00Z"})[0] == 201
    yield bridge, acme, other
    bridge.stop()


# (method, path, body, expected status for: no token, operator, acme on its own, other on acme's)
# Paths use {own} for acme's ticket. A customer acting on another customer's ticket gets the
# 404 a missing ticket gets; a customer's own ticket answers 403 for operator-only actions.
ROUTES: list[tuple[str, str, Any, tuple[int, int, int, int]]] = [
    ("GET", "/healthz", None, (200, 200, 200, 200)),
    ("GET", "/readyz", None, (200, 200, 200, 200)),
    ("GET", "/metrics", None, (401, 200, 403, 403)),  # metrics_auth: it spans customers
    ("GET", "/api/v1/openapi.json", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/devices", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/incidents", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/incidents/{own}", None, (401, 200, 200, 404)),
    ("POST", "/api/v1/incidents", {"summary": "x", "customer": "acme"}, (401, 201, 201, 404)),
    ("POST", "/api/v1/incidents/{own}/comment", {"message": "hi"}, (401, 200, 200, 404)),
    ("POST", "/api/v1/incidents/{own}/ack", {}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/assign", {"assignee": "a"}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/eta", {"eta": "2099-01-01T00:00:00Z"},
     (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/wait", {"on": "customer"}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/resume", {}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/escalate", {"tier": 2}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/supplier", {"supplier": "s"}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/supplier/{record}", {"closed": True},
     (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/onsite",
     {"technician": "t", "scheduled_at": "2099-01-01T00:00:00Z"}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/onsite/{record}", {"arrived": True},
     (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/loaner", {"device": "d"}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/loaner/{record}", {"returned": True},
     (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/resolve", {}, (401, 200, 403, 404)),
    ("POST", "/api/v1/incidents/{own}/close", {}, (401, 409, 403, 404)),  # silence not over
    ("POST", "/api/v1/incidents/{own}/confirm", {}, (401, 409, 200, 404)),  # acme closed it
    ("POST", "/api/v1/incidents/{own}/reopen", {}, (401, 409, 200, 404)),  # ... and reopened
    ("GET", "/api/v1/availability", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/reports/{customer}/{month}", None, (401, 200, 200, 404)),  # acme's month
    ("GET", "/api/v1/maintenance", None, (401, 200, 200, 200)),
    ("POST", "/api/v1/maintenance", {"devices": ["gw"], "start": f"{NEXT_YEAR}-01-01T00:00:00Z",
                                     "end": f"{NEXT_YEAR}-01-01T01:00:00Z"},
     (401, 201, 403, 403)),
    ("DELETE", "/api/v1/maintenance/{window}", None, (401, 204, 403, 403)),
    ("POST", "/api/v1/devices/{device}/interfaces/learn", None, (401, 200, 403, 403)),
    ("POST", "/-/reload", None, (401, 200, 403, 403)),
    ("GET", "/api/v1/outbox", None, (401, 200, 403, 403)),
    ("POST", "/api/v1/outbox/999/retry", None, (401, 404, 403, 403)),  # no such dead letter
    ("GET", "/api/v1/intake/mail", None, (401, 200, 403, 403)),  # the customers' mail
]


def test_the_matrix_names_every_route() -> None:
    class Quiet:
        def tokens(self) -> tuple[()]:
            return ()

        def metrics_public(self) -> bool:
            return True

    spec = describe(build_app(Quiet()))  # type: ignore[arg-type]
    served = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    listed = {(m, p.replace("{own}", "{id}").replace("{window}", "{id}").replace("999", "{id}"))
              for m, p, _, _ in ROUTES}
    assert served == listed, f"routes without a row: {served - listed}; " \
                             f"rows without a route: {listed - served}"


def test_a_browsers_own_favicon_request_is_a_404_not_a_401(
        world: tuple[Bridge, str, str]) -> None:
    # browsers ask for /favicon.ico by themselves: no icon there, and no "401" log line
    bridge, _, _ = world
    for caller in (None, "ops", ACME):
        assert bridge.request("GET", "/favicon.ico", caller)[0] == 404


def _record_id(bridge: Bridge, ref: str, kind: str) -> int:
    records = bridge.get(f"/api/v1/incidents/{ref}")["records"][kind]
    return int(records[-1]["id"]) if records else 999


@pytest.mark.parametrize(("method", "path", "body", "expected"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_route_by_role_and_customer(world: tuple[Bridge, str, str], method: str, path: str,
                                    body: Any, expected: tuple[int, int, int, int]) -> None:
    bridge, acme_ticket, _ = world
    template = path.replace("{own}", "{id}").replace("{window}", "{id}").replace("999", "{id}")
    answers = bridge.get("/api/v1/openapi.json")["paths"][template]
    callers = [None, "ops", ACME, OTHER]
    # Run the callers least-privileged first, so a refused call cannot hide a state change.
    for index in (0, 3, 2, 1):
        url = path.replace("{own}", acme_ticket).replace("{customer}", "acme").replace(
            "{device}", "gw").replace(
            "{month}", datetime.now(UTC).strftime("%Y-%m"))
        if "{record}" in url:
            kind = url.split("/")[-2]
            url = url.replace("{record}", str(_record_id(bridge, acme_ticket, kind)))
        if "{window}" in url:
            windows = bridge.get("/api/v1/maintenance")["windows"]
            api = [w["id"] for w in windows if w["source"] == "api"]
            url = url.replace("{window}", str(max(api)) if api else "999")  # the newest
        sent = body
        if path == "/api/v1/incidents" and method == "POST" and callers[index] == ACME:
            sent = {"summary": "x"}  # a customer reports for itself
        status, answer = bridge.request(method, url, callers[index],
                                        sent if method != "GET" else None)
        assert status == expected[index], (callers[index], url, answer)
        assert str(status) in answers[method.lower()]["responses"], \
            f"{method} {path} answers {status}, which its OpenAPI description does not list"
        if status in (403, 404) and isinstance(answer, dict):
            assert "error" in answer
            assert "other's" not in str(answer)
        if index in (2, 3) and status < 300:
            _assert_only_its_own(answer, "acme" if index == 2 else "other")
        elif index == 1 and isinstance(answer, dict):
            for ticket in _tickets(answer):
                assert set(ticket) == (SHOWN | STAFF_FIELDS if "timeline" in ticket
                                       else LISTED | {"rule"})


# The fields of a ticket a customer sees, as listed and as shown (with its timeline);
# operators also see the rule that opened it and its escalation plan.
LISTED = {"id", "status", "priority", "tier", "flapping", "customer", "device", "probe",
          "summary", "started_at", "opened_at", "resolved_at", "updated_at", "source",
          "reported_by", "assignee", "acknowledged_at", "assigned_at", "closed_at",
          "confirmed_at", "waiting_since", "eta", "reaction_due_at", "resolution_due_at"}
SHOWN = LISTED | {"attached", "timeline", "records", "sla", "timezone", "sla_outcome"}
STAFF_FIELDS = {"rule", "escalation"}
# Timeline entries only the desk sees.
STAFF_KINDS = {"note", "notified_staff", "escalated", "escalation_step", "sla_warning",
               "attached", "detached"}
DEVICES = {"acme": {"gw"}, "other": {"other-srv"}}


def _tickets(answer: Any) -> list[dict[str, Any]]:
    if not isinstance(answer, dict):
        return []
    return list(answer["incidents"]) if "incidents" in answer else \
        [answer] if "timeline" in answer else []


def _assert_only_its_own(answer: Any, customer: str) -> None:
    """What a customer's token got holds nothing of the desk's or of anyone else's."""
    text = json.dumps(answer) if not isinstance(answer, str) else answer
    for secret in (*STAFF_ONLY, *THEIRS[customer]):
        assert secret not in text
    for ticket in _tickets(answer):
        assert ticket["customer"] == customer
        assert set(ticket) == (SHOWN if "timeline" in ticket else LISTED), ticket
        if "timeline" in ticket:
            assert not {e["kind"] for e in ticket["timeline"]} & STAFF_KINDS, ticket["timeline"]
            assert {a["device"] for a in ticket["attached"]} <= DEVICES[customer]
            assert all(m["breach"] for m in ticket["sla"])
            told = [e["message"].split(" -> ")[1] for e in ticket["timeline"]
                    if e["kind"] == "notified"]
            assert all(r == f"mailto:it@{customer}.example.com" for r in told), told
    for window in answer.get("windows", []) if isinstance(answer, dict) else []:
        assert set(window["devices"]) <= DEVICES[customer], window
        assert set(window["customers"]) <= {customer}, window


def test_a_customer_lists_only_its_own(world: tuple[Bridge, str, str]) -> None:
    bridge, acme_ticket, other_ticket = world
    acme_ids = [t["id"] for t in bridge.get("/api/v1/incidents", ACME)["incidents"]]
    assert acme_ticket in acme_ids
    assert other_ticket not in acme_ids
    assert bridge.request("GET", "/api/v1/incidents?customer=other", ACME)[0] == 404
    devices = [d["id"] for d in bridge.get("/api/v1/devices", OTHER)["devices"]]
    assert devices == ["other-srv"]


def test_a_customer_sees_the_public_timeline_of_its_ticket(
        world: tuple[Bridge, str, str]) -> None:
    """An internal note, escalation and the messages to the desk's people are the desk's;
    the customer sees what happened and what it was told."""
    bridge, _, _ = world
    [busy] = [t["id"] for t in bridge.get("/api/v1/incidents")["incidents"]
              if t["summary"] == "busy"]
    desk = bridge.get(f"/api/v1/incidents/{busy}")
    shown = bridge.get(f"/api/v1/incidents/{busy}", ACME)
    kinds = [e["kind"] for e in desk["timeline"]]
    assert {"note", "notified_staff", "escalated", "escalation_step"} <= set(kinds)
    assert STAFF_ONLY[2] in json.dumps(desk)
    public = [(e["kind"], e["message"]) for e in desk["timeline"]
              if e["kind"] not in STAFF_KINDS]
    assert [(e["kind"], e["message"]) for e in shown["timeline"]] == public
    assert ("comment", "we are on it") in public
    assert any(k == "notified" and m.endswith("-> mailto:it@acme.example.com")
               for k, m in public)
    assert desk["escalation"]
    assert "escalation" not in shown
    # the answer to the customer's own action is its view too
    status, answered = bridge.request("POST", f"/api/v1/incidents/{busy}/comment", ACME,
                                      {"message": "thanks"})
    assert status == 200
    _assert_only_its_own(answered, "acme")
    assert bridge.request("GET", f"/api/v1/incidents/{busy}", OTHER)[0] == 404


def test_a_customer_sees_only_its_devices_behind_a_shared_parent(
        world: tuple[Bridge, str, str]) -> None:
    bridge, _, _ = world
    [ref] = [t["id"] for t in bridge.get("/api/v1/incidents")["incidents"]
             if t["summary"] == PROBE_OUTPUT]
    assert {a["device"] for a in bridge.get(f"/api/v1/incidents/{ref}")["attached"]} == \
        {"gw", "other-srv"}
    shown = bridge.get(f"/api/v1/incidents/{ref}", ACME)
    assert [a["device"] for a in shown["attached"]] == ["gw"]
    assert "other-srv" not in json.dumps(shown)


def test_a_customer_reads_a_monitoring_ticket_in_its_mails_words(
        world: tuple[Bridge, str, str]) -> None:
    """The rule and the probe's output stay the desk's; the customer reads the problem as
    its mail states it, in its summary and in the public "opened" entry."""
    bridge, _, _ = world
    [ref] = [t["id"] for t in bridge.get("/api/v1/incidents")["incidents"]
             if t["summary"] == PROBE_OUTPUT]
    desk = bridge.get(f"/api/v1/incidents/{ref}")
    [desk_opened] = [e["message"] for e in desk["timeline"] if e["kind"] == "opened"]
    assert PROBE_OUTPUT in desk_opened
    assert "rule down" in desk_opened
    shown = bridge.get(f"/api/v1/incidents/{ref}", ACME)
    plain = "Device old-router is not responding"
    assert shown["summary"] == plain
    assert [e["message"] for e in shown["timeline"] if e["kind"] == "opened"] == [plain]
    [listed] = [t for t in bridge.get("/api/v1/incidents", ACME)["incidents"]
                if t["id"] == ref]
    assert listed["summary"] == plain
    _assert_only_its_own(shown, "acme")


def test_a_customer_sees_its_own_part_of_a_shared_maintenance_window(
        world: tuple[Bridge, str, str]) -> None:
    """Windows of its devices only, listing only its devices; the reason of its own only."""
    bridge, _, _ = world

    def windows(token: str) -> dict[str, tuple[list[str], list[str], str | None]]:
        seen = bridge.get("/api/v1/maintenance", token)["windows"]
        return {w["name"]: (w["devices"], w["customers"], w["reason"]) for w in seen}

    names = {reason: name for name, (_, _, reason) in windows("ops").items()}
    shared, acme, other = names["SHARED-REASON"], names["ACME-REASON"], names["OTHER-REASON"]
    assert windows(ACME) == {shared: (["gw"], [], None), acme: (["gw"], [], "ACME-REASON")}
    assert windows(OTHER) == {shared: (["other-srv"], [], None),
                              other: ([], ["other"], "OTHER-REASON")}
    assert windows("ops")[shared] == (["gw", "other-srv"], [], "SHARED-REASON")


def test_the_contract_decides_a_reported_tickets_priority(
        world: tuple[Bridge, str, str]) -> None:
    """A customer proposes P1; acme's contract gives its reports P3 (reaction 2 h, not
    15 min), and the proposal is on the timeline. An operator's priority stands."""
    bridge, _, _ = world
    status, ticket = bridge.request("POST", "/api/v1/incidents", ACME,
                                    {"summary": "urgent!", "priority": "P1"})
    assert (status, ticket["priority"]) == (201, "P3")
    opened = datetime.fromisoformat(ticket["started_at"])
    assert datetime.fromisoformat(ticket["reaction_due_at"]) - opened == timedelta(hours=2)
    assert [(e["actor"], e["message"]) for e in ticket["timeline"]
            if e["kind"] == "proposed_priority"] == [
        ("customer", "proposed P1; the contract sets P3")]
    status, ticket = bridge.request("POST", "/api/v1/incidents", "ops",
                                    {"summary": "urgent", "customer": "acme", "priority": "P1"})
    assert (status, ticket["priority"]) == (201, "P1")
    opened = datetime.fromisoformat(ticket["started_at"])
    assert datetime.fromisoformat(ticket["reaction_due_at"]) - opened == timedelta(minutes=15)
    status, ticket = bridge.request("POST", "/api/v1/incidents", "ops",
                                    {"summary": "routine", "customer": "acme"})
    assert (status, ticket["priority"]) == (201, "P3")


# Values the deployment knows, for the free-text query parameters (ids in the inventory).
KNOWN_IDS = {"customer": "acme", "device": "gw"}


def _get(bridge: Bridge, url: str) -> tuple[int, str, Any]:
    """GET as the operator: status, media type and the body (JSON decoded)."""
    request = urllib.request.Request(bridge.url + url,
                                     headers={"Authorization": f"Bearer {bridge.token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, media, raw = response.status, response.headers.get_content_type(), \
                response.read()
    except urllib.error.HTTPError as exc:
        status, media, raw = exc.code, exc.headers.get_content_type(), exc.read()
    return status, media, json.loads(raw) if media == "application/json" else raw.decode()


def _valid_values(param: dict[str, Any]) -> list[str]:
    schema = param["schema"]
    if "enum" in schema:
        return [str(v) for v in schema["enum"]]
    if schema["type"] == "integer":
        return [str(schema["minimum"]), str(schema["default"]), str(schema["maximum"])]
    return [KNOWN_IDS[param["name"]]]


def _invalid_values(param: dict[str, Any]) -> list[str]:
    schema = param["schema"]
    if "enum" in schema:
        return ["no-such-value"]
    if schema["type"] == "integer":
        return [str(schema["minimum"] - 1), str(schema["maximum"] + 1), "1.5", "²"]
    return []


def test_each_get_route_takes_exactly_the_query_its_description_declares(
        world: tuple[Bridge, str, str]) -> None:
    """Every declared value works, bad ones and undeclared names are 400s naming them, and
    each answer comes in a media type the description lists."""
    bridge, acme_ticket, _ = world
    wait_for("availability", lambda: _get(bridge, "/api/v1/availability")[0] == 200)
    spec = bridge.get("/api/v1/openapi.json")
    month = datetime.now(UTC).strftime("%Y-%m")
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        op = operations["get"]
        url = path.replace("{id}", acme_ticket).replace("{customer}", "acme").replace(
            "{month}", month)
        media_types = op["responses"]["200"]["content"]
        for param in [p for p in op.get("parameters", []) if p["in"] == "query"]:
            name = param["name"]
            for value in _valid_values(param):
                query = f"{url}?{urllib.parse.urlencode({name: value})}"
                status, media, body = _get(bridge, query)
                assert (status, media in media_types) == (200, True), (query, media, body)
            for value in _invalid_values(param):
                query = f"{url}?{urllib.parse.urlencode({name: value})}"
                status, _, body = _get(bridge, query)
                assert (status, body["error"].split()[0]) == (400, name), (query, body)
        status, _, body = _get(bridge, f"{url}?undeclared=1")
        if path.startswith("/api/"):
            assert (status, body) == (400, {"error": "unknown query parameter(s): undeclared"})
        else:  # probes and scrapers are not ours to correct: extra names are ignored
            assert status == 200, (path, body)


def test_the_report_route_describes_its_formats(world: tuple[Bridge, str, str]) -> None:
    bridge, _, _ = world
    op = bridge.get("/api/v1/openapi.json")["paths"]["/api/v1/reports/{customer}/{month}"]["get"]
    [fmt] = [p for p in op["parameters"] if p["in"] == "query"]
    assert (fmt["name"], fmt["required"], fmt["schema"]) == (
        "format", False, {"type": "string", "enum": ["json", "csv", "html"], "default": "json"})
    assert list(op["responses"]["200"]["content"]) == ["application/json", "text/csv",
                                                       "text/html"]


def test_a_number_in_the_path_that_is_not_one_is_refused_not_a_crash(
        world: tuple[Bridge, str, str]) -> None:
    """Where the description types a path parameter as an integer, other text is a 4xx."""
    bridge, acme_ticket, _ = world
    spec = bridge.get("/api/v1/openapi.json")
    tried = 0
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            numbers = [p["name"] for p in op.get("parameters", [])
                       if p["in"] == "path" and p["schema"]["type"] == "integer"]
            for name in numbers:
                for bad in ("²", "1.5", "-1", "x"):
                    url = path.replace(f"{{{name}}}", urllib.parse.quote(bad)).replace(
                        "{id}", acme_ticket)
                    status, answer = bridge.request(method.upper(), url, "ops",
                                                    {} if method != "get" else None)
                    assert status in (400, 404), (method, url, status, answer)
                    tried += 1
    assert tried >= 8  # maintenance windows and the ticket records (supplier, on-site, loaner)


def test_report_downloads_are_named_for_the_customer_and_month(
        world: tuple[Bridge, str, str]) -> None:
    """A browser saves the CSV as a file named for whose month it is; the page opens inline."""
    bridge, _, _ = world
    month = datetime.now(UTC).strftime("%Y-%m")
    seen = {}
    for fmt in ("csv", "html", "json"):
        request = urllib.request.Request(f"{bridge.url}/api/v1/reports/acme/{month}?format={fmt}",
                                         headers={"Authorization": f"Bearer {ACME}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            seen[fmt] = response.headers.get("Content-Disposition")
    assert seen == {"csv": f'attachment; filename="acme-{month}.csv"',
                    "html": f'inline; filename="acme-{month}.html"', "json": None}
