"""Reading a message (tables): quoted history and signatures trimmed, RFC 2047 headers and
charsets decoded, text/plain preferred, HTML read as text, attachments listed, ticket IDs
found; nothing a sender writes makes reading raise."""

from __future__ import annotations

import random
from email.message import EmailMessage

import pytest

from bridge.intake.mail.deliver import ticket_ref
from bridge.intake.mail.parse import html_text, read_mail
from bridge.intake.mail.trim import trim_reply


@pytest.mark.parametrize(("text", "kept"), [
    ("Still down.\n\n> Your ticket was opened.\n> bye\n", "Still down."),
    ("Still down.\n\nOn Mon, 7 Dec 2026 at 09:00, Bridge <b@msp.example> wrote:\nold\n",
     "Still down."),
    ("Still down.\nOn Mon, 7 Dec 2026 at 09:00, Bridge\n<b@msp.example> wrote:\nold\n",
     "Still down."),
    ("Still down.\n\nAm 07.12.2026 um 09:00 schrieb Bridge <b@msp.example>:\nalt\n",
     "Still down."),
    ("Still down.\n\n-----Original Message-----\nFrom: Bridge\nSent: Monday\nold\n",
     "Still down."),
    ("Still down.\r\n\r\nFrom: Bridge <b@msp.example>\r\nSent: Monday, 7 December\r\n"
     "To: Jane\r\nSubject: [INC-2026-000001]\r\n\r\nold\r\n", "Still down."),
    ("Still down.\n-- \nJane Doe\nAcme IT\n", "Still down."),
    ("From: the logs, we see\nthat it is still down.", "From: the logs, we see\nthat it is "
     "still down."),  # a "From:" line with no header block after it is the reply's own
    ("On the switch, port 3 is dark.", "On the switch, port 3 is dark."),
    ("> only a quote\n", ""),
])
def test_a_reply_keeps_only_its_own_words(text: str, kept: str) -> None:
    assert trim_reply(text) == kept


def test_encoded_headers_charsets_and_alternatives_are_read() -> None:
    raw = (b"From: =?iso-8859-1?q?J=E4ne_D=F6e?= <JANE@acme.example>\r\n"
           b"To: desk@msp.example\r\n"
           b"Subject: =?utf-8?b?UmU6IFtJTkMtMjAyNi0wMDAwMTJdIFN0w7ZydW5n?=\r\n"
           b"Message-ID: <x1@acme.example>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML</p>\r\n"
           b"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe\r\n--b--\r\n")
    read = read_mail(raw, 5)
    assert (read.sender_name, read.sender) == ("Jäne Döe", "jane@acme.example")
    assert read.subject == "Re: [INC-2026-000012] Störung"
    assert read.text.strip() == "Grüße"  # text/plain preferred over the HTML part
    assert read.message_id == "<x1@acme.example>"
    assert read.problem == ""


def test_html_is_read_as_text() -> None:
    assert html_text("<style>p{}</style><p>Line&nbsp;1<br>Line 2</p><script>x()</script>"
                     "<div>3 &lt; 4</div>") == "Line 1\nLine 2\n3 < 4"
    assert html_text("<p>a</p><SCRIPT type=x>x()</script >b<style>") == "a\nb"
    assert html_text("<p>1 <br 2 < 3") == "1 <br 2 < 3"  # no tag ends: all text


def test_hostile_html_is_read_in_one_pass() -> None:
    assert html_text("<p>a</p>" + "<script>" * 200_000) == "a"
    assert html_text("<b>a</b>" + "<" * 500_000) == "a" + "<" * 500_000
    assert html_text("<a<br>" * 100_000) == "<a\n" * 99_999 + "<a"


