"""A ticket's life through the API of a running daemon: legal moves, 409s, records, roles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.core.lifecycle import (
    Illegal,
    IncidentStatus,
    WaitingOn,
    target_status,
)
from bridge.desk.actions import Action
from tests.kits.daemon import Bridge, http_request, write_deployment

S = IncidentStatus


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    """A running daemon with an operator token and a customer token for acme."""
    root: Path = tmp_path_factory.mktemp("desk")
    bridge = Bridge(write_deployment(root, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"},
                                     customer_token=True))
    yield bridge
    bridge.stop()


ACME = "acme-secret-token"


def post(bridge: Bridge, path: str, body: Any = None, token: str = "ops") -> tuple[int, Any]:
    return bridge.request("POST", f"/api/v1/incidents{path}", token, body if body is not None
                          else {})


def new_ticket(bridge: Bridge, token: str = ACME, **fields: Any) -> dict[str, Any]:
    status, ticket = post(bridge, "", {"summary": "printer on fire", **fields}, token)
    assert status == 201, ticket
    return dict(ticket)


# ---- the pure table -------------------------------------------------------------------------

MOVES = [
    (S.OPEN, Action.ACK, None, S.ACKNOWLEDGED),
    (S.OPEN, Action.ASSIGN, None, S.ASSIGNED),
    (S.ACKNOWLEDGED, Action.ASSIGN, None, S.ASSIGNED),
    (S.ASSIGNED, Action.ASSIGN, None, S.ASSIGNED),  # reassign
    (S.IN_PROGRESS, Action.ASSIGN, None, S.IN_PROGRESS),
    (S.ASSIGNED, Action.WAIT, WaitingOn.CUSTOMER, S.WAITING_CUSTOMER),
    (S.ACKNOWLEDGED, Action.WAIT, WaitingOn.SUPPLIER, S.WAITING_SUPPLIER),
    (S.WAITING_CUSTOMER, Action.RESUME, None, S.IN_PROGRESS),
    (S.WAITING_SUPPLIER, Action.RESUME, None, S.IN_PROGRESS),
    (S.WAITING_SUPPLIER, Action.RESOLVE, None, S.RESOLVED),
    (S.OPEN, Action.RESOLVE, None, S.RESOLVED),
    (S.RESOLVED, Action.CONFIRM, None, S.CLOSED),
    (S.RESOLVED, Action.CLOSE, None, S.CLOSED),
    (S.RESOLVED, Action.REOPEN, None, S.OPEN),
    (S.CLOSED, Action.REOPEN, None, S.OPEN),
    (S.CLOSED, Action.COMMENT, None, S.CLOSED),
    (S.IN_PROGRESS, Action.ESCALATE, None, S.IN_PROGRESS),
    (S.RESOLVED, Action.LOANER, None, S.RESOLVED),  # the loaner comes back after the fix
]


@pytest.mark.parametrize(("status", "action", "waiting_on", "expected"), MOVES)
def test_legal_moves(status: IncidentStatus, action: Action, waiting_on: WaitingOn | None,
                     expected: IncidentStatus) -> None:
    assert target_status(status, action.spec.move, waiting_on) == expected


ILLEGAL = [(s, a) for a in Action for s in IncidentStatus if s not in a.spec.allowed_from]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_move_is_refused_with_its_reason(status: IncidentStatus,
                                                       action: Action) -> None:
    refused = target_status(status, action.spec.move)
    assert isinstance(refused, Illegal)
    assert f"cannot {action.value} a ticket that is {status.value}" in refused.reason


def test_the_table_covers_the_lifecycle() -> None:
    # every state is reachable from open, and closed is reachable from every active state
    assert len(ILLEGAL) > 40
    assert S.OPEN not in Action.CONFIRM.spec.allowed_from
    assert S.CLOSED not in Action.RESOLVE.spec.allowed_from


# ---- through the API ------------------------------------------------------------------------


def test_a_customer_ticket_lives_from_report_to_confirmation(desk: Bridge) -> None:
    ticket = new_ticket(desk, device="gw", priority="P2")
    ref = ticket["id"]
    assert ticket["status"] == "open"
    assert ticket["source"] == "customer"
    assert ticket["customer"] == "acme"
    assert ticket["device"] == "gw"
    assert ticket["reported_by"] == "acme-portal"
    assert ticket["priority"] == "P3"  # the contract's for reported tickets; P2 was proposed

    for path, body, status in [
        ("ack", {"message": "looking"}, "acknowledged"),
        ("assign", {"assignee": "alice"}, "assigned"),
        ("wait", {"on": "customer", "message": "which floor?"}, "waiting_customer"),
        ("resume", {}, "in_progress"),
        ("wait", {"on": "supplier"}, "waiting_supplier"),
        ("resolve", {"message": "replaced the fuser"}, "resolved"),
    ]:
        code, body_out = post(desk, f"/{ref}/{path}", body)
        assert code == 200, body_out
        assert body_out["status"] == status, (path, body_out["status"])

    code, done = post(desk, f"/{ref}/confirm", {"message": "works, thanks"}, ACME)
    assert code == 200
    assert done["status"] == "closed"
    assert done["assignee"] == "alice"
    assert done["confirmed_at"]
    assert done["closed_at"]
    kinds = [(e["kind"], e["actor"]) for e in done["timeline"] if e["actor"] != "system"]
    assert kinds == [("opened", "customer"), ("proposed_priority", "customer"),
                     ("acknowledged", "operator"),
                     ("assigned", "operator"), ("waiting", "operator"), ("resumed", "operator"),
                     ("waiting", "operator"), ("resolved", "operator"), ("confirmed", "customer")]
    assert next(e["message"] for e in done["timeline"] if e["kind"] == "waiting") == \
        "which floor?"
    assert [e for e in done["timeline"] if e["actor"] != "system"][-1]["author"] == "acme-portal"


def test_illegal_moves_are_409_and_change_nothing(desk: Bridge) -> None:
    ref = new_ticket(desk)["id"]
    code, body = post(desk, f"/{ref}/confirm")
    assert code == 409
    assert "cannot confirm a ticket that is open" in body["error"]
    code, body = post(desk, f"/{ref}/resume")
    assert code == 409
    assert "resume is allowed when: waiting_customer, waiting_supplier" in \
        body["error"]
    post(desk, f"/{ref}/resolve")
    code, body = post(desk, f"/{ref}/close")  # no confirmation, silence period not over
    assert code == 409
    assert "silence period" in body["error"]
    code, body = post(desk, f"/{ref}/escalate", {"tier": 3})
    assert code == 409
    assert "cannot escalate a ticket that is resolved" in body["error"]
    shown = desk.get(f"/api/v1/incidents/{ref}")
    assert shown["status"] == "resolved"
    assert [e["kind"] for e in shown["timeline"] if e["actor"] != "system"] == \
        ["opened", "resolved"]


def test_bad_input_is_400_with_a_reason(desk: Bridge) -> None:
    ref = new_ticket(desk)["id"]
    for path, body, fragment in [
        ("assign", {}, "assignee: Field required"),
        ("assign", {"assignee": "bob", "colour": "red"}, "colour: Extra inputs"),
        ("eta", {"eta": "tomorrow"}, "eta: Input should be a valid datetime"),
        ("eta", {"eta": "2030-01-01T10:00:00"}, "eta: Input should have timezone info"),
        ("escalate", {"tier": 5}, "tier: Input should be less than or equal to 4"),
        ("wait", {"on": "godot"}, "on: Input should be 'customer' or 'supplier'"),
    ]:
        code, out = post(desk, f"/{ref}/{path}", body)
        assert (code, fragment in out["error"]) == (400, True), (path, out)
    code, out = desk.request("POST", f"/api/v1/incidents/{ref}/ack", "ops", b"{not json")
    assert code == 400
    assert "not JSON" in out["error"]
    code, out = post(desk, f"/{ref}/dance")
    assert code == 404
    assert "no action 'dance'" in out["error"]
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    code, out = post(desk, f"/{ref}/eta", {"eta": past})
    assert code == 409
    assert "eta must be in the future" in out["error"]


def test_eta_escalation_and_records_are_on_the_ticket(desk: Bridge) -> None:
    ref = new_ticket(desk, device="gw")["id"]
    eta = (datetime.now(UTC) + timedelta(hours=4)).replace(microsecond=0)
    code, out = post(desk, f"/{ref}/eta", {"eta": eta.isoformat()})
    assert code == 200
    assert datetime.fromisoformat(out["eta"]) == eta
    code, out = post(desk, f"/{ref}/escalate", {"tier": 2, "message": "needs the designer"})
    assert code == 200
    assert out["tier"] == 2
    code, out = post(desk, f"/{ref}/escalate", {"tier": 2})
    assert code == 409
    assert "already at tier 2" in out["error"]

    due = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    code, out = post(desk, f"/{ref}/supplier",
                     {"supplier": "Cisco TAC", "reference": "SR 699-1", "due_at": due.isoformat()})
    assert code == 200, out
    supplier = out["records"]["supplier"][0]
    assert supplier["supplier"] == "Cisco TAC"
    assert supplier["reference"] == "SR 699-1"
    code, out = post(desk, f"/{ref}/supplier/{supplier['id']}", {"closed": True})
    assert code == 200
    assert out["records"]["supplier"][0]["closed_at"]
    code, out = post(desk, f"/{ref}/onsite", {"technician": "Ville",
                                               "scheduled_at": due.isoformat()})
    assert code == 200
    assert out["records"]["onsite"][0]["technician"] == "Ville"
    code, out = post(desk, f"/{ref}/loaner", {"device": "spare router", "serial": "FTX1"})
    loaner = out["records"]["loaner"][0]
    post(desk, f"/{ref}/resolve")
    code, out = post(desk, f"/{ref}/loaner/{loaner['id']}", {"returned": True})
    assert code == 200
    assert out["records"]["loaner"][0]["returned_at"]
    code, out = post(desk, f"/{ref}/loaner/999", {"returned": True})
    assert code == 404
    assert "no loaner record 999" in out["error"]
    kinds = [e["kind"] for e in desk.get(f"/api/v1/incidents/{ref}")["timeline"]
             if e["actor"] != "system"]
    assert kinds == ["opened", "eta_set", "escalated", "supplier_added", "supplier_updated",
                     "onsite_added", "loaner_added", "resolved", "loaner_updated"]


def test_a_retried_report_opens_one_ticket(desk: Bridge) -> None:
    body = {"summary": "email down"}
    first = desk.request("POST", "/api/v1/incidents", ACME, body)
    again = desk.request("POST", "/api/v1/incidents", ACME, body)
    assert first[0] == again[0] == 201
    assert first[1]["id"] != again[1]["id"]
    hdr = {"Authorization": f"Bearer {ACME}", "Content-Type": "application/json",
           "Idempotency-Key": "portal-42"}
    s1, r1 = http_request("POST", desk.url + "/api/v1/incidents", hdr, json.dumps(body).encode())
    s2, r2 = http_request("POST", desk.url + "/api/v1/incidents", hdr, json.dumps(body).encode())
    assert (s1, s2) == (201, 200)
    assert json.loads(r1)["id"] == json.loads(r2)["id"]


def test_the_cli_takes_every_action_a_user_types(desk: Bridge) -> None:
    ticket = desk.cli("create", "--customer", "acme", "--device", "gw", "--priority", "P2",
                      "core switch reboots")
    ref = ticket["id"]
    assert (ticket["source"], ticket["priority"], ticket["device"]) == ("operator", "P2", "gw")
    desk.cli("ack", ref, "-m", "on it")
    assert desk.cli("assign", ref, "bob")["assignee"] == "bob"
    shown = desk.cli("eta", ref, "+2h")
    eta = datetime.fromisoformat(shown["eta"])
    assert timedelta(hours=1, minutes=59) < eta - datetime.now(UTC) <= timedelta(hours=2)
    assert desk.cli("wait", ref, "--on", "supplier")["status"] == "waiting_supplier"
    desk.cli("supplier", ref, "Juniper JTAC", "--reference", "2026-1122-0042", "--due", "+1d")
    assert desk.cli("resume", ref)["status"] == "in_progress"
    assert desk.cli("escalate", ref, "4")["tier"] == 4
    desk.cli("comment", ref, "replacing the PSU", "--internal")
    assert desk.cli("resolve", ref)["status"] == "resolved"
    done = desk.cli("confirm", ref)
    assert done["status"] == "closed"
    assert done["records"]["supplier"][0]["reference"] == "2026-1122-0042"
    people = [e["kind"] for e in done["timeline"] if e["actor"] != "system"]
    assert people[-3:] == ["note", "resolved", "confirmed"]


def test_the_openapi_description_is_valid_and_lists_every_action(desk: Bridge) -> None:
    from openapi_spec_validator import validate

    spec = desk.get("/api/v1/openapi.json")
    validate(spec)
    for action in Action:
        assert "post" in spec["paths"][f"/api/v1/incidents/{{id}}/{action.value}"]
    assign = spec["paths"]["/api/v1/incidents/{id}/assign"]["post"]
    assert assign["requestBody"]["content"]["application/json"]["schema"]["required"] == \
        ["assignee"]
    assert assign["requestBody"]["required"] is True  # a body without assignee is a 400
    window = spec["paths"]["/api/v1/maintenance"]["post"]["requestBody"]
    assert window["content"]["application/json"]["schema"]["required"] == ["start", "end"]
    create = spec["paths"]["/api/v1/incidents"]["post"]
    assert [p["name"] for p in create["parameters"]] == ["Idempotency-Key"]
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert desk.request("GET", "/api/v1/openapi.json", None)[0] == 401
