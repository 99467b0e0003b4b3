"""What a read message becomes, decided from the config (pure) and carried out in the store.

A reply (a ticket ID in the subject, or a plus-address `desk+INC-2026-000012@…`) from an
address of a customer is that customer's comment on the ticket, through the desk's action
table; a new message from such an address is a customer-reported ticket; anything else is
kept for operators. A ticket ID of another customer's ticket is answered exactly as one of
no ticket: nothing tells the sender it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bridge.config.intake_mail import MailIntake
from bridge.config.model import Config
from bridge.core.priority import Priority
from bridge.desk.actions import Action
from bridge.intake.mail.parse import ReadMail
from bridge.intake.mail.trim import trim_reply
from bridge.store import Engine
from bridge.store.mail import ReceivedMail, SettlingDesk, keep_mail, settle_mail
from bridge.store.mail_models import MailStatus
from bridge.store.models import Actor, TicketSource
from bridge.store.reads import ref_of
from bridge.store.tickets import ActionRequest, Desk, NewTicket, create_ticket, take_action

KEPT_BODY_CHARS = 65536  # an unmatched message's text kept for operators
NO_TICKET = "names no ticket of the sender's customer"
UNKNOWN_SENDER = "the sender is no known customer's address"


@dataclass(frozen=True)
class MailPlan:
    """What to do: comment on `ref`, open a ticket (no ref), or keep it (`reason`)."""

    customer: str | None
    ref: str | None = None
    reason: str = ""  # kept for operators, and why
    author: str = ""
    text: str = ""  # the comment, or the new ticket's first comment
    title: str = ""  # a new ticket's summary: the subject
    priority: Priority = Priority.P3  # a new ticket's: the contract's reported priority


def ticket_ref(subject: str, recipients: tuple[str, ...], prefix: str) -> str | None:
    """The ticket ID a reply names: a plus-address's (`desk+INC-2026-000012@…`), else the
    subject's (`Re: [INC-2026-000012] …`)."""
    pattern = re.compile(rf"(?<![\w-])({re.escape(prefix)}-\d{{4}}-\d{{6,9}})(?![\w-])",
                         re.IGNORECASE)
    for recipient in recipients:
        local = recipient.rpartition("@")[0]
        found = pattern.fullmatch(local.partition("+")[2]) if "+" in local else None
        if found:
            return found.group(1).upper()
    found = pattern.search(subject)
    return found.group(1).upper() if found else None


def _comment_text(read: ReadMail, cap: int) -> str:
    # trimming reads no further than the text kept for operators (a comment is at most
    # 2000 characters of it): a message of millions of lines costs no more than a short one
    text = trim_reply(read.text[:KEPT_BODY_CHARS]) or "(no text)"
    if read.attachments:
        listed = "\n".join(f"- {a}" for a in read.attachments)
        text = f"{text}\n\nAttachments (not kept by bridge):\n{listed}"
    return text if len(text) <= cap else text[:cap - 1] + "…"


def plan_mail(read: ReadMail, recipients: tuple[str, ...], config: Config,
              mail: MailIntake) -> MailPlan:
    """What a message becomes under this config (the store still checks the ticket's owner)."""
    if read.problem:
        return MailPlan(None, reason=read.problem)
    customer = mail.customer_of(read.sender)
    if customer is None or customer not in config.customers:
        return MailPlan(None, reason=UNKNOWN_SENDER)
    author = f"{read.sender_name} <{read.sender}>" if read.sender_name else read.sender
    if len(author) > 64:
        author = read.sender[:64]
    return MailPlan(customer, ticket_ref(read.subject, recipients,
                                         config.main.incidents.id_prefix),
                    author=author, text=_comment_text(read, mail.max_body_chars),
                    title=read.subject or "(no subject)",
                    priority=config.reported_priority(customer))


def received(read: ReadMail, recipients: tuple[str, ...], size_bytes: int) -> ReceivedMail:
    """The row kept for the message, whatever it becomes."""
    return ReceivedMail(read.digest, read.message_id, read.sender,
                        recipients[0] if recipients else "", read.subject, size_bytes,
                        read.text[:KEPT_BODY_CHARS], read.attachments)


def carry_out(engine: Engine, desk: Desk, now: datetime, prefix: str, kept: ReceivedMail,
              plan: MailPlan) -> tuple[MailStatus, bool]:
    """Keep the message, then (unless a resend of a settled one) do what the plan says;
    (what it became, whether just now)."""
    mail_id, status = keep_mail(engine, kept, now)
    if status is not MailStatus.PENDING:
        return status, False  # a resend: it did what it did once
    return _settle(engine, desk, now, prefix, mail_id, kept, plan), True


def _settle(engine: Engine, desk: Desk, now: datetime, prefix: str, mail_id: int,
            kept: ReceivedMail, plan: MailPlan) -> MailStatus:
    if plan.customer is None:
        settle_mail(engine, mail_id, MailStatus.UNMATCHED, reason=plan.reason)
        return MailStatus.UNMATCHED
    if plan.ref is not None:
        request = ActionRequest(move=Action.COMMENT.spec.move, actor=Actor.CUSTOMER,
                                author=plan.author, message=plan.text)
        settling = SettlingDesk(desk, mail_id, MailStatus.COMMENTED, plan.customer)
        result = take_action(engine, plan.ref, plan.customer, request, now, settling)
        if result.status != 200:
            settle_mail(engine, mail_id, MailStatus.UNMATCHED, reason=NO_TICKET,
                        customer=plan.customer)
            return MailStatus.UNMATCHED
        return MailStatus.COMMENTED
    # the message's digest as the idempotency key too: a retry never opens a second ticket
    new = NewTicket(customer=plan.customer, device=None, summary=plan.title,
                    priority=plan.priority, source=TicketSource.CUSTOMER, actor=Actor.CUSTOMER,
                    author=plan.author, message=plan.text, dedupe_key=f"mail-{kept.digest}")
    settling = SettlingDesk(desk, mail_id, MailStatus.OPENED, plan.customer)
    incident_id, created = create_ticket(engine, new, prefix, now, settling)
    if not created:  # opened by an earlier attempt whose row was not settled with it
        settle_mail(engine, mail_id, MailStatus.OPENED, customer=plan.customer,
                    ticket=ref_of(engine, incident_id))
    return MailStatus.OPENED
