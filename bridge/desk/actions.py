"""The service desk's ticket actions: ONE table, from which the rest derives.

Each `Action` declares, once, everything about it: the states it is allowed from and what
it does (the pure `Move` the store carries out), its timeline kind, who is told and with
which notice, its request body, its CLI arguments, its OpenAPI summary and the label of a
portal button. The API routes (api/tickets.py, api/openapi.py), the CLI verbs
(cli/ticket_verbs.py) and the notices (desk/contract.py) are derived from it, and
`table_problems` (run by tests/desk) refuses an entry that lacks a part.

Adding an action: one member here, and its notice's template in every language under
bridge/notify/templates/ (if it tells anyone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Self

from bridge.core.audience import Audience
from bridge.core.lifecycle import ACTIVE, WAITING, WORKING, Effect, IncidentStatus, Move
from bridge.desk.bodies import (
    AssignBody,
    Body,
    CommentBody,
    EscalateBody,
    EtaBody,
    LoanerBody,
    LoanerUpdate,
    MessageBody,
    OnsiteBody,
    OnsiteUpdate,
    SupplierBody,
    SupplierUpdate,
    WaitBody,
)
from bridge.notify.kinds import NoticeKind

S = IncidentStatus
ANY_STATE = frozenset(IncidentStatus)
CUSTOMER = frozenset({Audience.CUSTOMER})
NOBODY: frozenset[Audience] = frozenset()


@dataclass(frozen=True)
class CliArg:
    """One argument of an action's CLI verb, and the body field it fills."""

    name: str  # as argparse takes it: "assignee" (positional) or "--due"
    body_field: str = ""  # the request body's field; "" = argparse's dest
    options: Mapping[str, Any] = field(default_factory=dict)  # help, choices, default ...
    time: bool = False  # a time: read in the user's zone ("+2h", local ISO 8601)

    @property
    def dest(self) -> str:
        """Where argparse puts it."""
        return self.name.lstrip("-").replace("-", "_")

    @property
    def target(self) -> str:
        """The body field it fills."""
        return self.body_field or self.dest


@dataclass(frozen=True)
class Cli:
    """An action's verb: `bridge incidents NAME ID [ARGS] [-m MESSAGE]`."""

    help: str
    args: tuple[CliArg, ...] = ()
    message: bool = True  # takes -m/--message, a note for the timeline


@dataclass(frozen=True)
class RecordUpdate:
    """How a record action's record is updated: POST …/NAME/{record}."""

    body: type[Body]
    summary: str  # its OpenAPI summary


@dataclass(frozen=True)
class DeskAction:
    """Everything about one ticket action (see the module's docstring)."""

    name: str
    allowed_from: frozenset[IncidentStatus]
    effect: Effect
    timeline_kind: str
    notice: NoticeKind | None  # None: nobody is told
    audience: frozenset[Audience]
    body: type[Body]
    cli: Cli
    summary: str  # the OpenAPI summary of POST /api/v1/incidents/{id}/NAME
    label: str  # a portal button's text
    customer_may: bool = False  # a customer's token may take it on its own tickets
    public: bool = True  # customers see its timeline entries
    to_other_side: bool = False  # told: the side that did not act, not `audience`
    update: RecordUpdate | None = None  # record actions: updating a record

    @cached_property
    def move(self) -> Move:
        """The pure facts the store carries out."""
        return Move(self.name, self.allowed_from, self.effect, self.timeline_kind)

    def told(self, actor_is_customer: bool) -> frozenset[Audience]:
        """Who hears of it: a comment goes to the other side (an operator's to the
        customer, a customer's to the ticket's tier); anything else to its audience."""
        if self.to_other_side:
            return frozenset({Audience.TIER if actor_is_customer else Audience.CUSTOMER})
        return self.audience


