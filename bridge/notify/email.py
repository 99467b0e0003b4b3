"""Email over SMTP (aiosmtplib): one message per delivery, STARTTLS or TLS, optional AUTH.

A 5xx refusal of the message or its recipient is permanent (dead); a 4xx, a lost
connection, a TLS failure or a timeout is transient (retry). A refused login is
retried too: the message is fine, the credentials need fixing, and the retry deadline
still turns it into a dead letter if nobody does.
"""

from __future__ import annotations

import hashlib
import socket
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

import aiosmtplib

from bridge.notify.notice import Message
from bridge.notify.retry import Attempt, Dead, Delivered, Retry
from bridge.notify.subject import mail_policy

if TYPE_CHECKING:
    from datetime import datetime

    from bridge.config.channels import SmtpChannel


MAIL_POLICY = mail_policy()


def message_id(idempotency_key: str, sender: str) -> str:
    """The same Message-ID for every attempt at one message, so mail systems drop copies."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


def build_message(item: Message, sender: str, now: datetime) -> EmailMessage:
    """The email for one message: plain UTF-8 text, ticket and key in headers.

    Its subject is folded by bridge (`subject.py`), so readers get every space back."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    message["To"] = item.recipient
    message["Subject"] = item.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(item.idempotency_key, sender)
    message["X-Bridge-Idempotency-Key"] = item.idempotency_key
    if ticket := item.payload.get("ticket"):
        message["X-Bridge-Ticket"] = str(ticket)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(item.body, charset="utf-8")
    return message


def _refusal(code: int, text: str, what: str) -> Attempt:
    reason = f"{what}: {code} {text}".strip()
    return Dead(reason) if 500 <= code < 600 else Retry(reason)


class EmailSender:
    """Sends `mailto:` messages through the configured SMTP server (if there is one)."""

    def __init__(self, smtp: SmtpChannel | None) -> None:
        self._smtp = smtp
        self._local_hostname = socket.gethostname()  # not getfqdn(): no resolver per send

    async def send(self, item: Message, now: datetime) -> Attempt:
        """Deliver one message; never raises for a delivery problem."""
        smtp = self._smtp
        if smtp is None:
            return Retry("email is not configured ([notifications.smtp])")
        try:
            _, reply = await aiosmtplib.send(
                build_message(item, smtp.sender, now), hostname=smtp.host, port=smtp.port,
                username=smtp.username or None,
                password=smtp.password.reveal() if smtp.password else None,
                use_tls=smtp.tls, start_tls=smtp.starttls, timeout=smtp.timeout_s,
                cert_bundle=str(smtp.ca_file) if smtp.ca_file else None,
                local_hostname=self._local_hostname)
        except aiosmtplib.SMTPAuthenticationError as exc:
            return Retry(f"login refused: {exc.code} {exc.message} (check username/password)")
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            return _refusal(first.code, first.message, f"recipient {first.recipient} refused")
        except aiosmtplib.SMTPConnectError as exc:  # incl. a 5xx greeting: the server, not us
            return Retry(f"{smtp.host}:{smtp.port}: {exc}")
        except aiosmtplib.SMTPSenderRefused as exc:
            return _refusal(exc.code, exc.message, f"sender {exc.sender} refused")
        except aiosmtplib.SMTPResponseException as exc:
            return _refusal(exc.code, exc.message, "server refused the message")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Retry(f"{smtp.host}:{smtp.port}: {exc or type(exc).__name__}")
        return Delivered(reply)
