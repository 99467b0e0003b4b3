"""Customer mail sent with smtplib into a running bridge's receiver on loopback, on SQLite and
PostgreSQL: a reply is the customer's comment (quoted history trimmed), a new message from a
customer's address is a reported ticket, anything else is kept for operators; a resend does
nothing twice, while a different mail reusing its Message-ID is kept; too large is 552; a
store that is down is 4xx, then the retry is taken, and so is a fault of bridge's own
(naming nothing of it); a hostile mail (thousands of parts, or nested thousands deep) is
taken and kept, read off the event loop within bounds."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bridge.config import load_config
from bridge.config.model import Config
from bridge.intake.mail import parse, receiver
from bridge.intake.mail.receiver import receive_mail
from bridge.store import Database, Engine
from bridge.store.mail import list_mail
from bridge.store.mail_models import MailStatus
from bridge.store.models import MaintenanceWindowRow
from bridge.store.tickets import Desk, QuietDesk
from tests.kits.daemon import Bridge, free_port, running, wait_for, write_deployment

T = TypeVar("T")
MAIL = '''
[mail]
listen = "127.0.0.1:{port}"
recipients = ["desk@msp.example", "@support.msp.example"]
max_message_bytes = 65536
max_attachments_listed = 2
senders = {{ acme = ["jane@acme.example", "@ops.acme.example"], other = ["bob@other.example"] }}
'''


def mail_deployment(root: Path) -> tuple[Path, int]:
    config = write_deployment(root, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"},
                              customer_token=True)
    port = free_port()
    (root / "intake").mkdir()
    (root / "intake" / "mail.toml").write_text(MAIL.format(port=port))
    return config, port


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bridge, int]]:
    config, port = mail_deployment(tmp_path_factory.mktemp("mail"))
    pg = request.getfixturevalue("pg_admin_url") if request.param == "postgresql" else None
    with running(config, pg) as daemon:
        wait_for("the mail receiver", lambda: _listening(port))
        yield daemon, port


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            return sock.makefile("rb").readline().startswith(b"220")
    except OSError:
        return False


def message(sender: str, subject: str, text: str, *, to: str = "desk@msp.example",
            message_id: str | None = None, html: str | None = None) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["Message-ID"] = message_id or make_msgid(domain="acme.example")
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    return mail


def send(port: int, mail: EmailMessage, to: str | None = None) -> tuple[int, str]:
    """Send as a mail server would; the answer to DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        try:
            client.send_message(mail, to_addrs=[to or str(mail["To"])])
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            return exc.smtp_code, error.decode() if isinstance(error, bytes) else error
        except smtplib.SMTPRecipientsRefused as exc:
            [(code, text)] = exc.recipients.values()
            return code, text.decode() if isinstance(text, bytes) else text
        return 250, "OK"


def send_raw(port: int, data: bytes, sender: str = "jane@acme.example") -> tuple[int, str]:
    """Send these bytes as they are; the answer to DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        try:
            client.sendmail(sender, ["desk@msp.example"], data)
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            return exc.smtp_code, error.decode() if isinstance(error, bytes) else error
        return 250, "OK"


def open_ticket(bridge: Bridge, customer: str, summary: str) -> str:
    status, body = bridge.request("POST", "/api/v1/incidents",
                                  body={"customer": customer, "summary": summary})
    assert status == 201, body
    return str(body["id"])


def timeline(bridge: Bridge, ref: str) -> list[dict[str, Any]]:
    return list(bridge.get(f"/api/v1/incidents/{ref}")["timeline"])


def unmatched(bridge: Bridge) -> list[dict[str, Any]]:
    return list(bridge.get("/api/v1/intake/mail?status=unmatched")["mail"])


REPLY = """It is still down since this morning.

On Mon, 7 Dec 2026 at 09:00, Bridge <bridge@msp.example> wrote:
> Your ticket was opened.
> We are looking at it.

