"""The kinds of message, each with its own template (no other imports: config checks use it)."""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    """What a message is about; each kind has its own template.

    The ticket actions' kinds are named in the desk's action table (bridge/desk/actions.py);
    tests/desk checks that every kind here is an action's or the desk's own, and that each
    action's has a template in every language."""

    OPENED = "opened"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    ETA_SET = "eta_set"
    ETA_WILL_BE_EXCEEDED = "eta_will_be_exceeded"
    WAITING = "waiting"
    RESUMED = "resumed"
    ESCALATED = "escalated"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    COMMENT = "comment"
    SUPPLIER = "supplier"
    ONSITE = "onsite"
    LOANER = "loaner"
    DEAD_LETTER = "dead_letter"


DIGEST_KIND = "digest"  # several notices to one receiver in one message (storm control)
