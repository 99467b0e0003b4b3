"""Notifications, the pure half: templates per language, composing, storm control, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.config.channels import Channel
from bridge.core.lifecycle import IncidentStatus
from bridge.core.priority import Priority
from bridge.notify.compose import DigestItem, compose, compose_digest
from bridge.notify.notice import NoticeKind, TicketNotice
from bridge.notify.retry import (
    Backoff,
    Dead,
    DeadLetter,
    Delivered,
    Retry,
    RetryAt,
    Sent,
    settle,
)
from bridge.notify.storm import Due, Hold, Recent, Send, StormPolicy, plan
from bridge.notify.templates import (
    BUILTIN_DIR,
    KINDS,
    TemplateSet,
    builtin_languages,
    sample_context,
)
from bridge.notify.webhook import classify, retry_after_s

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REF = "INC-2026-000042"
BUILTIN = TemplateSet()


def notice(kind: NoticeKind = NoticeKind.OPENED, discriminator: str = "17",
           **fields: object) -> TicketNotice:
    values: dict[str, object] = {
        "summary": "demo-router is down", "device": "demo-router", "priority": Priority.P1,
        "status": IncidentStatus.OPEN, "eta": T0 + timedelta(hours=2), "tier": 2,
        "message": "", "sla_kind": "reaction", "sla_pct": 75, **fields}
    return TicketNotice(kind, REF, "demo", discriminator, T0, **values)  # type: ignore[arg-type]


# ---- templates -----------------------------------------------------------------------------

def test_every_builtin_language_has_every_kind() -> None:
    assert {"en", "fi", "cs", "ru", "it", "fa"} <= set(builtin_languages())
    for language in builtin_languages():
        names = {p.stem for p in (BUILTIN_DIR / language).glob("*.txt")}
        assert names == set(KINDS), language


@pytest.mark.parametrize("language", ["en", "fi", "cs", "ru", "it", "fa"])
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_message_carries_the_ticket_id_in_subject_and_body(
        language: str, kind: NoticeKind) -> None:
    [draft] = compose(notice(kind), ["mailto:it@demo.example.com"], language, BUILTIN)
    assert REF in draft.subject
    assert REF in draft.body
    assert "\n" not in draft.subject


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "[INC-2026-000042] New ticket: demo-router is down"),
    ("fi", "[INC-2026-000042] Uusi tiketti: demo-router is down"),
    ("cs", "[INC-2026-000042] Nový tiket: demo-router is down"),
    ("ru", "[INC-2026-000042] Новая заявка: demo-router is down"),
    ("it", "[INC-2026-000042] Nuovo ticket: demo-router is down"),
    ("fa", "[INC-2026-000042] تیکت جدید: demo-router is down"),
    ("sv", "[INC-2026-000042] New ticket: demo-router is down"),  # no Swedish: English
])
def test_the_customers_language_is_used(language: str, expected: str) -> None:
    [draft] = compose(notice(), ["mailto:it@demo.example.com"], language, BUILTIN)
    assert draft.subject == expected


def test_times_are_shown_on_the_customers_clock() -> None:
    [draft] = compose(notice(NoticeKind.ETA_SET), ["mailto:it@demo.example.com"], "fi",
                      BUILTIN, timezone="Europe/Helsinki")
    assert "Arvioitu ratkaisuaika: 2026-03-01 16:00 +02:00" in draft.body
    assert "viimeistään 2026-03-01 16:00 +02:00" in draft.body


def test_a_multi_line_summary_stays_in_the_subject() -> None:
    [draft] = compose(notice(summary="printer on floor 3\nis jammed  again"),
                      ["mailto:a@demo.example.com"], "en", BUILTIN)
    assert draft.subject == "[INC-2026-000042] New ticket: printer on floor 3 is jammed again"
    assert draft.body.startswith("We opened ticket INC-2026-000042 for demo-router.")


def test_sla_warning_names_the_clock_and_threshold() -> None:
    [ru] = compose(notice(NoticeKind.SLA_WARNING), ["mailto:a@demo.example.com"], "ru", BUILTIN)
    assert "истекло 75 % времени реакции" in ru.body
    [fa] = compose(notice(NoticeKind.SLA_BREACH, sla_kind="resolution", sla_pct=100),
                   ["mailto:a@demo.example.com"], "fa", BUILTIN)
    assert "زمان حل تیکت INC-2026-000042 از حد قرارداد گذشت" in fa.body


def test_a_contracts_templates_win_and_missing_ones_fall_back(tmp_path: Path) -> None:
    (tmp_path / "fi").mkdir()
    (tmp_path / "fi" / "opened.txt").write_text(
        "Häiriö {{ ref }}: {{ device }}\n\nHei! {{ summary }} ({{ ref }})\n", encoding="utf-8")
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "closed.txt").write_text(
        "Done: {{ ref }}\n\nAll done with {{ ref }}.\n", encoding="utf-8")
    templates = TemplateSet(tmp_path)
    [opened] = compose(notice(), ["mailto:a@demo.example.com"], "fi", templates)
    assert (opened.subject, opened.body) == (
        "Häiriö INC-2026-000042: demo-router", "Hei! demo-router is down (INC-2026-000042)\n")
    [resolved] = compose(notice(NoticeKind.RESOLVED), ["mailto:a@demo.example.com"], "fi",
                         templates)  # not overridden: the built-in Finnish one
    assert resolved.subject.startswith("[INC-2026-000042] Ratkaistu")
    [closed] = compose(notice(NoticeKind.CLOSED), ["mailto:a@demo.example.com"], "it",
                       templates)  # the built-in Italian beats the contract's English
    assert closed.subject.startswith("[INC-2026-000042] Chiuso")
    [closed] = compose(notice(NoticeKind.CLOSED), ["mailto:a@demo.example.com"], "sv",
                       templates)  # no Swedish anywhere: the contract's English first
    assert closed.subject == "Done: INC-2026-000042"
    assert templates.check() == []


def test_a_template_without_the_ticket_id_gets_it_anyway(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "comment.txt").write_text("A comment\n\n{{ message }}\n")
    templates = TemplateSet(tmp_path)
    [draft] = compose(notice(NoticeKind.COMMENT, message="Reboot planned at 18:00"),
                      ["mailto:a@demo.example.com"], "en", templates)
    assert draft.subject == "[INC-2026-000042] A comment"
    assert draft.body == "Reboot planned at 18:00\n\nINC-2026-000042\n"
    assert templates.check(sample_context()) == [
        "en/comment.txt: subject and body must both show the ticket ID ({{ ref }})"]


def test_broken_override_templates_are_reported(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "fi").mkdir()
    (tmp_path / "fi" / "opened.txt").write_text("{{ ref }\n\nx\n")
    (tmp_path / "fi" / "assigned.txt").write_text("{{ ref }} {{ asignee }}\n\n{{ ref }}\n")
    (tmp_path / "fi" / "openned.txt").write_text("{{ ref }}\n\n{{ ref }}\n")
    problems = TemplateSet(tmp_path).check(sample_context())
    assert problems == [
        "fi/assigned.txt: 'asignee' is undefined",
        "fi/opened.txt:1: unexpected '}'",
        f"fi/openned.txt: unknown message kind 'openned'; expected one of {', '.join(KINDS)}",
    ]
    # At send time a broken override gives way to the next template, loudly.
    [draft] = compose(notice(NoticeKind.ASSIGNED), ["mailto:a@demo.example.com"], "fi",
                      TemplateSet(tmp_path))
    assert draft.subject.startswith("[INC-2026-000042] Käsittelijä nimetty")
    assert "fi/assigned.txt: 'asignee' is undefined; using the next one" in caplog.text


# ---- compose -------------------------------------------------------------------------------

def test_one_draft_per_receiver_with_stable_distinct_keys() -> None:
    receivers = ["mailto:it@demo.example.com", "webhook:portal", "mailto:it@demo.example.com"]
    first = compose(notice(), receivers, "en", BUILTIN)
    assert [(d.channel, d.recipient) for d in first] == [
        (Channel.EMAIL, "it@demo.example.com"), (Channel.WEBHOOK, "portal")]
    replay = compose(notice(), receivers, "fi", BUILTIN)  # a replay, even in another language
    assert [d.idempotency_key for d in replay] == [d.idempotency_key for d in first]
    others = {  # another event, another kind, another receiver: another key each
        compose(notice(discriminator="18"), receivers[:1], "en", BUILTIN)[0].idempotency_key,
        compose(notice(NoticeKind.REOPENED), receivers[:1], "en", BUILTIN)[0].idempotency_key,
        compose(notice(), ["mailto:x@demo.example.com"], "en", BUILTIN)[0].idempotency_key,
    }
    assert len(others | {d.idempotency_key for d in first}) == 5
    assert all(len(d.idempotency_key) <= 200 for d in first)


def test_the_payload_carries_the_facts_for_webhooks() -> None:
    [draft] = compose(notice(NoticeKind.SLA_WARNING), ["webhook:portal"], "en", BUILTIN)
    assert draft.payload == {
        "kind": "sla_warning", "ticket": REF, "customer": "demo", "device": "demo-router",
        "priority": "P1", "status": "open", "summary": "demo-router is down", "message": "",
        "tier": 2, "at": "2026-03-01T12:00:00+00:00", "eta": "2026-03-01T14:00:00+00:00",
        "sla": {"kind": "reaction", "pct": 75}, "language": "en", "visit_at": None}


def test_a_digest_of_one_tickets_updates_names_only_that_ticket() -> None:
    items = [DigestItem(f"key-{kind}", f"[INC-2026-000007] {kind}: gw is down", "",
                        {"ticket": "INC-2026-000007", "kind": kind})
             for kind in ("acknowledged", "assigned", "resolved")]
    digest = compose_digest(items, "mailto:it@demo.example.com", "demo", "en", BUILTIN, 20)
    assert digest.subject == "3 ticket updates: INC-2026-000007"


def test_a_digest_lists_the_first_tickets_and_counts_the_rest() -> None:
    items = [DigestItem(f"key-{i}", f"[INC-2026-{i:06d}] New ticket: dev-{i} is down", "",
                        {"ticket": f"INC-2026-{i:06d}", "kind": "opened"}) for i in range(1, 201)]
    digest = compose_digest(items, "mailto:it@demo.example.com", "demo", "en", BUILTIN, 20)
    assert digest.subject == ("200 ticket updates: INC-2026-000001, INC-2026-000002, "
                               "INC-2026-000003 and more")
    lines = digest.body.splitlines()
    assert lines[0] == "200 updates on the tickets of demo:"
    assert [line for line in lines if line.startswith("- ")] == [
        f"- [INC-2026-{i:06d}] New ticket: dev-{i} is down" for i in range(1, 21)]
    assert lines[-1] == "… and 180 more."
    assert len(digest.payload["messages"]) == 200  # a machine gets them all
    again = compose_digest(items[::-1], "mailto:it@demo.example.com", "demo", "en", BUILTIN, 20)
    assert again.idempotency_key == digest.idempotency_key



@pytest.mark.parametrize("language", builtin_languages())
def test_a_digest_in_every_language_keeps_each_updates_substance(language: str) -> None:
    """The new ETA, a comment's words and the visit time survive grouping."""
    visit = T0 + timedelta(days=1)
    notices = [notice(NoticeKind.ETA_SET, "1"), notice(NoticeKind.COMMENT, "2",
                                                        message="Power supply ordered."),
               notice(NoticeKind.ONSITE, "3", visit_at=visit)]
    drafts = [d for n in notices
              for d in compose(n, ["mailto:it@demo.example.com"], language, BUILTIN,
                               "Europe/Rome")]
    digest = compose_digest([DigestItem(d.idempotency_key, d.subject, d.body, d.payload)
                             for d in drafts], "mailto:it@demo.example.com", "demo", language,
                            BUILTIN, 20)
    assert "2026-03-01 15:00 +01:00" in digest.body  # the ETA, on the customer's clock
    assert "Power supply ordered." in digest.body
    assert "2026-03-02 13:00 +01:00" in digest.body  # the visit
    assert [line for line in digest.body.splitlines() if line.startswith("- ")] == [
        f"- {d.subject}" for d in drafts]

