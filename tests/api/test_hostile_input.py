"""Hostile and malformed input gets a 4xx with a reason, the same on SQLite and PostgreSQL,
and never a 500: bodies, path parameters, headers, request lines."""

from __future__ import annotations

import json
import socket
import struct
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bridge.core.priority import Priority
from bridge.store import Database
from bridge.store.models import Actor, TicketSource
from bridge.store.records import Refused
from bridge.store.tickets import NewTicket, QuietDesk, create_ticket
from tests.kits.daemon import Bridge, customer_daemon, http_request, wait_for

ACME = "acme-secret-token"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bridge(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    """A running daemon on each store, with an operator token and acme's."""
    yield from customer_daemon(request, tmp_path_factory)


def raw_request(bridge: Bridge, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send bytes no HTTP client would (raw header bytes, an overlong line): status, body
    of the answer, read until the daemon closes the connection."""
    host, port = bridge.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + b"\r\nHost: bridge\r\nConnection: close\r\n\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def create(bridge: Bridge, body: Any, key: str | None = None,
           token: str = ACME) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    status, raw = http_request("POST", bridge.url + "/api/v1/incidents", headers,
                               json.dumps(body).encode())
    return status, json.loads(raw)


def test_a_body_nested_too_deep_is_a_400_on_every_route(bridge: Bridge) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    ref = create(bridge, {"summary": "deep"})[1]["id"]
    for path in ("/api/v1/incidents", f"/api/v1/incidents/{ref}/comment", "/api/v1/maintenance"):
        status, answer = bridge.request("POST", path, body=deep)
        assert status == 400, (path, answer)
        assert answer["error"].startswith("the body is not JSON: recursion limit exceeded")


def test_a_body_over_1_mib_is_a_413_the_description_lists(bridge: Bridge) -> None:
    status, answer = bridge.request("POST", "/api/v1/incidents",
                                    body={"summary": "x", "message": "x" * 2**20})
    assert (status, answer) == (413, {"error": "Request Entity Too Large"})
    described = bridge.get("/api/v1/openapi.json")["paths"]["/api/v1/incidents"]["post"]
    assert "413" in described["responses"]


def test_nul_in_a_text_field_is_a_400_naming_it(bridge: Bridge) -> None:
    status, answer = create(bridge, {"summary": "printer\u0000on fire"})
    assert (status, answer["error"]) == (400, "summary: must not contain NUL (\\u0000)")


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1969-12"])
def test_report_months_outside_the_calendar_are_400s(bridge: Bridge, month: str) -> None:
    status, answer = bridge.request("GET", f"/api/v1/reports/acme/{month}")
    assert (status, answer["error"]) == (
        400, f"expected a month as YYYY-MM from 1970-01 to 2999-12, such as 2026-03, "
             f"got '{month}'")


@pytest.mark.parametrize("number", ["99999999999999999999999", "2147483648", "0"])
def test_row_ids_past_what_the_store_holds_are_refused(bridge: Bridge, number: str) -> None:
    status, answer = bridge.request("DELETE", f"/api/v1/maintenance/{number}")
    assert (status, answer["error"]) == (400, "id must be an integer from 1 to 2147483647")
    ref = create(bridge, {"summary": "records"})[1]["id"]
    status, answer = bridge.request("POST", f"/api/v1/incidents/{ref}/loaner/{number}",
                                    body={"returned": True})
    assert status == 404, answer


def test_text_no_id_can_hold_is_a_miss_not_a_store_error(bridge: Bridge) -> None:
    """NUL cannot be stored by PostgreSQL: such text names no ticket, customer or device."""
    for path in ("/api/v1/incidents/INC%00", "/api/v1/incidents/%FF"):
        assert bridge.request("GET", path)[0] == 404
        assert bridge.request("POST", f"{path}/comment", body={"message": "hi"})[0] == 404
    for query in ("device=%00", "customer=a%00b", "device=" + "x" * 65):
        status, answer = bridge.request("GET", f"/api/v1/incidents?{query}")
        assert (status, answer["error"].split(" must ")[0]) == (400, query.split("=")[0])


@pytest.mark.parametrize("token", [b"\xff\xfe\xed", b"\xed\xa0\x80\xed\xbf\xbf", b"caf\xc3\xa9"])
def test_raw_bytes_as_a_bearer_token_are_a_401(bridge: Bridge, token: bytes) -> None:
    status, body = raw_request(bridge, b"GET /api/v1/incidents HTTP/1.1\r\n"
                                       b"Authorization: Bearer " + token)
    assert (status, json.loads(body)) == (401, {"error": "missing or invalid bearer token"})
    assert "Traceback" not in bridge.log()


def test_an_idempotency_key_of_up_to_128_printable_characters(bridge: Bridge) -> None:
    longest = "k" * 127 + "~"
    first = create(bridge, {"summary": "longest key"}, longest)
    again = create(bridge, {"summary": "longest key"}, longest)
    assert (first[0], again[0], again[1]["id"]) == (201, 200, first[1]["id"])
    for key, length in [("k" * 129, 129), ("k" * 5000, 5000), ("tab\there", 8)]:
        status, answer = create(bridge, {"summary": "long key"}, key)
        assert (status, answer["error"]) == (
            400, "Idempotency-Key must be 1 to 128 printable ASCII characters "
                 f"(got {length} characters)")
    status, body = raw_request(bridge, b"POST /api/v1/incidents HTTP/1.1\r\n"
                                       b"Authorization: Bearer " + ACME.encode() + b"\r\n"
                                       b"Idempotency-Key: \xff\xfe\r\nContent-Length: 0")
    assert status == 400, body


def test_the_same_key_with_another_body_is_a_422(bridge: Bridge) -> None:
    key = f"portal-{uuid.uuid4()}"
    status, first = create(bridge, {"summary": "mail down", "priority": "P3"}, key)
    assert status == 201
    # the same request again, written another way: the same ticket
    assert create(bridge, {"priority": "P3", "summary": "mail down"}, key)[1]["id"] == first["id"]
    assert create(bridge, {"summary": "mail down", "priority": "P3", "message": ""},
                  key)[1]["id"] == first["id"]
    status, answer = create(bridge, {"summary": "printer down"}, key)
    assert (status, answer) == (422, {"error": f"this Idempotency-Key opened {first['id']} for "
                                               "another request; use a new key for a new ticket"})
    summaries = [t["summary"] for t in bridge.get("/api/v1/incidents?limit=1000")["incidents"]]
    assert "printer down" not in summaries


def window(start: datetime, end: datetime, **targets: Any) -> dict[str, Any]:
    return {"start": start.isoformat(), "end": end.isoformat(), **(targets or {"devices": ["gw"]})}


def test_maintenance_windows_are_bounded(bridge: Bridge) -> None:
    now = datetime.now(UTC)
    year_1, year_9999 = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)
    for body, problems in [
        (window(year_1, year_9999), ["end may be at most 31 days after start"]),
        (window(year_9999, year_9999 + timedelta(hours=1)),
         ["start may be at most 365 days ahead"]),
        (window(now + timedelta(days=400), now + timedelta(days=401)),
         ["start may be at most 365 days ahead"]),
        (window(now - timedelta(days=40), now + timedelta(hours=1)),
         ["end may be at most 31 days after start"]),
        (window(now, now + timedelta(days=32)), ["end may be at most 31 days after start"]),
        (window(now, now + timedelta(hours=1), tags=["core", "nosuch"]),
         ["unknown tag 'core': no device has it", "unknown tag 'nosuch': no device has it"]),
        (window(now, now + timedelta(hours=1), tags=[f"t{i}" for i in range(100_000)]),
         ["tags: List should have at most 100 items after validation, not 100000"]),
        (window(now, now + timedelta(hours=1), devices=["x" * 65]),
         ["devices.0: String should have at most 64 characters"]),
    ]:
        status, answer = bridge.request("POST", "/api/v1/maintenance", body=body)
        assert (status, answer.get("details")) == (400, problems), answer
    assert bridge.get("/api/v1/maintenance")["windows"] == []
    status, answer = bridge.request("POST", "/api/v1/maintenance", body=window(
        now - timedelta(days=30), now + timedelta(hours=1), devices=["gw"] * 100))
    assert status == 201, answer
    assert bridge.request("DELETE", f"/api/v1/maintenance/{answer['id']}")[0] == 204


RANGE = "must be from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z, got "


def test_ticket_times_out_of_range_are_400s_naming_the_field(bridge: Bridge) -> None:
    """Year 9999 in a zone west of UTC, or east of it once stored, has no datetime: it was
    a 500 (or stored, and then no zone east of UTC could show it)."""
    ref = create(bridge, {"summary": "dates"})[1]["id"]
    action = f"/api/v1/incidents/{ref}"
    assert bridge.request("POST", f"{action}/supplier", body={"supplier": "s"})[0] == 200
    assert bridge.request("POST", f"{action}/onsite", body={
        "technician": "t", "scheduled_at": "2099-01-01T00:00:00+02:00"})[0] == 200
    before = bridge.get(action)
    records = before["records"]
    supplier, onsite = records["supplier"][0]["id"], records["onsite"][0]["id"]
    year_10000 = "9999-12-31T23:59:59-14:00"  # past year 9999 in UTC
    for path, more, field, given, got in [
        ("eta", {}, "eta", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+00:00"),
        ("eta", {}, "eta", year_10000, year_10000),
        ("eta", {}, "eta", "1970-01-01T01:59:59+02:00", "1970-01-01T01:59:59+02:00"),
        ("supplier", {"supplier": "s"}, "due_at", "0001-01-01T00:00:00Z",
         "0001-01-01T00:00:00+00:00"),
        (f"supplier/{supplier}", {}, "due_at", "9000-12-31T23:59:59-00:01",
         "9000-12-31T23:59:59-00:01"),
        ("onsite", {"technician": "t"}, "scheduled_at", "1969-07-20T20:17:40Z",
         "1969-07-20T20:17:40+00:00"),
        (f"onsite/{onsite}", {}, "scheduled_at", year_10000, year_10000),
    ]:
        status, answer = bridge.request("POST", f"{action}/{path}", body={**more, field: given})
        problem = f"{field}: {RANGE}{got}"
        assert (status, answer) == (400, {"error": problem, "details": [problem]}), path
    shown = bridge.get(action)
    assert shown["eta"] == before["eta"]
    assert [r["due_at"] for r in shown["records"]["supplier"]] == [None]
    assert [r["scheduled_at"] for r in shown["records"]["onsite"]] == ["2098-12-31T22:00:00+00:00"]
    # the ends of the range are taken
    status, answer = bridge.request("POST", f"{action}/eta", body={"eta": "9000-12-31T23:59:59Z"})
    assert status == 200, answer
    status, answer = bridge.request("POST", f"{action}/supplier/{supplier}",
                                    body={"due_at": "1970-01-01T02:00:00+02:00"})
    assert status == 200, answer
    shown = bridge.get(action)
    assert shown["eta"] == "9000-12-31T23:59:59+00:00"
    assert shown["records"]["supplier"][0]["due_at"] == "1970-01-01T00:00:00+00:00"
    assert "Traceback" not in bridge.log()


def test_an_overlong_url_is_a_400_and_one_log_line(bridge: Bridge) -> None:
    status, _ = raw_request(bridge, b"GET /api/v1/incidents?" + b"a" * 20_000 + b" HTTP/1.1")
    assert status == 400
    # the log line is written after the answer: wait for it rather than race it
    [line] = wait_for("the refusal logged", lambda: [
        line for line in bridge.log().splitlines() if "malformed request" in line] or None)
    assert line.split(" ", 2)[2].startswith(
        "INFO bridge.daemon.http: refused a malformed request from 127.0.0.1: 400 Got more than "
        "8190 bytes when reading: bytearray(b'/api/v1/incidents?aaaa")
    assert "Traceback" not in bridge.log()


@pytest.mark.parametrize("customer", ["c" * 64, "acme"])
def test_the_longest_key_of_the_longest_customer_id_is_stored(db: Database,
                                                              customer: str) -> None:
    """128 characters is what "report:<customer>:<key>" leaves for the key whatever the
    customer, on both stores; the key with another request is refused."""
    def new(summary: str) -> NewTicket:
        return NewTicket(customer, None, summary, Priority.P3, TicketSource.CUSTOMER,
                         Actor.CUSTOMER, "portal", dedupe_key="~" * 128,
                         request_digest=summary.encode().hex())

    now = datetime.now(UTC)
    first = create_ticket(db.writer, new("a"), "INC", now, QuietDesk())
    assert create_ticket(db.writer, new("a"), "INC", now, QuietDesk()) == (first[0], False)
    with pytest.raises(Refused, match=r"opened INC-.* for another request") as refused:
        create_ticket(db.writer, new("b"), "INC", now, QuietDesk())
    assert refused.value.status == 422


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "x-anything", "gzip, identity"])
def test_a_body_in_any_content_encoding_is_a_415(bridge: Bridge, encoding: str) -> None:
    for path, token in (("/api/v1/incidents", ACME), ("/api/v1/maintenance", bridge.token)):
        status, raw = http_request("POST", bridge.url + path, {
            "Authorization": f"Bearer {token}", "Content-Type": "application/json",
            "Content-Encoding": encoding}, b'{"summary": "x"}')
        assert status == 415, (path, raw)
        assert json.loads(raw)["error"].startswith("the body must not be compressed"), raw
    described = bridge.get("/api/v1/openapi.json")["paths"]["/api/v1/incidents"]["post"]
    assert "415" in described["responses"]
    status, raw = http_request("POST", bridge.url + "/api/v1/incidents", {
        "Authorization": f"Bearer {ACME}", "Content-Type": "application/json",
        "Content-Encoding": "Identity"}, b'{"summary": "sent as is"}')
    assert status == 201, raw
    assert "Traceback" not in bridge.log()


def gzip_bomb(mib: int = 300) -> bytes:
    """`mib` MiB of zeros as ~1 KB of gzip a MiB: one MiB compressed after a full flush is
    the same bytes every time, so it is made once and repeated."""
    zeros = b"\0" * 2**20
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    trailer = struct.pack("<II", crc, (mib * 2**20) % 2**32)
    return first + again * (mib - 1) + deflate.flush()[:-8] + trailer


def answer_before_the_body(bridge: Bridge, head: bytes, body_start: bytes) -> tuple[int, bytes]:
    """Send a request's head and the start of its body, and read the whole answer (by its
    Content-Length) while the rest of the body is still owed: status, body of the answer."""
    host, port = bridge.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + b"\r\nHost: bridge\r\n\r\n" + body_start)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        top, _, rest = answer.partition(b"\r\n\r\n")
        length = next(int(line.partition(b":")[2]) for line in top.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        while len(rest) < length:
            rest += sock.recv(65536)
    return int(top.split()[1]), rest


def test_a_compressed_body_is_refused_before_anything_expands_it(bridge: Bridge) -> None:
    """300 KB of gzip that expands to 300 MB, unauthenticated, to the API, the intake's
    webhooks and the portal's sign-in: a 415 saying why, and the daemon never expands it
    (each cost it over a second of CPU on its event loop, stalling every other request)."""
    bomb = gzip_bomb()
    for path, media in (("/api/v1/incidents", b"application/json"),
                        ("/api/v1/intake/alertmanager", b"application/json"),
                        ("/api/v1/intake/v2/enqueue", b"application/json"),
                        ("/portal/sign-in", b"application/x-www-form-urlencoded")):
        head = (b"POST " + path.encode() + b" HTTP/1.1\r\nContent-Type: " + media
                + b"\r\nContent-Encoding: gzip\r\nContent-Length: " + str(len(bomb)).encode())
        # Only the first 4 KiB of the body is sent: the answer comes without the rest (a
        # daemon that read the body to expand it would wait for it, and this would time out).
        status, answer = answer_before_the_body(bridge, head, bomb[:4096])
        assert status == 415, (path, answer)
        reason = (answer.decode().removeprefix("415: ") if path.startswith("/portal/")
                  else json.loads(answer)["error"])
        assert reason == ("the body must not be compressed (Content-Encoding: gzip); "
                          "send it as it is"), path
    assert bridge.get("/healthz") == {"status": "ok"}
