"""Request bodies of the ticket actions: strict pydantic models, their JSON Schemas in OpenAPI.

Each body says what of it goes into the store's ActionRequest (`request_fields`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bridge.core.instants import Instant
from bridge.core.lifecycle import WaitingOn
from bridge.core.priority import Priority

Text = Annotated[str, Field(max_length=2000)]
Short = Annotated[str, Field(min_length=1, max_length=200)]


class Body(BaseModel):
    """Unknown fields are errors, so a typo is a 400, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def request_fields(self) -> dict[str, Any]:
        """The ActionRequest fields this body sets: its message for the timeline."""
        return {"message": getattr(self, "message", "") or ""}


class RecordBody(Body):
    """A record (supplier, on-site visit, loaner) added or updated: its set fields."""

    def request_fields(self) -> dict[str, Any]:
        """The record's fields, times in UTC; no timeline message (the record says it)."""
        return {"message": "", "fields": {k: v.astimezone(UTC) if isinstance(v, datetime)
                                          else v for k, v in record_fields(self).items()}}


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

    def request_fields(self) -> dict[str, Any]:
        """The assignee."""
        return {**super().request_fields(), "assignee": self.assignee}


class CommentBody(Body):
    """A comment on the timeline; `internal` ones (operators only) are not sent to the customer."""

    message: Annotated[str, Field(min_length=1, max_length=2000)]
    internal: bool = False

    def request_fields(self) -> dict[str, Any]:
        """Whether it is internal."""
        return {**super().request_fields(), "internal": self.internal}


class EtaBody(Body):
    """The estimated resolution time the customer is told."""

    eta: Instant
    message: Text = ""

    def request_fields(self) -> dict[str, Any]:
        """The ETA, in UTC."""
        return {**super().request_fields(), "eta_at": self.eta.astimezone(UTC)}


class WaitBody(Body):
    """Pause the resolution clock while waiting on the customer or a supplier."""

    on: Literal["customer", "supplier"] = "customer"
    message: Text = ""

    def request_fields(self) -> dict[str, Any]:
        """Whom it waits on."""
        return {**super().request_fields(), "waiting_on": WaitingOn(self.on)}


class EscalateBody(Body):
    """Escalate to a higher tier (2 project specialist, 3 senior experts, 4 on-site)."""

    tier: Annotated[int, Field(ge=2, le=4)]
    message: Text = ""

    def request_fields(self) -> dict[str, Any]:
        """The tier."""
        return {**super().request_fields(), "tier": self.tier}


class SupplierBody(RecordBody):
    """Hand the ticket to an external supplier."""

    supplier: Short
    reference: Annotated[str, Field(max_length=200)] = ""
    due_at: Instant | None = None
    note: Text = ""


class SupplierUpdate(RecordBody):
    """The supplier's reference or due time changed, or they are done."""

    reference: Annotated[str, Field(max_length=200)] | None = None
    due_at: Instant | None = None
    closed: bool = False
    note: Text | None = None


class OnsiteBody(RecordBody):
    """Dispatch a technician to the customer's site."""

    technician: Short
    scheduled_at: Instant
    note: Text = ""


class OnsiteUpdate(RecordBody):
    """The visit moved, or the technician arrived."""

    scheduled_at: Instant | None = None
    arrived: bool = False
    note: Text | None = None


class LoanerBody(RecordBody):
    """Lend a courtesy device while the customer's own is repaired."""

    device: Short
    serial: Annotated[str, Field(max_length=200)] = ""
    note: Text = ""


class LoanerUpdate(RecordBody):
    """The loaner came back."""

    returned: bool = False
    note: Text | None = None


def record_fields(body: Body) -> dict[str, Any]:
    """A record body's fields, without the unset ones (so an update changes only those)."""
    return {k: v for k, v in body.model_dump(exclude_unset=True).items()
            if not isinstance(v, datetime) or v is not None}