# ---- storm control -------------------------------------------------------------------------

RCV = "mailto:it@demo.example.com"
POLICY = StormPolicy(group_window_s=30, max_per_hour=3)


def due(i: int, receiver: str = RCV, customer: str = "demo", kind: str = "opened",
        at_s: float = 0) -> Due:
    return Due(i, receiver, customer, kind, T0 + timedelta(seconds=at_s))


@pytest.mark.parametrize(("messages", "recent", "expected"), [
    pytest.param([due(1)], {}, [Send(RCV, "demo", (1,))], id="first message goes at once"),
    pytest.param([due(i, at_s=i) for i in range(1, 201)], {},
                 [Send(RCV, "demo", tuple(range(1, 201)))], id="a storm due together: one"),
    pytest.param([due(2)], {RCV: Recent({"demo": T0 - timedelta(seconds=10)}, ())},
                 [Hold((2,), T0 + timedelta(seconds=20), "grouping window")],
                 id="within the window after a send: wait for the window's end"),
    pytest.param([due(2)], {RCV: Recent({"demo": T0 - timedelta(seconds=30)}, ())},
                 [Send(RCV, "demo", (2,))], id="window over"),
    pytest.param([due(2)], {RCV: Recent({"acme": T0 - timedelta(seconds=10)}, ())},
                 [Send(RCV, "demo", (2,))], id="the window is per customer"),
    pytest.param([due(1), due(2, customer="acme"), due(3, receiver="webhook:portal")], {},
                 [Send(RCV, "demo", (1,)), Send(RCV, "acme", (2,)),
                  Send("webhook:portal", "demo", (3,))], id="per receiver and customer"),
    pytest.param([due(1, customer="a"), due(2, customer="b"), due(3, customer="c"),
                  due(4, customer="d"), due(5, customer="e")],
                 {RCV: Recent({}, (T0 - timedelta(minutes=50),))},
                 [Send(RCV, "a", (1,)), Send(RCV, "b", (2,)),
                  Hold((3,), T0 + timedelta(minutes=10), "rate cap 3/h"),
                  Hold((4,), T0 + timedelta(minutes=10), "rate cap 3/h"),
                  Hold((5,), T0 + timedelta(minutes=10), "rate cap 3/h")],
                 id="rate cap: held until the oldest send of the hour ages out"),
    pytest.param([due(1, customer="a")],
                 {RCV: Recent({}, tuple(T0 - timedelta(minutes=m) for m in (61, 59, 30, 5)))},
                 [Hold((1,), T0 + timedelta(minutes=1), "rate cap 3/h")],
                 id="rate cap: sends older than an hour do not count"),
    pytest.param([due(7, kind="digest"), due(8)],
                 {RCV: Recent({"demo": T0 - timedelta(seconds=5)}, ())},
                 [Send(RCV, "demo", (7,)), Hold((8,), T0 + timedelta(seconds=25),
                                                "grouping window")],
                 id="a digest already made goes out on its own"),
])
def test_storm_plan(messages: list[Due], recent: dict[str, Recent],
                    expected: list[Send | Hold]) -> None:
    assert plan(messages, recent, POLICY, T0) == expected


