"""Subjects arrive exactly as written, in every language bridge speaks: sent by bridge's
SMTP sender to a real aiosmtpd server on loopback and read back by Python's parser."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bridge.config.channels import Channel, SmtpChannel
from bridge.notify.email import EmailSender
from bridge.notify.notice import Message
from bridge.notify.retry import Delivered
from bridge.notify.templates import TemplateSet, builtin_languages, sample_context
from tests.kits.notify_peers import MailSink, port_of, start_smtp

T0 = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
REPORTED = [  # as readers received them before: the spaces between words were lost
    "[INC-2026-000005] تیکت جدید: سرور کند است",
    "[INC-2026-000007] زمان تخمینی حل: دستگاه pa-gw پاسخ نمی‌دهد",
    "[INC-2026-000009] Arvioitu ratkaisuaika ylittyy: Laitteen lapinkulta-core-01 "
    "tarkistus epaonnistuu (snmp-cpu-load) ja yhteys on hidas koko konttorissa",
]
PERSIAN = "سرور کند است و دستگاه پاسخ نمی‌دهد"


def template_subjects() -> list[str]:
    """Every built-in kind's subject in every language, with a short and a long summary."""
    templates, subjects = TemplateSet(), []
    for language in builtin_languages():
        for summary in ("gw down", f"{PERSIAN} {'Laitteen pa-gw tarkistus epäonnistuu ' * 3}"):
            context = {**sample_context(), "summary": summary, "language": language}
            for kind in ("opened", "eta_will_be_exceeded", "sla_warning", "digest"):
                subjects.append(templates.render(kind, language, context)[0])
    return subjects


def spaces_at_every_fold() -> list[str]:
    """A space at each position around where a header line or an encoded word ends."""
    found = []
    for filler in ("x", "ä", "ж", "س"):
        for at in range(20, 90):
            found.append(f"[INC-2026-000001] {filler * at} {filler * 5} {filler * 30} end")
    return [*found, "two  spaces  here " + "é" * 40, "=?utf-8?q?not_a_word?= but text"]


def item(subject: str, number: int) -> Message:
    return Message(
        channel=Channel.EMAIL, recipient="noc@msp.example.com", subject=subject,
        body="body\n", idempotency_key=f"INC-2026-000001:{number:024d}")


def header_lines(raw: bytes) -> list[str]:
    """The Subject header's physical lines as they travelled."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    found = re.search(r"^Subject:.*?(?=\r\n\S)", head, re.MULTILINE | re.DOTALL)
    assert found is not None
    return found[0].split("\r\n")


async def test_every_subject_arrives_exactly_as_written() -> None:
    sink = MailSink()
    server = await start_smtp(sink)
    sender = EmailSender(SmtpChannel(
        host="127.0.0.1", port=port_of(server), starttls=False, tls=False, ca_file=None,
        username="", password=None, sender="Bridge <bridge@msp.example.com>", timeout_s=5))
    subjects = [*REPORTED, *template_subjects(), *spaces_at_every_fold()]
    for number, subject in enumerate(subjects):
        assert isinstance(await sender.send(item(subject, number), T0), Delivered)
    server.close()
    received = [str(m["Subject"]) for m in sink.messages]
    assert [r for r, s in zip(received, subjects, strict=True) if r != s] == []
    for raw in sink.raw:
        lines = header_lines(raw)
        assert all(len(line) <= 998 for line in lines)
        assert not lines[0].rstrip().endswith(":"), "folded right after Subject:"
        words = re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", "\r\n".join(lines))
        assert all(len(word) <= 75 for word in words)
        assert all(len(line) <= 76 for line in lines if "=?" in line)