--\x20
Jane Doe, Acme IT
"""


def test_a_reply_with_the_ticket_id_in_the_subject_is_the_customers_comment(
        desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    ref = open_ticket(bridge, "acme", "the VPN is down")
    code, _ = send(port, message("=?utf-8?q?J=C3=A4ne_Doe?= <Jane@Acme.example>",
                                 f"Re: [{ref}] the VPN is down", REPLY))
    assert code == 250
    [comment] = [e for e in timeline(bridge, ref) if e["kind"] == "comment"]
    assert comment["message"] == "It is still down since this morning."
    assert comment["actor"] == "customer"
    assert comment["author"] == "Jäne Doe <jane@acme.example>"


def test_a_plus_address_reply_is_a_comment_and_html_only_mail_is_read_as_text(
        desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    ref = open_ticket(bridge, "acme", "printer jam")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "ops@ops.acme.example", "x", "Re: printer"
    mail["Message-ID"] = make_msgid()
    mail.set_content("<p>Fixed it &amp; thanks</p><blockquote>old</blockquote>",
                     subtype="html")
    code, _ = send(port, mail, to=f"desk+{ref}@msp.example")
    assert code == 250
    comments = [e["message"] for e in timeline(bridge, ref) if e["kind"] == "comment"]
    assert comments == ["Fixed it & thanks\nold"]


def test_a_new_mail_from_a_customers_address_opens_a_reported_ticket(
        desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    mail = message("jane@acme.example", "Backup server unreachable",
                   "Since 8:00 nobody reaches it.\n\n> earlier thread\n")
    mail.add_attachment(b"\x89PNG" + b"0" * 2000, maintype="image", subtype="png",
                        filename="screen.png")
    code, _ = send(port, mail)
    assert code == 250
    [ticket] = [t for t in bridge.get("/api/v1/incidents?customer=acme")["incidents"]
                if t["summary"] == "Backup server unreachable"]
    shown = bridge.get(f"/api/v1/incidents/{ticket['id']}")
    assert shown["source"] == "customer"
    assert shown["priority"] == "P3"  # the contract's reported priority
    [opened] = [e for e in shown["timeline"] if e["kind"] == "opened"]
    assert opened["message"].startswith("Since 8:00 nobody reaches it.\n\nAttachments")
    assert "screen.png (image/png, 2004 bytes)" in opened["message"]


def test_an_unknown_sender_is_kept_and_listed_for_operators_only(
        desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    code, _ = send(port, message("stranger@example.net", "Buy now", "cheap"))
    assert code == 250
    [kept] = [m for m in unmatched(bridge) if m["subject"] == "Buy now"]
    assert kept["sender"] == "stranger@example.net"
    assert kept["reason"] == "the sender is no known customer's address"
    assert kept["body"].strip() == "cheap"
    status, _ = bridge.request("GET", "/api/v1/intake/mail?status=unmatched",
                               token="acme-secret-token")
    assert status == 403  # a customer's token: known, and not allowed (as on /outbox)
    status, _ = bridge.request("GET", "/api/v1/intake/mail?status=unmatched", token=None)
    assert status == 401
    status, answer = bridge.request("GET", "/api/v1/intake/mail?stauts=unmatched")
    assert (status, answer["error"]) == (400, "unknown query parameter(s): stauts")
    metrics = bridge.request("GET", "/metrics")[1]
    assert 'bridge_intake_mail_total{outcome="unmatched"}' in metrics


def test_another_customers_ticket_id_is_kept_and_not_commented(
        desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    ref = open_ticket(bridge, "other", "other's outage")
    code, answer = send(port, message("jane@acme.example", f"Re: [{ref}] hello", "peek"))
    assert code == 250
    assert [e for e in timeline(bridge, ref) if e["kind"] == "comment"] == []
    [kept] = [m for m in unmatched(bridge) if m["subject"] == f"Re: [{ref}] hello"]
    assert kept["reason"] == "names no ticket of the sender's customer"
    code, same = send(port, message("jane@acme.example", "Re: [INC-2000-999999] hello",
                                    "peek"))
    assert (code, same) == (250, answer)  # the sender cannot tell the two apart


def test_undecodable_bytes_are_kept_for_operators(desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    raw = (b"From: \xff\xfe\x00broken\r\nSubject: =?utf-8?b?\xff\xff?= junk\x00\r\n"
           b"Message-ID: <junk-1@nowhere>\r\nContent-Type: text/plain; charset=x-none\r\n"
           b"\r\n\x00\xc3\x28 not text\r\n")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("x@nowhere.example", ["desk@msp.example"], raw)  # 250, or it raises
    [kept] = [m for m in unmatched(bridge) if m["message_id"] == "<junk-1@nowhere>"]
    assert "not text" in kept["body"]


def _lmtp(port: int, recipients: list[str], data: bytes) -> list[str]:
    """An LMTP conversation (smtplib's LMTP reads one answer to DATA, not one per
    recipient as RFC 2033 has it); the answers after the end of DATA."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")

        def answer() -> str:
            lines = [reader.readline().decode()]
            while lines[-1][3:4] == "-":
                lines.append(reader.readline().decode())
            return lines[-1].strip()

        assert answer().startswith("220")
        for command in ("LHLO mx.msp.example", "MAIL FROM:<jane@acme.example>",
                        *(f"RCPT TO:<{r}>" for r in recipients), "DATA"):
            sock.sendall(command.encode() + b"\r\n")
            assert answer()[:1] in "23", command
        sock.sendall(data.replace(b"\n.", b"\n..") + b"\r\n.\r\n")
        return [answer() for _ in recipients]


