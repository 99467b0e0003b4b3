"""The tables. State is kept apart from history, tickets apart from what we told whom."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bridge.core.lifecycle import IncidentStatus
from bridge.core.priority import Priority
from bridge.core.state import Reason, StateType, Status
from bridge.store.availability_models import AvailabilityDay as AvailabilityDay
from bridge.store.availability_models import AvailabilityOutage as AvailabilityOutage
from bridge.store.availability_models import AvailabilityRollup as AvailabilityRollup
from bridge.store.columns import enum_column as _enum
from bridge.store.columns import utc_column as _utc
from bridge.store.intake_models import IntakeAlert as IntakeAlert
from bridge.store.lease_models import BridgeInstance as BridgeInstance
from bridge.store.lease_models import ShardLease as ShardLease
from bridge.store.mail_models import InboundMail as InboundMail
from bridge.store.user_models import EndedPortalSession as EndedPortalSession
from bridge.store.user_models import PersonalToken as PersonalToken
from bridge.store.user_models import PortalUser as PortalUser
from bridge.store.user_models import UsedMailLink as UsedMailLink


class TicketSource(StrEnum):
    """Who opened a ticket."""

    MONITORING = "monitoring"
    CUSTOMER = "customer"
    OPERATOR = "operator"


class Actor(StrEnum):
    """Who did something to a ticket."""

    SYSTEM = "system"
    OPERATOR = "operator"
    CUSTOMER = "customer"


class OutboxStatus(StrEnum):
    """Delivery state of one outgoing message."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class CheckStateRow(SQLModel, table=True):
    """The current state of each check; one row per device and probe."""

    __tablename__ = "check_state"

    device: str = Field(primary_key=True, max_length=64)
    probe: str = Field(primary_key=True, max_length=64)
    status: Status = Field(sa_column=Column(_enum(Status, "status"), nullable=False))
    state_type: StateType = Field(sa_column=Column(_enum(StateType, "state_type"), nullable=False))
    attempts: int = 0
    since: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    hard_status: Status = Field(sa_column=Column(_enum(Status, "hard_status"), nullable=False))
    hard_since: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    last_ok: bool | None = None
    last_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    last_output: str = Field(default="", max_length=500)
    last_warning: bool = False
    # ProbeResult.measurements of the last result, by name (e.g. rtt_avg_s, loss_ratio)
    last_measurements: dict[str, float] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    # ProbeResult.values of the last result as [name, text] pairs, capped (store/values.py);
    # None when it read none (a ping)
    last_values: list[list[str]] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    ok_streak: int = 0
    ok_since: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # flap detection's recent results, "1" up and "0" failed, oldest first, and its flag
    flap_results: str = Field(default="", max_length=32)
    flapping: bool = False


