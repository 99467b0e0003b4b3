"""Request bodies of the ticket API: strict pydantic models, their JSON Schemas in OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bridge.core.lifecycle import Action
from bridge.core.priority import Priority

Text = Annotated[str, Field(max_length=2000)]
Short = Annotated[str, Field(min_length=1, max_length=200)]


class Body(BaseModel):
    """Unknown fields are errors, so a typo is a 400, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MessageBody(Body):
    """An action that takes only an optional message for the timeline."""

    message: Text = ""


class CreateBody(Body):
    """A ticket reported by a customer (or opened by an operator for one)."""

    customer: Annotated[str, Field(max_length=64)] | None = None  # customer tokens: their own
    device: Annotated[str, Field(max_length=64)] | None = None
    summary: Annotated[str, Field(min_length=1, max_length=500)]
    # An operator's sets the priority; a customer's is a proposal the ticket records, the
    # contract decides (its reported_priority). Left out: the contract's.
    priority: Priority | None = None
    message: Text = ""


class AssignBody(Body):
    """Assign a resolver: stops the reaction clock the first time."""

    assignee: Annotated[str, Field(min_length=1, max_length=64)]
    message: Text = ""


class CommentBody(Body):
    """A comment on the timeline; `internal` ones (operators only) are not sent to the customer."""

    message: Annotated[str, Field(min_length=1, max_length=2000)]
    internal: bool = False


class EtaBody(Body):
    """The estimated resolution time the customer is told."""

    eta: AwareDatetime
    message: Text = ""


class WaitBody(Body):
    """Pause the resolution clock while waiting on the customer or a supplier."""

    on: Literal["customer", "supplier"] = "customer"
    message: Text = ""


class EscalateBody(Body):
    """Escalate to a higher tier (2 project specialist, 3 senior experts, 4 on-site)."""

    tier: Annotated[int, Field(ge=2, le=4)]
    message: Text = ""


class SupplierBody(Body):
    """Hand the ticket to an external supplier."""

    supplier: Short
    reference: Annotated[str, Field(max_length=200)] = ""
    due_at: AwareDatetime | None = None
    note: Text = ""


class SupplierUpdate(Body):
    """The supplier's reference or due time changed, or they are done."""

    reference: Annotated[str, Field(max_length=200)] | None = None
    due_at: AwareDatetime | None = None
    closed: bool = False
    note: Text | None = None


class OnsiteBody(Body):
    """Dispatch a technician to the customer's site."""

    technician: Short
    scheduled_at: AwareDatetime
    note: Text = ""


class OnsiteUpdate(Body):
    """The visit moved, or the technician arrived."""

    scheduled_at: AwareDatetime | None = None
    arrived: bool = False
    note: Text | None = None


class LoanerBody(Body):
    """Lend a courtesy device while the customer's own is repaired."""

    device: Short
    serial: Annotated[str, Field(max_length=200)] = ""
    note: Text = ""


class LoanerUpdate(Body):
    """The loaner came back."""

    returned: bool = False
    note: Text | None = None


BODIES: dict[Action, type[Body]] = {
    Action.ACK: MessageBody, Action.ASSIGN: AssignBody, Action.COMMENT: CommentBody,
    Action.ETA: EtaBody, Action.WAIT: WaitBody, Action.RESUME: MessageBody,
    Action.ESCALATE: EscalateBody, Action.RESOLVE: MessageBody, Action.CONFIRM: MessageBody,
    Action.CLOSE: MessageBody, Action.REOPEN: MessageBody, Action.SUPPLIER: SupplierBody,
    Action.ONSITE: OnsiteBody, Action.LOANER: LoanerBody,
}
UPDATES: dict[Action, type[Body]] = {
    Action.SUPPLIER: SupplierUpdate, Action.ONSITE: OnsiteUpdate, Action.LOANER: LoanerUpdate,
}


def record_fields(body: Body) -> dict[str, Any]:
    """A record body's fields, without the unset ones (so an update changes only those)."""
    return {k: v for k, v in body.model_dump(exclude_unset=True).items()
            if not isinstance(v, datetime) or v is not None}