def test_storm_control_never_drops_a_message() -> None:
    messages = [due(i, customer=f"c{i % 7}", receiver=f"mailto:r{i % 3}@x.example.com")
                for i in range(1, 100)]
    recent = {f"mailto:r{r}@x.example.com": Recent({"c1": T0}, (T0,) * r) for r in range(3)}
    steps = plan(messages, recent, POLICY, T0)
    ids = [i for step in steps for i in step.ids]
    assert sorted(ids) == list(range(1, 100))
    assert all(step.until > T0 for step in steps if isinstance(step, Hold))


# ---- retries -------------------------------------------------------------------------------

BACKOFF = Backoff(initial_s=10, max_s=300)


@pytest.mark.parametrize(("attempts", "jitter", "delay_s"), [
    (1, 0.0, 5.0), (1, 0.999, 9.995), (2, 0.0, 10.0), (3, 0.5, 30.0), (6, 1.0, 300.0),
    (50, 0.0, 150.0),
])
def test_backoff_doubles_with_jitter_up_to_the_maximum(
        attempts: int, jitter: float, delay_s: float) -> None:
    assert BACKOFF.delay_s(attempts, jitter) == pytest.approx(delay_s)


DEADLINE = T0 + timedelta(hours=1)


@pytest.mark.parametrize(("attempt", "attempts", "now", "expected"), [
    (Delivered(), 1, T0, Sent()),
    (Dead("HTTP 410 Gone"), 1, T0, DeadLetter("HTTP 410 Gone")),
    (Retry("HTTP 503"), 1, T0, RetryAt(T0 + timedelta(seconds=5), "HTTP 503")),
    (Retry("HTTP 503"), 3, T0, RetryAt(T0 + timedelta(seconds=20), "HTTP 503")),
    (Retry("HTTP 429", after_s=120), 1, T0, RetryAt(T0 + timedelta(seconds=120), "HTTP 429")),
    (Retry("refused"), 9, DEADLINE - timedelta(seconds=60), RetryAt(DEADLINE, "refused")),
    (Retry("refused"), 10, DEADLINE, DeadLetter(
        "refused (gave up after 10 attempts: the retry deadline passed)")),
])
def test_settle(attempt: Delivered | Retry | Dead, attempts: int, now: datetime,
                expected: object) -> None:
    assert settle(attempt, attempts, now, DEADLINE, BACKOFF, jitter=0.0) == expected


@pytest.mark.parametrize(("status", "retry_after", "expected"), [
    (200, None, Delivered("200")),
    (204, None, Delivered("204")),
    (400, None, Dead("HTTP 400 Bad Request")),
    (401, None, Dead("HTTP 401 Bad Request")),
    (404, None, Dead("HTTP 404 Bad Request")),
    (408, None, Retry("HTTP 408 Bad Request")),
    (429, 30.0, Retry("HTTP 429 Bad Request", 30.0)),
    (500, None, Retry("HTTP 500 Bad Request")),
    (503, 5.0, Retry("HTTP 503 Bad Request", 5.0)),
    (301, None, Dead("HTTP 301 Bad Request")),
])
def test_http_status_classes(status: int, retry_after: float | None, expected: object) -> None:
    assert classify(status, "Bad Request", retry_after) == expected


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 7 ", 7.0), ("Sun, 01 Mar 2026 12:01:30 GMT", 90.0),
    ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0), ("soon", None), (None, None),
])
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    assert retry_after_s(header, T0) == seconds