class StateChange(SQLModel, table=True):
    """A hard state change of a check: the history availability is computed from."""

    __tablename__ = "state_change"
    __table_args__ = (Index("ix_state_change_check_at", "device", "probe", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer: str = Field(max_length=64, index=True)
    device: str = Field(max_length=64)
    probe: str = Field(max_length=64)
    old_status: Status = Field(sa_column=Column(_enum(Status, "old_status"), nullable=False))
    new_status: Status = Field(sa_column=Column(_enum(Status, "new_status"), nullable=False))
    at: datetime = Field(sa_column=_utc(index=True))
    reason: Reason = Field(sa_column=Column(_enum(Reason, "reason"), nullable=False))
    output: str = Field(default="", max_length=500)


class IncidentCounter(SQLModel, table=True):
    """The last ticket number handed out per year, for IDs like INC-2026-000042."""

    __tablename__ = "incident_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = 0


class Incident(SQLModel, table=True):
    """A ticket. `open_key` holds the problem key while the problem is active.

    The unique constraint on `open_key` is what guarantees one active ticket per
    problem across restarts and instances; NULLs (resolved tickets) do not collide.
    """

    __tablename__ = "incident"
    __table_args__ = (UniqueConstraint("open_key", name="uq_incident_open_key"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=32, unique=True)
    problem_key: str = Field(max_length=200, index=True)
    open_key: str | None = Field(default=None, max_length=200)
    customer: str = Field(max_length=64, index=True)
    device: str | None = Field(default=None, max_length=64)
    probe: str | None = Field(default=None, max_length=64)
    status: IncidentStatus = Field(
        sa_column=Column(_enum(IncidentStatus, "incident_status"), nullable=False, index=True))
    priority: Priority = Field(sa_column=Column(_enum(Priority, "priority"), nullable=False))
    tier: int = 1
    flapping: bool = False
    rule: str = Field(default="", max_length=64)
    summary: str = Field(default="", max_length=500)
    started_at: datetime = Field(sa_column=_utc())
    opened_at: datetime = Field(sa_column=_utc(index=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    updated_at: datetime = Field(sa_column=_utc())
    # The service-desk half: who reported it, who works on it, and the contract's clocks.
    source: TicketSource = Field(default=TicketSource.MONITORING, sa_column=Column(
        _enum(TicketSource, "ticket_source"), nullable=False, server_default="monitoring"))
    reported_by: str = Field(default="", max_length=64)
    assignee: str = Field(default="", max_length=64)
    chain: str = Field(default="", max_length=64)  # the escalation chain its steps came from
    acknowledged_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    assigned_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    confirmed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    paused_since: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    eta_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    eta_noticed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    reaction_due_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    resolution_due_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    # SHA-256 (hex) of the API request that opened it with an Idempotency-Key.
    request_digest: str | None = Field(default=None, max_length=64)


class IncidentEvent(SQLModel, table=True):
    """One entry on a ticket's timeline."""

    __tablename__ = "incident_event"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    at: datetime = Field(sa_column=_utc())
    actor: Actor = Field(sa_column=Column(_enum(Actor, "actor"), nullable=False))
    kind: str = Field(max_length=32)
    message: str = Field(default="", max_length=2000)
    author: str = Field(default="", max_length=64)  # the token name, for people's entries


class IncidentMember(SQLModel, table=True):
    """A check attached to a ticket because it is unreachable behind the ticket's device."""

    __tablename__ = "incident_member"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    device: str = Field(max_length=64)
    probe: str = Field(max_length=64)
    attached_at: datetime = Field(sa_column=_utc())
    detached_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class MonitoringGap(SQLModel, table=True):
    """A period in which the bridge itself was blind; not counted against any device."""

    __tablename__ = "monitoring_gap"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_column=_utc(index=True))
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    reason: str = Field(default="", max_length=500)
    # the blind instance (several on PostgreSQL); None: the only one, or the whole fleet
    instance: str | None = Field(default=None, max_length=128)


class Heartbeat(SQLModel, table=True):
    """When a bridge last showed it was monitoring: silence after it is a monitoring gap."""

    __tablename__ = "heartbeat"

    name: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(sa_column=_utc())


class MaintenanceWindowRow(SQLModel, table=True):
    """A one-off maintenance window added through the API (config windows live in files)."""

    __tablename__ = "maintenance_window"
    # Logs and tickets name windows `api-N`: a dropped window's number is never handed out
    # again (SQLite would reuse the highest rowid once deleted; PostgreSQL sequences never do).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    devices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    customers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=_utc())
    ends_at: datetime = Field(sa_column=_utc(index=True))
    reason: str = Field(default="", max_length=500)
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_column=_utc())


class OutboxMessage(SQLModel, table=True):
    """A message to deliver, written in the same transaction as the change causing it."""

    __tablename__ = "outbox"
    # Storm control reads a receiver's recent deliveries on every claim.
    __table_args__ = (Index("ix_outbox_recipient_sent_at", "recipient", "sent_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    channel: str = Field(max_length=64)
    recipient: str = Field(max_length=320)
    customer: str = Field(default="", max_length=64, index=True)
    kind: str = Field(default="", max_length=32)
    idempotency_key: str = Field(max_length=200, unique=True)
    subject: str = Field(default="", max_length=500)
    body: str = ""
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    deadline_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    digest_id: int | None = None  # the message whose delivery carried this one (storm control)
    status: OutboxStatus = Field(
        sa_column=Column(_enum(OutboxStatus, "outbox_status"), nullable=False, index=True))
    attempts: int = 0
    created_at: datetime = Field(sa_column=_utc())
    next_attempt_at: datetime = Field(sa_column=_utc(index=True))
    last_error: str = Field(default="", max_length=1000)


class IncidentPause(SQLModel, table=True):
    """A time the resolution clock stood still: waiting on the customer or a supplier."""

    __tablename__ = "incident_pause"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    waiting_on: str = Field(max_length=16)
    started_at: datetime = Field(sa_column=_utc())
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class SlaMarkRow(SQLModel, table=True):
    """A warning threshold (pct < 100) or a breach (pct = 100) reached; recorded once."""

    __tablename__ = "sla_mark"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "pct", name="uq_sla_mark"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=16)  # reaction | resolution
    pct: int
    at: datetime = Field(sa_column=_utc())  # when the threshold was reached
    recorded_at: datetime = Field(sa_column=_utc())


class EscalationStepRow(SQLModel, table=True):
    """One step of a ticket's escalation chain, with its due time; fires at most once."""

    __tablename__ = "escalation_step"
    __table_args__ = (UniqueConstraint("incident_id", "step_index", name="uq_escalation_step"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    step_index: int
    tier: int
    description: str = Field(default="", max_length=200)
    due_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True, index=True))
    fired_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    skipped_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class SupplierEscalation(SQLModel, table=True):
    """The ticket handed to an external supplier, with their reference and response time."""

    __tablename__ = "supplier_escalation"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    supplier: str = Field(max_length=200)
    reference: str = Field(default="", max_length=200)
    due_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    note: str = Field(default="", max_length=2000)
    created_at: datetime = Field(sa_column=_utc())
    created_by: str = Field(default="", max_length=64)
    closed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class OnsiteDispatch(SQLModel, table=True):
    """A technician sent to the customer's site (tier 4)."""

    __tablename__ = "onsite_dispatch"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    technician: str = Field(max_length=200)
    scheduled_at: datetime = Field(sa_column=_utc())
    arrived_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    note: str = Field(default="", max_length=2000)
    created_at: datetime = Field(sa_column=_utc())
    created_by: str = Field(default="", max_length=64)


class Loaner(SQLModel, table=True):
    """A courtesy device lent while the customer's own is repaired."""

    __tablename__ = "loaner"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    device: str = Field(max_length=200)
    serial: str = Field(default="", max_length=200)
    lent_at: datetime = Field(sa_column=_utc())
    returned_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    note: str = Field(default="", max_length=2000)
    created_by: str = Field(default="", max_length=64)


class LearnedInterfaces(SQLModel, table=True):
    """The interfaces an SNMP check learned (`learn = true`): those up when first seen."""

    __tablename__ = "learned_interfaces"

    device: str = Field(primary_key=True, max_length=64)
    probe: str = Field(primary_key=True, max_length=64)
    names: list[str] = Field(sa_column=Column(JSON, nullable=False))
    learned_at: datetime = Field(sa_column=_utc())
