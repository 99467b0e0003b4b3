"""Alertmanager, Grafana and PagerDuty-style posts to a running bridge, on SQLite and
PostgreSQL: tickets open, join, resolve and reopen; bad input is a 4xx with a reason."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.kits.daemon import Bridge, http_request, metric, running
from tests.kits.intake import AM_TOKEN, GRAFANA_HMAC, PD_KEY, T0, intake_deployment


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bridge(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    config = intake_deployment(tmp_path_factory.mktemp("intake"))
    pg = request.getfixturevalue("pg_admin_url") if request.param == "postgresql" else None
    with running(config, pg) as daemon:
        yield daemon


def alert(fingerprint: str, instance: str, status: str = "firing", *,
          starts_at: datetime = T0, severity: str = "critical", **extra: Any) -> dict[str, Any]:
    ends = "0001-01-01T00:00:00Z" if status == "firing" else \
        (starts_at + timedelta(minutes=5)).isoformat()
    return {"status": status, "labels": {"alertname": "DiskFull", "team": "acme",
                                         "instance": instance, "severity": severity},
            "annotations": {"summary": f"disk full on {instance}"},
            "startsAt": starts_at.isoformat(), "endsAt": ends,
            "generatorURL": "http://prometheus/graph", "fingerprint": fingerprint, **extra}


def webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    """An Alertmanager payload version 4 (the group key is the same for all: not our key)."""
    return {"version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "truncatedAlerts": 0,
            "status": "firing", "receiver": "bridge", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager", "alerts": list(alerts)}


def post(bridge: Bridge, path: str, body: Any, headers: dict[str, str] | None = None,
         token: str | None = AM_TOKEN) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    status, raw = http_request("POST", bridge.url + path, sent, data)
    return status, json.loads(raw) if raw[:1] == b"{" else raw.decode()


def tickets(bridge: Bridge, device: str) -> list[dict[str, Any]]:
    return list(bridge.get(f"/api/v1/incidents?device={device}")["incidents"])


def ticket(bridge: Bridge, ref: str, token: str = "ops") -> dict[str, Any]:
    found: dict[str, Any] = bridge.get(f"/api/v1/incidents/{ref}", token=token)
    return found


def test_a_firing_alert_opens_one_ticket_and_a_resend_changes_nothing(bridge: Bridge) -> None:
    status, answer = post(bridge, "/api/v1/intake/prom", webhook(alert("fp-db-1", "db-1:9100")))
    assert status == 200, answer
    [outcome] = answer["alerts"]
    assert outcome["action"] == "opened"
    ref = outcome["ticket"]
    status, again = post(bridge, "/api/v1/intake/prom", webhook(alert("fp-db-1", "db-1:9100")))
    assert status == 200
    assert again["alerts"] == [{"fingerprint": "fp-db-1", "action": "unchanged", "ticket": ref}]
    [only] = tickets(bridge, "db-1")
    assert only["id"] == ref
    shown = ticket(bridge, ref)
    assert shown["customer"] == "acme"
    assert shown["priority"] == "P1"  # severity critical
    assert shown["status"] == "open"
    assert datetime.fromisoformat(shown["started_at"]) == T0  # the reaction clock's start
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds.count("alert_payload") == 1  # the resend added nothing
    payload = next(e for e in shown["timeline"] if e["kind"] == "alert_payload")
    assert json.loads(payload["message"])["fingerprint"] == "fp-db-1"
    seen = ticket(bridge, ref, token="acme-secret-token")  # the customer's view
    assert "alert_payload" not in [e["kind"] for e in seen["timeline"]]
    # the rule that opened it is the desk's: the customer reads when and how urgent
    [desk_opened] = [e["message"] for e in shown["timeline"] if e["kind"] == "opened"]
    [told] = [e["message"] for e in seen["timeline"] if e["kind"] == "opened"]
    assert f"rule {shown['rule']}," in desk_opened
    assert told == desk_opened.replace(f", rule {shown['rule']},", ",")
    assert "intake:" not in json.dumps(seen)


def test_posts_at_once_are_each_answered_for_their_own_alerts(bridge: Bridge) -> None:
    # Posts that arrive together are decided in one transaction (intake/group_commit.py):
    # each answer still names its own alerts, in order, and one alert in all of them is
    # one ticket. (No device: each alert of its own is a ticket of its own.)
    def send(i: int) -> tuple[int, Any]:
        return post(bridge, "/api/v1/intake/prom", webhook(
            alert("fp-crowd", "crowd-0"), alert(f"fp-crowd-{i}", f"crowd-{i}")))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(1, 17)))
    assert [status for status, _ in answers] == [200] * 16
    shared = [answer["alerts"][0] for _, answer in answers]
    assert sorted(o["action"] for o in shared) == ["opened", *["unchanged"] * 15]
    [ref] = {o["ticket"] for o in shared}
    own = [answer["alerts"][1] for _, answer in answers]
    assert [o["fingerprint"] for o in own] == [f"fp-crowd-{i}" for i in range(1, 17)]
    assert {o["action"] for o in own} == {"opened"}
    assert len({o["ticket"] for o in own} | {ref}) == 17
    kinds = [e["kind"] for e in ticket(bridge, ref)["timeline"]]
    assert kinds.count("alert_payload") == 1  # the shared alert, taken once


def test_two_alerts_for_one_device_are_one_ticket_resolved_when_both_are(bridge: Bridge) -> None:
    _, first = post(bridge, "/api/v1/intake/prom", webhook(alert("fp-app-a", "app-1")))
    _, second = post(bridge, "/api/v1/intake/prom", webhook(alert("fp-app-b", "127.0.0.6:9100")))
    ref = first["alerts"][0]["ticket"]
    assert second["alerts"] == [{"fingerprint": "fp-app-b", "action": "attached", "ticket": ref}]
    assert [t["id"] for t in tickets(bridge, "app-1")] == [ref]
    _, one = post(bridge, "/api/v1/intake/prom", webhook(alert("fp-app-a", "app-1", "resolved")))
    assert one["alerts"][0]["action"] == "noted"  # the other still fires
    assert ticket(bridge, ref)["status"] == "open"
    _, both = post(bridge, "/api/v1/intake/prom",
                   webhook(alert("fp-app-b", "app-1", "resolved")))
    assert both["alerts"][0]["action"] == "resolved"
    assert ticket(bridge, ref)["status"] == "resolved"
    _, replay = post(bridge, "/api/v1/intake/prom",
                     webhook(alert("fp-app-b", "app-1", "resolved")))
    assert replay["alerts"][0]["action"] == "unchanged"


def test_a_flapping_alert_reopens_its_ticket(bridge: Bridge) -> None:
    # Times from now, not T0 (set when the module was imported): the alert's end is the
    # ticket's resolution, and the reopen window counts back from now.
    start = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
    _, opened = post(bridge, "/api/v1/intake/prom",
                     webhook(alert("fp-flap", "flap-1", starts_at=start)))
    ref = opened["alerts"][0]["ticket"]
    post(bridge, "/api/v1/intake/prom",
         webhook(alert("fp-flap", "flap-1", "resolved", starts_at=start)))
    assert ticket(bridge, ref)["status"] == "resolved"
    _, again = post(bridge, "/api/v1/intake/prom",
                    webhook(alert("fp-flap", "flap-1", starts_at=start + timedelta(minutes=10))))
    assert again["alerts"] == [{"fingerprint": "fp-flap", "action": "reopened", "ticket": ref}]
    assert [t["id"] for t in tickets(bridge, "flap-1")] == [ref]


def test_a_parents_full_disk_does_not_take_the_alerts_behind_it(bridge: Bridge) -> None:
    # gw answers its pings: a full disk there says nothing of web-1 behind it (an alert
    # behind a parent whose reachability checks are down joins the parent's ticket:
    # tests/store/test_alerts.py)
    _, parent = post(bridge, "/api/v1/intake/prom", webhook(alert("fp-gw", "gw")))
    _, child = post(bridge, "/api/v1/intake/prom", webhook(alert("fp-web", "web-1")))
    assert child["alerts"][0]["action"] == "opened"
    assert child["alerts"][0]["ticket"] != parent["alerts"][0]["ticket"]
    assert [t["id"] for t in tickets(bridge, "web-1")] == [child["alerts"][0]["ticket"]]


def test_grafana_signed_and_resolve_only_on_the_timeline(bridge: Bridge) -> None:
    body = json.dumps(webhook(alert("fp-graf", "x", severity="warning"),
                              ) | {"version": "1", "orgId": 1, "title": "[FIRING:1]"}).encode()
    body = body.replace(b'"instance": "x"', b'"instance": "x", "host": "other-srv"')
    bad = {"X-Grafana-Alerting-Signature": "0" * 64}
    assert post(bridge, "/api/v1/intake/graf", body, bad, token=None)[0] == 401
    assert post(bridge, "/api/v1/intake/graf", body, token=None)[0] == 401
    good = {"X-Grafana-Alerting-Signature":
            hmac.new(GRAFANA_HMAC.encode(), body, hashlib.sha256).hexdigest()}
    status, answer = post(bridge, "/api/v1/intake/graf", body, good, token=None)
    assert status == 200, answer
    ref = answer["alerts"][0]["ticket"]
    shown = ticket(bridge, ref)
    assert (shown["customer"], shown["device"], shown["priority"]) == ("other", "other-srv", "P3")
    resolved = body.replace(b'"status": "firing", "labels"', b'"status": "resolved", "labels"')
    signed = {"X-Bridge-Signature": "sha256=" + hmac.new(GRAFANA_HMAC.encode(), resolved,
                                                         hashlib.sha256).hexdigest()}
    status, answer = post(bridge, "/api/v1/intake/graf", resolved, signed, token=None)
    assert answer["alerts"][0]["action"] == "noted"
    shown = ticket(bridge, ref)
    assert shown["status"] == "open"
    assert "alert_resolved" in [e["kind"] for e in shown["timeline"]]


def test_a_grafana_batch_takes_its_valid_alerts_and_names_the_others(bridge: Bridge) -> None:
    """A 4xx would lose the good alerts with the bad (senders resend on 5xx only): a 200
    with the refused ones listed by index and reason."""
    no_status = alert("fp-graf-bad", "x")
    del no_status["status"]
    body = json.dumps(webhook(alert("fp-graf-batch", "x"), no_status)
                      | {"version": "1", "orgId": 1}).encode()
    body = body.replace(b'"instance": "x"', b'"instance": "x", "host": "other-srv"')
    signed = {"X-Grafana-Alerting-Signature":
              hmac.new(GRAFANA_HMAC.encode(), body, hashlib.sha256).hexdigest()}
    status, answer = post(bridge, "/api/v1/intake/graf", body, signed, token=None)
    assert status == 200, answer
    assert [a["fingerprint"] for a in answer["alerts"]] == ["fp-graf-batch"]
    assert answer["rejected"] == [{"index": 1, "error": "alerts[1].status: Field required"}]


def test_bad_input_is_a_4xx_with_a_reason(bridge: Bridge) -> None:
    url = "/api/v1/intake/prom"
    good = webhook(alert("fp-bad", "db-1"))
    assert post(bridge, "/api/v1/intake/nosuch", good)[0] == 404
    assert post(bridge, url, good, token="wrong")[0] == 401
    assert post(bridge, url, good, token=None)[0] == 401
    assert post(bridge, url, good, token=bridge.token)[0] == 401  # the API's tokens are not its
    status, answer = post(bridge, url, b"{not json")
    assert status == 400
    assert answer["error"].startswith("the body is not JSON")
    assert post(bridge, url, b"[]")[1] == {"error": "the body must be a JSON object"}
    assert post(bridge, url, {**good, "version": "3"})[0] == 400
    assert post(bridge, url, {**good, "alerts": "x"})[1] == {
        "error": "alerts: expected a list of alerts"}
    assert post(bridge, url, b"x" * (2**20 + 10))[0] == 413
    assert post(bridge, "/api/v1/intake/graf", b"{" + b" " * 5000 + b"}", token=None)[0] == 413
    no_fingerprint = alert("", "db-1")
    del no_fingerprint["fingerprint"]
    status, answer = post(bridge, url, webhook(no_fingerprint))
    assert status == 400
    assert answer["error"] == "alerts[0].fingerprint: Field required"
    status, answer = post(bridge, url, webhook(alert("fp-ok", "nodevice"),
                                               {**alert("fp-x", "db-1"), "startsAt": "soon"}))
    assert status == 200
    assert [a["action"] for a in answer["alerts"]] == ["opened"]
    assert answer["rejected"][0]["index"] == 1
    assert answer["rejected"][0]["error"].startswith("alerts[1].startsAt:")
    nul = alert("fp-nul\u0000", "db-1")
    assert post(bridge, url, webhook(nul))[0] == 400
    assert "Traceback" not in bridge.log()
    text = bridge.get("/metrics")  # labels in name order
    assert isinstance(text, str)
    assert (metric(text, "bridge_intake_refused_total", reason="unauthorized", source="prom")
            or 0) >= 3
    assert metric(text, "bridge_intake_refused_total", reason="unknown_source", source="")
    assert metric(text, "bridge_intake_refused_total", reason="too_large", source="prom")
    assert (metric(text, "bridge_intake_refused_total", reason="bad_alert", source="prom")
            or 0) >= 2
    assert metric(text, "bridge_intake_alerts_total", action="opened", source="prom")


def test_an_unrouted_alert_is_the_desks_own_ticket(bridge: Bridge) -> None:
    stray = alert("fp-stray", "db-1")
    stray["labels"]["team"] = "nobody"
    _, answer = post(bridge, "/api/v1/intake/prom", webhook(stray))
    shown = ticket(bridge, answer["alerts"][0]["ticket"])
    assert shown["customer"] == "bridge"
    assert shown["summary"].startswith("unrouted prom alert: DiskFull")


def test_pagerduty_events(bridge: Bridge) -> None:
    url = "/api/v1/intake/v2/enqueue"
    event = {"routing_key": PD_KEY, "event_action": "trigger", "dedup_key": "pd-1",
             "payload": {"summary": "UPS on battery", "source": "ups-1", "severity": "error",
                         "custom_details": {"load": 40}}}
    assert post(bridge, url, event, token=None) == (202, {
        "status": "success", "message": "Event processed", "dedup_key": "pd-1"})
    [shown] = tickets(bridge, "ups-1")
    assert (shown["customer"], shown["summary"], shown["status"]) == (
        "acme", "UPS on battery", "open")
    status, answer = post(bridge, url, {**event, "event_action": "acknowledge"}, token=None)
    assert status == 202
    timeline = ticket(bridge, shown["id"])["timeline"]
    assert "alert_acknowledged" in [e["kind"] for e in timeline]
    assert PD_KEY not in json.dumps(timeline)  # the routing key is a secret
    status, answer = post(bridge, url, {"routing_key": PD_KEY, "event_action": "resolve",
                                        "dedup_key": "pd-1"}, token=None)
    assert status == 202
    assert answer["dedup_key"] == "pd-1"
    status, answer = post(bridge, url, {k: v for k, v in event.items() if k != "dedup_key"},
                          token=None)
    assert status == 202
    assert len(answer["dedup_key"]) == 32  # chosen for the sender, as PagerDuty does
    assert post(bridge, url, {**event, "routing_key": "nope"}, token=None)[0] == 400
    status, answer = post(bridge, url, {**event, "event_action": "explode"}, token=None)
    assert status == 400
    assert answer["errors"][0].startswith("event_action:")
    assert post(bridge, url, {"routing_key": PD_KEY, "event_action": "resolve"},
                token=None)[1]["errors"] == ["dedup_key: required to resolve"]
    assert ticket(bridge, shown["id"])["status"] == "resolved"


def test_a_maintenance_window_holds_the_alert(bridge: Bridge) -> None:
    now = datetime.now(UTC)
    window = {"devices": ["held-1"], "start": (now - timedelta(minutes=1)).isoformat(),
              "end": (now + timedelta(hours=1)).isoformat(), "reason": "disk swap"}
    assert bridge.request("POST", "/api/v1/maintenance", body=window)[0] == 201
    status, answer = post(bridge, "/api/v1/intake/prom", webhook(alert("fp-held", "held-1")))
    assert status == 200
    assert answer["alerts"] == [{"fingerprint": "fp-held", "action": "held", "ticket": None}]
    assert tickets(bridge, "held-1") == []


def zabbix(status: str, host: str = "zbx-1", **more: Any) -> dict[str, Any]:
    return {"host": host, "clock": int(T0.timestamp()), "tags": {"customer": "acme"},
            "trigger": {"id": 4711, "name": "Free disk space is below 5%", "status": status},
            **more}


def test_a_generic_sender_opens_and_resolves_by_its_key(bridge: Bridge) -> None:
    url = "/api/v1/intake/zbx"
    status, answer = post(bridge, url, {"events": [zabbix("PROBLEM")]})
    assert status == 200, answer
    assert answer["alerts"][0]["fingerprint"] == "zbx-1/4711"
    assert answer["alerts"][0]["action"] == "opened"
    ref = answer["alerts"][0]["ticket"]
    assert post(bridge, url, {"events": [zabbix("PROBLEM")]})[1]["alerts"][0]["action"] == \
        "unchanged"
    shown = ticket(bridge, ref)
    assert (shown["customer"], shown["device"], shown["summary"]) == (
        "acme", "zbx-1", "Free disk space is below 5%")
    assert datetime.fromisoformat(shown["started_at"]) == T0
    no_host = zabbix("PROBLEM")
    del no_host["host"]
    status, answer = post(bridge, url, {"events": [zabbix("OK"), no_host, zabbix("MAYBE")]})
    assert status == 200
    assert [a["action"] for a in answer["alerts"]] == ["resolved"]
    assert [r["error"] for r in answer["rejected"]] == [
        "events[1]: host: required by the key '{host}/{trigger.id}'",
        "events[2]: trigger.status: 'maybe' is neither firing (problem) nor resolved (ok)"]
    assert ticket(bridge, ref)["status"] == "resolved"
    assert post(bridge, url, {"events": {}})[1] == {"error": "events: expected a list of alerts"}


RANGE = "must be from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z, got "
YEAR_1 = "0001-01-01T00:00:00+05:00"  # no UTC for it: before year 1
YEAR_10000 = "9999-12-31T23:59:59-14:00"  # nor for this: past year 9999


def test_a_time_out_of_range_refuses_its_alert_not_the_batch(bridge: Bridge) -> None:
    """It was a 503 for the whole batch (the store could not convert it), resent forever."""
    far_end = alert("fp-dates-end", "dates-1", "resolved")
    far_end["endsAt"] = YEAR_10000
    status, answer = post(bridge, "/api/v1/intake/prom", webhook(
        alert("fp-dates-ok", "dates-1"), {**alert("fp-dates-1", "dates-1"), "startsAt": YEAR_1},
        {**alert("fp-dates-2", "dates-1"), "startsAt": YEAR_10000}, far_end,
        {**alert("fp-dates-3", "dates-1"), "startsAt": "1969-12-31T23:59:59Z"}))
    assert status == 200, answer
    assert [a["fingerprint"] for a in answer["alerts"]] == ["fp-dates-ok"]
    assert answer["rejected"] == [
        {"index": 1, "error": f"alerts[1].startsAt: {RANGE}{YEAR_1}"},
        {"index": 2, "error": f"alerts[2].startsAt: {RANGE}{YEAR_10000}"},
        {"index": 3, "error": f"alerts[3].endsAt: {RANGE}{YEAR_10000}"},
        {"index": 4, "error": f"alerts[4].startsAt: {RANGE}1969-12-31T23:59:59+00:00"}]
    event = {"routing_key": PD_KEY, "event_action": "trigger", "dedup_key": "pd-dates",
             "payload": {"summary": "UPS on battery", "source": "ups-dates",
                         "severity": "error", "timestamp": YEAR_1}}
    status, answer = post(bridge, "/api/v1/intake/v2/enqueue", event, token=None)
    assert (status, answer["errors"]) == (400, [f"payload.timestamp: {RANGE}{YEAR_1}"])
    status, answer = post(bridge, "/api/v1/intake/zbx", {"events": [
        zabbix("PROBLEM", "zbx-dates-ok"), zabbix("PROBLEM", "zbx-dates", clock=YEAR_10000),
        zabbix("PROBLEM", "zbx-dates", clock=-1)]})
    assert status == 200, answer
    assert [a["fingerprint"] for a in answer["alerts"]] == ["zbx-dates-ok/4711"]
    assert [r["error"] for r in answer["rejected"]] == [
        f"events[1]: clock: {RANGE}{YEAR_10000}",
        f"events[2]: clock: {RANGE}1969-12-31T23:59:59+00:00"]
    assert "cannot store" not in bridge.log()


def _mutations(seed: int) -> Iterator[bytes]:
    """Hostile bodies: valid payloads with fields swapped for other JSON types, deep nesting,
    huge numbers, NUL, surrogates, and random bytes."""
    rng = random.Random(seed)
    odd: list[Any] = [None, True, 0, -1, 1e308, 10**40, "", "\u0000", "\ud800", [], {},
                      [[[[[]]]]], "x" * 5000, {"a": {"b": {"c": {}}}}]
    base = webhook(alert("fp-fuzz", "db-1"))
    for _ in range(120):
        body = json.loads(json.dumps(base))
        target = rng.choice([body, body["alerts"][0], body["alerts"][0]["labels"]])
        target[rng.choice([*target, "extra"])] = rng.choice(odd)
        yield json.dumps(body).encode()
    yield b"[" * 100_000 + b"]" * 100_000
    yield b'{"version": "4", "alerts": [' + b"{}," * 20_000 + b"{}]}"
    for _ in range(30):
        yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))


def test_hostile_bodies_are_4xx_never_5xx(bridge: Bridge) -> None:
    statuses = set()
    for body in _mutations(7):
        for path, token in (("/api/v1/intake/prom", AM_TOKEN),
                            ("/api/v1/intake/v2/enqueue", None)):
            status, _ = post(bridge, path, body, token=token)
            assert status < 500, (path, body[:200])
            statuses.add(status)
    assert 400 in statuses
    assert "Traceback" not in bridge.log()


def test_text_that_is_not_unicode_is_a_400(bridge: Bridge) -> None:
    lone = alert("fp-surrogate", "db-1")
    lone["labels"]["alertname"] = "\ud800"
    status, answer = post(bridge, "/api/v1/intake/prom", webhook(lone))
    assert status == 400, answer
    assert "surrogate" in answer["error"] or "Unicode" in answer["error"]


@pytest.mark.parametrize("where", ["labels", "annotations", "extra"])
def test_unstorable_text_anywhere_is_a_400(bridge: Bridge, where: str) -> None:
    for bad in ("\ud800", "a\u0000b"):
        hostile = alert(f"fp-{where}", "db-1")
        if where == "extra":  # kept only in the raw JSON, where a NUL is "\u0000"
            hostile["generatorURL"] = bad
        else:
            hostile[where]["summary"] = bad
        storable = where == "extra" and "\u0000" in bad
        assert post(bridge, "/api/v1/intake/prom", webhook(hostile))[0] == (
            200 if storable else 400)
    for bad in ("\ud800", "a\u0000b"):
        event = {"routing_key": PD_KEY, "event_action": "trigger",
                 "payload": {"summary": "s", "source": "ups-1", "severity": "info",
                             "custom_details": {"x": bad}}}
        assert post(bridge, "/api/v1/intake/v2/enqueue", event, token=None)[0] == 400
        assert post(bridge, "/api/v1/intake/zbx", {"events": [{
            "host": "zbx-1", "trigger": {"id": 1, "status": "PROBLEM", "name": bad},
            "tags": {"customer": "acme"}}]})[0] == 400