def test_lmtp_answers_once_per_recipient(tmp_path: Path) -> None:
    config, port = mail_deployment(tmp_path)
    mail_toml = tmp_path / "intake" / "mail.toml"
    mail_toml.write_text(mail_toml.read_text().replace("[mail]\n", "[mail]\nlmtp = true\n"))
    with running(config) as bridge:
        wait_for("the LMTP receiver", lambda: _listening(port))
        ref = open_ticket(bridge, "acme", "lmtp ticket")
        mail = message("jane@acme.example", f"Re: [{ref}]", "via lmtp")
        answers = _lmtp(port, ["desk@msp.example", f"desk+{ref}@msp.example"], mail.as_bytes())
        assert [a[:3] for a in answers] == ["250", "250"]
        comments = [e["message"] for e in timeline(bridge, ref) if e["kind"] == "comment"]
        assert comments == ["via lmtp"]


def test_a_resend_with_the_same_message_id_comments_once(desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    ref = open_ticket(bridge, "acme", "slow wifi")
    mail = message("jane@acme.example", f"RE: {ref} slow wifi", "Still slow.",
                   message_id="<resend-1@acme.example>")
    assert send(port, mail)[0] == 250
    assert send(port, mail)[0] == 250
    comments = [e for e in timeline(bridge, ref) if e["kind"] == "comment"]
    assert [c["message"] for c in comments] == ["Still slow."]


def test_a_different_mail_reusing_a_message_id_is_kept(desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    reused = "<m1@acme.example>"
    assert send(port, message("jane@acme.example", "Toner low", "Please send toner.",
                              message_id=reused))[0] == 250
    assert send(port, message("it@globex.example", "Invoice 7781", "Please pay.",
                              message_id=reused))[0] == 250
    [kept] = [m for m in unmatched(bridge) if m["subject"] == "Invoice 7781"]
    assert (kept["sender"], kept["message_id"]) == ("it@globex.example", reused)
    assert send(port, message("jane@acme.example", "Toner low", "Please send toner.",
                              message_id=reused))[0] == 250  # jane's resend: still one ticket
    tickets = bridge.get("/api/v1/incidents?customer=acme")["incidents"]
    assert [t["summary"] for t in tickets].count("Toner low") == 1


def _many_parts(count: int) -> bytes:
    head = (b"From: jane@acme.example\r\nTo: desk@msp.example\r\nSubject: %d screenshots\r\n"
            b"Message-ID: <parts-%d@acme.example>\r\n"
            b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\n\r\nSee the screenshots.\r\n" % (count, count))
    return head + b"--B\r\nContent-Type: image/png\r\n\r\nx\r\n" * count + b"--B--\r\n"


def test_a_mail_of_more_parts_than_are_read_opens_its_ticket_with_a_note(
        desk: tuple[Bridge, int]) -> None:
    bridge, port = desk
    assert send_raw(port, _many_parts(1200))[0] == 250
    [ticket] = [t for t in bridge.get("/api/v1/incidents?customer=acme")["incidents"]
                if t["summary"] == "1200 screenshots"]
    [opened] = [e for e in timeline(bridge, ticket["id"]) if e["kind"] == "opened"]
    assert opened["message"].startswith("See the screenshots.\n\nAttachments")
    assert "unnamed (image/png, 1 bytes)" in opened["message"]
    assert opened["message"].endswith("… parts beyond the first 1000 not listed")


def _nested(nesting: str, levels: int) -> bytes:
    head = (b"From: jane@acme.example\r\nTo: desk@msp.example\r\nSubject: deep %s\r\n"
            b"Message-ID: <deep-%s@acme.example>\r\n" % (nesting.encode(), nesting.encode()))
    if nesting == "multipart":
        parts = (b"Content-Type:multipart/mixed;boundary=%x\r\n\r\n--%x\r\n" % (i, i)
                   for i in range(levels))
    else:
        parts = (b"Content-Type:message/rfc822\r\n\r\n" for _ in range(levels))
    return head + b"".join(parts) + b"\r\ndeep inside\r\n"


@pytest.mark.parametrize(("nesting", "levels"), [("multipart", 1200), ("rfc822", 2000)])
def test_a_mail_nested_too_deep_is_kept_unread_for_operators(
        desk: tuple[Bridge, int], nesting: str, levels: int) -> None:
    bridge, port = desk
    logged = len(bridge.log())
    assert send_raw(port, _nested(nesting, levels)) == (250, "OK")
    [kept] = [m for m in unmatched(bridge) if m["subject"] == f"deep {nesting}"]
    assert kept["sender"] == "jane@acme.example"
    assert kept["reason"] == "nested deeper than 20 MIME levels: kept unread"
    assert kept["body"].startswith("From: jane@acme.example")  # as received
    assert "deep inside" in kept["body"]
    assert "Traceback" not in bridge.log()[logged:]


def test_a_message_over_the_size_limit_is_refused_with_552(desk: tuple[Bridge, int]) -> None:
    _, port = desk
    code, _ = send(port, message("jane@acme.example", "big", "x" * 70000))
    assert code == 552


def test_a_recipient_not_of_the_desk_is_refused(desk: tuple[Bridge, int]) -> None:
    _, port = desk
    code, _ = send(port, message("jane@acme.example", "hi", "x"), to="ceo@elsewhere.example")
    assert code == 550


class _Service:
    """The intake's seam over a real store that can be made unavailable."""

    def __init__(self, config: Config, engine: Engine) -> None:
        self.config, self.engine, self.desk = config, engine, QuietDesk()

    def current_config(self) -> Config:
        return self.config

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def maintenance_windows(self) -> list[MaintenanceWindowRow]:
        return []

    async def read(self, fn: Any) -> Any:
        return await asyncio.to_thread(fn, self.engine)

    async def write_tickets(self, fn: Any, *, changed: Any = None) -> Any:
        desk: Desk = self.desk
        return await asyncio.to_thread(fn, self.engine, desk, self.now(), "INC")


@contextmanager
def receiving(service: _Service, port: int) -> Iterator[None]:
    """The receiver, in this process, on an event loop of its own in a thread."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete,
                              args=(receive_mail(service, stop, None),))
    thread.start()
    try:
        wait_for("the mail receiver", lambda: _listening(port))
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def test_a_store_that_is_down_is_a_4xx_and_the_retry_is_taken(tmp_path: Path) -> None:
    config_path, port = mail_deployment(tmp_path)
    config = load_config(config_path)
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    down = Database(f"sqlite:///{tmp_path / 'no-such-dir' / 'bridge.db'}")
    service = _Service(config, down.writer)
    try:
        with receiving(service, port):
            mail = message("jane@acme.example", "Router dead", "Please help.")
            code, _ = send(port, mail)
            assert 400 <= code < 500
            service.engine = db.writer  # the store is back; the sending server retries
            assert send(port, mail)[0] == 250
        [kept] = list_mail(db.writer, None, 10)
        assert (kept["status"], kept["subject"]) == (MailStatus.OPENED.value, "Router dead")
    finally:
        db.dispose()
        down.dispose()


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[tuple[Path, int, Database]]:
    """A deployment with [mail] and a migrated SQLite store, for the receiver run in this
    process (`receiving`)."""
    config_path, port = mail_deployment(tmp_path)
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    yield config_path, port, db
    db.dispose()


def test_a_mail_is_read_off_the_event_loop_and_only_so_many_parts(
        in_process: tuple[Path, int, Database], monkeypatch: pytest.MonkeyPatch) -> None:
    config_path, port, db = in_process
    monkeypatch.setattr(parse, "MAX_PARTS", 10)
    read_and_plan = receiver.read_and_plan
    on_the_loop: list[bool] = []

    def reading(*args: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_the_loop.append(True)
        except RuntimeError:  # no loop runs in this thread
            on_the_loop.append(False)
        return read_and_plan(*args)

    monkeypatch.setattr(receiver, "read_and_plan", reading)
    with receiving(_Service(load_config(config_path), db.writer), port):
        assert send_raw(port, _many_parts(40))[0] == 250
    [kept] = list_mail(db.writer, None, 10)
    assert kept["attachments"] == ["unnamed (image/png, 1 bytes)",
                                   "unnamed (image/png, 1 bytes)", "… and 6 more",
                                   "… parts beyond the first 10 not listed"]
    assert on_the_loop == [False]


def test_a_fault_of_bridges_own_is_a_4xx_that_tells_nothing_of_its_insides(
        in_process: tuple[Path, int, Database], monkeypatch: pytest.MonkeyPatch) -> None:
    config_path, port, db = in_process

    def broken(*args: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(receiver, "read_and_plan", broken)
    with receiving(_Service(load_config(config_path), db.writer), port):
        code, answer = send(port, message("jane@acme.example", "hi", "x"))
    assert (code, answer) == (451, "4.3.0 the desk cannot take the message now; "
                                   "try again later")


def test_after_a_fault_of_bridges_own_the_same_connection_takes_the_next_message(
        in_process: tuple[Path, int, Database], monkeypatch: pytest.MonkeyPatch) -> None:
    """A mail server keeps its connection for the next message (no RSET in between): the
    message that met the fault leaves nothing behind that refuses the next one."""
    config_path, port, db = in_process
    read_and_plan = receiver.read_and_plan
    faults = [RuntimeError("once")]

    def broken_once(*args: Any) -> Any:
        if faults:
            raise faults.pop()
        return read_and_plan(*args)

    monkeypatch.setattr(receiver, "read_and_plan", broken_once)
    with receiving(_Service(load_config(config_path), db.writer), port), \
            smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        answers = []
        for subject in ("first", "second"):
            answers.append(client.mail("jane@acme.example")[0])
            answers.append(client.rcpt("desk@msp.example")[0])
            answers.append(client.data(message("jane@acme.example", subject, "x")
                                       .as_bytes())[0])
    assert answers == [250, 250, 451, 250, 250, 250]
    [kept] = list_mail(db.writer, None, 10)
    assert kept["subject"] == "second"


def test_a_reload_opens_moves_and_closes_the_receiver_and_a_taken_port_is_tried_again(
        tmp_path: Path) -> None:
    """[mail] added by a reload starts the receiver, a new address moves it, a config
    without it closes it; an address held by another process (a second instance on the
    host) is bound once it is free, without a restart."""
    without = write_deployment(tmp_path / "plain", {"gw": "127.0.0.2"})
    first, port = mail_deployment(tmp_path / "first")
    moved, other_port = mail_deployment(tmp_path / "moved")
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    service = _Service(load_config(without), db.writer)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", other_port))
    blocker.listen()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete,
                              args=(receive_mail(service, stop, None),))
    thread.start()
    try:
        service.config = load_config(first)  # a reload that adds [mail]
        wait_for("the receiver a reload added", lambda: _listening(port))
        assert send(port, message("jane@acme.example", "Router dead", "help"))[0] == 250
        service.config = load_config(moved)  # its port is held by another process
        wait_for("the old address let go", lambda: _refuses(port))
        blocker.close()
        wait_for("the moved receiver, once its port is free", lambda: _listening(other_port))
        service.config = load_config(without)  # a reload that drops [mail]
        wait_for("the receiver closed", lambda: _refuses(other_port))
        assert [m["subject"] for m in list_mail(db.writer, None, 10)] == ["Router dead"]
    finally:
        blocker.close()
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
        db.dispose()


def _refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False
