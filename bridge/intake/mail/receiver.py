"""The SMTP (or LMTP) receiver the provider's mail server forwards customers' mail to.

The answer to DATA is 250 only once the message is in the store (whatever it becomes), and
4xx when the store cannot take it, so the sending server keeps it and tries again: nothing
is lost, and a resend (the same Message-ID) does nothing twice. A message over
`max_message_bytes` is refused with 552 by aiosmtpd itself, before it is read.
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from prometheus_client import CollectorRegistry, Counter

from bridge.config.intake_mail import MailIntake
from bridge.intake.mail.deliver import carry_out, plan_mail, received
from bridge.intake.mail.parse import read_mail
from bridge.intake.service import IntakeService

log = logging.getLogger(__name__)
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


class MailHandler:
    """aiosmtpd's handler: RCPT checks the recipient, DATA stores and carries out."""

    def __init__(self, service: IntakeService, counters: MailCounters, lmtp: bool) -> None:
        self.service = service
        self.counters = counters
        self.lmtp = lmtp

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
        read = read_mail(data, mail.max_attachments_listed)
        recipients = tuple(envelope.rcpt_tos)
        plan = plan_mail(read, recipients, config, mail)
        kept = received(read, recipients, len(data))
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


async def receive_mail(service: IntakeService, stop: asyncio.Event,
                       registry: CollectorRegistry | None) -> None:
    """Listen on [mail]'s address until `stop` (read at start: a new address needs a restart)."""
    mail = service.current_config().intake.mail
    if mail is None:
        return
    # aiosmtpd logs every command at INFO ("mail.log"); bridge logs one line per message
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = MailHandler(service, MailCounters(registry), mail.lmtp)
    protocol = LMTP if mail.lmtp else SMTP

    def connection() -> SMTP:
        return protocol(handler, data_size_limit=mail.max_message_bytes,
                        enable_SMTPUTF8=True, decode_data=False, ident="bridge")

    try:
        server = await asyncio.get_running_loop().create_server(connection, mail.host, mail.port)
    except OSError as exc:
        log.error("the mail receiver cannot listen on %s:%d: %s", mail.host, mail.port, exc)
        return
    log.info("receiving mail on %s:%d (%s)", mail.host, mail.port,
             "LMTP" if mail.lmtp else "SMTP")
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