def test_attachments_are_listed_up_to_the_cap_and_counted_beyond() -> None:
    mail = EmailMessage()
    mail["From"], mail["Subject"] = "jane@acme.example", "logs"
    mail.set_content("see attached")
    for i in range(3):
        mail.add_attachment(b"x" * (10 + i), maintype="application", subtype="octet-stream",
                            filename=f"log{i}.bin")
    read = read_mail(mail.as_bytes(), 2)
    assert read.attachments == ("log0.bin (application/octet-stream, 10 bytes)",
                                "log1.bin (application/octet-stream, 11 bytes)",
                                "… and 1 more")
    assert read.digest == read_mail(mail.as_bytes(), 2).digest  # no Message-ID: by its bytes


def test_a_resend_is_the_same_message_id_sender_and_body() -> None:
    def raw(sender: str, text: str, message_id: str = "<r1@acme.example>") -> bytes:
        mail = EmailMessage()
        mail["From"], mail["Subject"], mail["Message-ID"] = sender, "printer", message_id
        mail.set_content(text)
        return mail.as_bytes()

    first = read_mail(raw("Jane <jane@acme.example>", "jammed"), 5).digest
    relayed = b"Received: from mx2.acme.example by mx1.msp.example\r\n"
    assert read_mail(relayed + raw("Jane <jane@acme.example>", "jammed"), 5).digest == first
    assert read_mail(raw("JANE@acme.example", "jammed"), 5).digest == first
    others = {read_mail(raw("it@globex.example", "jammed"), 5).digest,
              read_mail(raw("jane@acme.example", "fixed"), 5).digest,
              read_mail(raw("jane@acme.example", "jammed", "<r2@acme.example>"), 5).digest}
    assert len(others | {first}) == 4


def test_a_message_without_a_sender_says_so() -> None:
    assert read_mail(b"Subject: hi\r\n\r\nbody\r\n", 5).problem == "no sender address in From:"


def test_a_message_whose_headers_are_overlong_is_kept_unread() -> None:
    """A 1 MB Subject of encoded words (the standard library's decoding of it takes
    gigabytes): kept for operators as it came, unread, with the reason."""
    subject = b"=?utf-8?q?a?= " * 80_000
    data = b"From: a@b.example\r\nSubject: " + subject + b"\r\n\r\nbody\r\n"
    read = read_mail(data, 5)
    assert read.problem == "headers over 64 KiB: kept unread"
    assert (read.sender, read.subject) == ("", "")
    assert read.text.endswith("body\r\n")
    # headers just under the bound are read as usual
    fine = read_mail(b"From: a@b.example\r\nSubject: " + b"x" * 60_000 + b"\r\n\r\nhi\r\n", 5)
    assert (fine.problem, fine.sender) == ("", "a@b.example")


def test_random_bytes_never_make_reading_raise() -> None:
    rng = random.Random(15)
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(400)))
        head = rng.choice([b"", b"From: a@b.example\r\nContent-Type: multipart/mixed; "
                           b"boundary=z\r\n\r\n--z\r\n", b"Subject: =?utf-8?b?\xff?=\r\n"])
        read = read_mail(head + data, 3)
        for text in (read.text, read.subject, read.sender, read.message_id, *read.attachments):
            assert "\x00" not in text
            text.encode("utf-8")  # storable: no lone surrogate


@pytest.mark.parametrize(("subject", "to", "ref"), [
    ("Re: [INC-2026-000012] gw down", "desk@msp.example", "INC-2026-000012"),
    ("AW: inc-2026-000012", "desk@msp.example", "INC-2026-000012"),
    ("Re: gw down", "desk+INC-2026-000012@msp.example", "INC-2026-000012"),
    ("Re: [INC-2026-000013]", "desk+INC-2026-000012@msp.example", "INC-2026-000012"),
    ("Re: XINC-2026-000012", "desk@msp.example", None),
    ("Re: INC-2026-00001", "desk@msp.example", None),
    ("New problem", "desk+urgent@msp.example", None),
])
def test_the_ticket_a_reply_names(subject: str, to: str, ref: str | None) -> None:
    assert ticket_ref(subject, (to,), "INC") == ref
