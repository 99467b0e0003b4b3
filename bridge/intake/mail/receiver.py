"""The SMTP (or LMTP) receiver the provider's mail server forwards customers' mail to.

The answer to DATA is 250 only once the message is in the store (whatever it becomes), and
4xx when the store cannot take it, so the sending server keeps it and tries again: nothing
is lost, and a resend (the same Message-ID, sender and body) does nothing twice. A message
over `max_message_bytes` is refused with 552 by aiosmtpd itself, before it is read. Reading
it (MIME parse, HTML, trimming) is CPU work of up to seconds: it runs in a thread of the
receiver's own, never on the event loop, one message at a time.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from prometheus_client import CollectorRegistry, Counter

from bridge.aio import wait_or_timeout
from bridge.config.intake_mail import MailIntake
from bridge.config.model import Config
from bridge.intake.mail.deliver import MailPlan, carry_out, plan_mail, received
from bridge.intake.mail.parse import ReadMail, read_mail
from bridge.intake.quiet_log import QuietLog
from bridge.intake.service import IntakeService
from bridge.store.mail import ReceivedMail

log = logging.getLogger(__name__)
RECONCILE_S = 2.0  # how soon a reload's new, moved or dropped receiver follows
OUTCOMES = ("commented", "opened", "unmatched", "resent", "deferred")


class MailCounters:
    """bridge_intake_mail_total by outcome."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self._mail = Counter("bridge_intake_mail_total",
                             "Customer mail received, by what it became ('unmatched': kept for "
                             "operators; 'deferred': 4xx, the store was unavailable).",
                             ["outcome"], registry=registry or CollectorRegistry())
        for outcome in OUTCOMES:
            self._mail.labels(outcome)

    def count(self, outcome: str) -> None:
        """One message had this outcome."""
        self._mail.labels(outcome).inc()


def read_and_plan(data: bytes, recipients: tuple[str, ...], config: Config,
                  mail: MailIntake) -> tuple[ReadMail, MailPlan, ReceivedMail]:
    """The message read, what it is to become, and its row: all that costs CPU."""
    read = read_mail(data, mail.max_attachments_listed)
    return read, plan_mail(read, recipients, config, mail), received(read, recipients, len(data))


class MailHandler:
    """aiosmtpd's handler: RCPT checks the recipient, DATA stores and carries out."""

    def __init__(self, service: IntakeService, counters: MailCounters, lmtp: bool,
                 reader: Executor) -> None:
        self.service = service
        self.counters = counters
        self.lmtp = lmtp
        self.reader = reader  # where messages are read, off the event loop

    def _mail(self) -> MailIntake | None:
        return self.service.current_config().intake.mail

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        """Only the desk's own addresses (and their plus-addresses) are taken."""
        mail = self._mail()
        if mail is None or not mail.accepts(address):
            return "550 5.1.1 not a mailbox of this desk"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    def _answer(self, status: str, envelope: Envelope) -> str:
        """LMTP answers once per recipient; each is the same message to the desk."""
        count = len(envelope.rcpt_tos) if self.lmtp else 1
        return "\r\n".join([status] * max(1, count))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message, then comment, open or keep it for operators."""
        config = self.service.current_config()
        mail = config.intake.mail
        if mail is None:  # [mail] removed by a reload while this client was connected
            return self._answer("451 4.3.2 the desk takes no mail now; try again later",
                                envelope)
        data = envelope.original_content or b""
        try:
            read, plan, kept = await asyncio.get_running_loop().run_in_executor(
                self.reader, read_and_plan, data, tuple(envelope.rcpt_tos), config, mail)
        except Exception as exc:  # answered here: aiosmtpd keeps the envelope of a raise
            return self._answer(await self.handle_exception(exc), envelope)
        try:
            status, fresh = await self.service.write_tickets(
                lambda engine, desk, now, prefix: carry_out(engine, desk, now, prefix, kept,
                                                            plan))
        except Exception:  # the store failed: the sender keeps the message and retries
            log.warning("mail from %s deferred: the store is unavailable", read.sender,
                        exc_info=True)
            self.counters.count("deferred")
            return self._answer("451 4.3.0 the desk's store is unavailable; try again later",
                                envelope)
        self.counters.count(status.value if fresh else "resent")
        log.info("mail from %s: %s%s", read.sender, status.value, "" if fresh else " (resent)")
        return self._answer(f"250 2.0.0 OK {status.value}", envelope)

    async def handle_exception(self, error: Exception) -> str:
        """A fault of bridge's own: the sender keeps the message and retries, and hears
        nothing of bridge's insides (aiosmtpd's own answer is a 500 naming the error)."""
        log.error("mail receiver failed: %s: %s", type(error).__name__, error,
                  exc_info=error)
        return "451 4.3.0 the desk cannot take the message now; try again later"


async def receive_mail(service: IntakeService, stop: asyncio.Event,
                       registry: CollectorRegistry | None) -> None:
    """Until `stop`: a receiver on [mail]'s address while the running config has one. A
    reload that adds, moves (`listen`, `lmtp`, `max_message_bytes`) or drops it opens,
    moves or closes the receiver within RECONCILE_S; an address that cannot be bound (its
    port held by another process, e.g. a second instance on this host) is tried again as
    often, and logged once a minute."""
    # aiosmtpd logs every command at INFO ("mail.log"); bridge logs one line per message
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # one thread: a hostile message delays the next one's reading, never the daemon's loop
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-reader")
    quiet = QuietLog(log)
    counters: MailCounters | None = None
    server: asyncio.Server | None = None
    bound: tuple[str, int, bool, int] | None = None
    try:
        while not stop.is_set():
            mail = service.current_config().intake.mail
            wanted = None if mail is None else (mail.host, mail.port, mail.lmtp,
                                                mail.max_message_bytes)
            if server is not None and wanted != bound:
                await _close(server, bound)
                server = bound = None
            if server is None and mail is not None:
                counters = counters or MailCounters(registry)
                server = await _listen(mail, MailHandler(service, counters, mail.lmtp, reader),
                                       quiet)
                bound = wanted if server is not None else None
            await wait_or_timeout(stop, RECONCILE_S)
    finally:
        if server is not None:
            await _close(server, bound)
        reader.shutdown(wait=False, cancel_futures=True)  # a message being read is bounded


async def _listen(mail: MailIntake, handler: MailHandler, quiet: QuietLog
                  ) -> asyncio.Server | None:
    protocol = LMTP if mail.lmtp else SMTP

    def connection() -> SMTP:
        return protocol(handler, data_size_limit=mail.max_message_bytes,
                        enable_SMTPUTF8=True, decode_data=False, ident="bridge")

    try:
        server = await asyncio.get_running_loop().create_server(connection, mail.host, mail.port)
    except OSError as exc:
        quiet.log(logging.ERROR, ("listen", f"{mail.host}:{mail.port}"),
                  "the mail receiver cannot listen on %s:%d: %s (tried again every %g s; "
                  "the mail server queues meanwhile)", mail.host, mail.port,
                  exc.strerror or exc, RECONCILE_S)
        return None
    log.info("receiving mail on %s:%d (%s)", mail.host, mail.port,
             "LMTP" if mail.lmtp else "SMTP")
    return server


async def _close(server: asyncio.Server, bound: tuple[str, int, bool, int] | None) -> None:
    """Stop listening (a message being received on an open connection is still taken: not
    waited for, as Server.wait_closed does from Python 3.12 on, for as long as a mail server
    keeps its connection open)."""
    server.close()
    if bound is not None:
        log.info("mail receiver on %s:%d closed", bound[0], bound[1])