class Action(StrEnum):
    """The ticket actions; each member's value is its name, its `spec` all the rest."""

    _value_: str
    spec: DeskAction

    def __new__(cls, spec: DeskAction) -> Self:
        member = str.__new__(cls, spec.name)
        member._value_ = spec.name
        member.spec = spec
        return member

    ACK = DeskAction(
        "ack", frozenset({S.OPEN}), Effect.ACKNOWLEDGE, "acknowledged",
        NoticeKind.ACKNOWLEDGED, CUSTOMER, MessageBody, Cli("acknowledge a ticket"),
        "Acknowledge: someone is looking at it.", "Acknowledge")
    ASSIGN = DeskAction(
        "assign", frozenset({S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS}), Effect.ASSIGN,
        "assigned", NoticeKind.ASSIGNED, CUSTOMER, AssignBody,
        Cli("assign a resolver (stops the reaction clock)", (CliArg("assignee"),)),
        "Assign a resolver: stops the reaction clock the first time.", "Assign")
    COMMENT = DeskAction(
        "comment", ANY_STATE, Effect.NONE, "comment", NoticeKind.COMMENT, NOBODY, CommentBody,
        Cli("add a comment to the timeline", (
            CliArg("message"),
            CliArg("--internal", options={"action": "store_true",
                                          "help": "not sent to the customer"})),
            message=False),
        "A comment on the timeline; `internal` ones (operators only) are not sent to the "
        "customer.", "Comment", customer_may=True, to_other_side=True)
    ETA = DeskAction(
        "eta", ACTIVE, Effect.SET_ETA, "eta_set", NoticeKind.ETA_SET, CUSTOMER, EtaBody,
        Cli("set the estimated resolution time", (CliArg("eta", time=True, options={
            "help": "ISO 8601 (local to --tz or the customer's zone), or +90m / +4h / +2d "
                    "from now"}),)),
        "The estimated resolution time the customer is told.", "Set ETA")
    WAIT = DeskAction(
        "wait", WORKING, Effect.WAIT, "waiting", NoticeKind.WAITING, CUSTOMER, WaitBody,
        Cli("pause the resolution clock", (CliArg("--on", options={
            "choices": ["customer", "supplier"], "default": "customer"}),)),
        "Pause the resolution clock while waiting on the customer or a supplier.", "Wait")
    RESUME = DeskAction(
        "resume", WAITING, Effect.RESUME, "resumed", NoticeKind.RESUMED, CUSTOMER, MessageBody,
        Cli("work goes on after waiting"),
        "Work goes on after waiting: the resolution clock runs again.", "Resume")
    ESCALATE = DeskAction(
        "escalate", ACTIVE, Effect.ESCALATE, "escalated", NoticeKind.ESCALATED,
        frozenset({Audience.TIER}), EscalateBody,
        Cli("escalate to a higher tier", (CliArg("tier", options={
            "type": int, "choices": [2, 3, 4]}),)),
        "Escalate to a higher tier (2 project specialist, 3 senior experts, 4 on-site).",
        "Escalate", public=False)
    SUPPLIER = DeskAction(
        "supplier", ACTIVE, Effect.SUPPLIER_RECORD, "supplier", NoticeKind.SUPPLIER, CUSTOMER,
        SupplierBody,
        Cli("hand the ticket to an external supplier", (
            CliArg("supplier"), CliArg("--reference", options={"default": ""}),
            CliArg("--due", "due_at", time=True)), message=False),
        "Hand the ticket to an external supplier.", "Supplier",
        update=RecordUpdate(SupplierUpdate,
                            "The supplier's reference or due time changed, or they are done."))
    ONSITE = DeskAction(
        "onsite", ACTIVE, Effect.ONSITE_RECORD, "onsite", NoticeKind.ONSITE, CUSTOMER,
        OnsiteBody,
        Cli("dispatch a technician on site", (
            CliArg("technician"), CliArg("scheduled_at", time=True)), message=False),
        "Dispatch a technician to the customer's site.", "On-site visit",
        update=RecordUpdate(OnsiteUpdate, "The visit moved, or the technician arrived."))
    LOANER = DeskAction(
        # a loaner may be returned after the fix
        "loaner", ANY_STATE - {S.CLOSED}, Effect.LOANER_RECORD, "loaner", NoticeKind.LOANER,
        CUSTOMER, LoanerBody,
        Cli("lend a courtesy device", (
            CliArg("device"), CliArg("--serial", options={"default": ""})), message=False),
        "Lend a courtesy device while the customer's own is repaired.", "Loaner",
        update=RecordUpdate(LoanerUpdate, "The loaner came back."))
    RESOLVE = DeskAction(
        "resolve", ACTIVE, Effect.RESOLVE, "resolved", NoticeKind.RESOLVED, CUSTOMER,
        MessageBody, Cli("the problem is solved (the customer is asked to confirm)"),
        "Solved: the resolution clock stops; the customer is asked to confirm.", "Resolve")
    CONFIRM = DeskAction(
        "confirm", frozenset({S.RESOLVED}), Effect.CONFIRM, "confirmed", None, NOBODY,
        MessageBody, Cli("the customer agrees the problem is solved: close"),
        "The customer agrees it is solved: the ticket closes.", "Confirm", customer_may=True)
    CLOSE = DeskAction(
        "close", frozenset({S.RESOLVED}), Effect.CLOSE, "closed", NoticeKind.CLOSED, CUSTOMER,
        MessageBody, Cli("close after the contract's silence period"),
        "Close without confirmation, once the contract's silence period has passed.", "Close")
    REOPEN = DeskAction(
        "reopen", frozenset({S.RESOLVED, S.CLOSED}), Effect.REOPEN, "reopened",
        NoticeKind.REOPENED, frozenset({Audience.CUSTOMER, Audience.TIER}), MessageBody,
        Cli("the problem is back"), "The problem is back: the ticket opens again.", "Reopen",
        customer_may=True)


_BY_NAME: dict[str, Action] = {a.value: a for a in Action}


def action_named(name: str) -> Action | None:
    """The action of that name, if there is one."""
    return _BY_NAME.get(name)


def actions_by_timeline_kind() -> dict[str, Action]:
    """Each action by the timeline kind it writes."""
    return {a.spec.timeline_kind: a for a in Action}
