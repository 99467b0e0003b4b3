"""intake/*.toml as written: the sources other monitors post their alerts to, and the routes
that map an alert's labels to a customer, a device, a priority and an escalation chain."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BeforeValidator, Field, model_validator

from bridge.config.base import Name
from bridge.config.intake_mail import MailEntry
from bridge.config.intake_model import BURST, RATE_PER_S, OnResolve, SourceKind
from bridge.config.intake_traps import TrapsEntry
from bridge.config.model import _parse_priority
from bridge.core.priority import Priority
from bridge.core.rules import Criticality
from bridge.core.strict import Array, Choice, Strict

# aiohttp refuses a larger body for the whole app (bridge.api.body.MAX_BODY_BYTES)
MAX_BODY_BYTES = 2**20

PriorityTable = Annotated[Priority | dict[Criticality, Priority], BeforeValidator(_parse_priority)]
Label = Annotated[str, Field(min_length=1, max_length=128)]


class RouteEntry(Strict):
    """Alerts whose labels all match go to this customer/device at this priority."""

    # label = "value" matches exactly; label = "~regex" matches the whole value
    labels: dict[Label, str] = Field(default_factory=dict)
    customer: Name | None = None
    device: Name | None = None  # a fixed device of the customer
    # the label naming the device: its id or its address (a ":port" suffix ignored)
    device_label: Label | None = None
    priority: PriorityTable = Priority.P3
    # the priority by the severity label's value, overriding `priority`
    severities: dict[Label, PriorityTable] = Field(default_factory=dict)
    escalation: Name | None = None  # overrides the contract's chain for its tickets


Path = Annotated[str, Field(pattern=r"^[^.\s{}]+(\.[^.\s{}]+)*$", max_length=200)]


class FieldsEntry(Strict):
    """Where a generic sender's JSON keeps each part of an alert: dotted paths."""

    alerts: Annotated[str, Field(max_length=200)] = ""  # the list; "": the body is one alert
    key: Annotated[str, Field(min_length=3, max_length=500)]  # e.g. "{host}/{trigger.id}"
    status: Path | None = None  # absent: every alert fires
    firing: Array[Annotated[str, Field(min_length=1)]] = ("firing", "problem", "trigger")
    resolved: Array[Annotated[str, Field(min_length=1)]] = ("resolved", "ok", "resolve")
    starts_at: Path | None = None  # RFC 3339 or epoch seconds; absent: its arrival
    summary: Path | None = None


class SourceEntry(Strict):
    """One sender: its kind, its credential, what a resolve does, its routes."""

    kind: Choice[SourceKind]
    token: str | None = None  # a secret reference: the bearer token the sender presents
    hmac_secret: str | None = None  # a secret reference: X-Bridge-Signature: sha256=<hex>
    routing_key: str | None = None  # a secret reference: a PagerDuty event's routing_key
    on_resolve: Choice[OnResolve] = OnResolve.RESOLVE
    # for senders that never resolve: a firing alert unseen this long counts as resolved
    resolve_after_silence_min: Annotated[int, Field(ge=1, le=10080)] | None = None
    # the tickets its resolves may resolve a minute; those above wait (none: no cap)
    max_resolves_per_min: Annotated[int, Field(ge=1, le=100_000)] | None = None
    severity_label: Label = "severity"
    summary_annotation: Label = "summary"
    max_body_bytes: Annotated[int, Field(ge=1024, le=MAX_BODY_BYTES)] = MAX_BODY_BYTES
    # the raw alert kept on the ticket's timeline is cut to this size (a timeline entry's)
    max_raw_bytes: Annotated[int, Field(ge=256, le=2000)] = 2000
    # the rate limit: requests a second per client address (traps: per source), and the burst
    rate_per_s: Annotated[float, Field(gt=0, le=100_000)] = RATE_PER_S
    burst: Annotated[int, Field(ge=1, le=100_000)] = BURST
    routes: Array[RouteEntry] = ()
    fields: FieldsEntry | None = None  # kind = "generic" only
    traps: TrapsEntry | None = None  # kind = "snmp_trap" only

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if (self.kind is SourceKind.GENERIC) != (self.fields is not None):
            raise ValueError("a generic source needs [sources.NAME.fields] (where its JSON "
                             "keeps the alerts), and only a generic source has them")
        if (self.kind is SourceKind.SNMP_TRAP) != (self.traps is not None):
            raise ValueError("an snmp_trap source needs [sources.NAME.traps] (where it listens, "
                             "its rules), and only an snmp_trap source has them")
        if self.kind is SourceKind.SNMP_TRAP:
            if self.token or self.hmac_secret or self.routing_key:
                raise ValueError("an snmp_trap source is authenticated by its community or "
                                 "SNMPv3 users, and has no token, hmac_secret or routing_key")
        elif self.kind is SourceKind.PAGERDUTY:
            if self.routing_key is None or self.token or self.hmac_secret:
                raise ValueError("a pagerduty source is named by its routing_key (a secret "
                                 "reference), and has no token or hmac_secret")
        elif (self.token is None) == (self.hmac_secret is None) or self.routing_key:
            raise ValueError(f"a {self.kind.value} source needs exactly one of token or "
                             "hmac_secret (a secret reference: 'env:NAME' or 'file:PATH')")
        return self


# short enough for "intake:<source>:<route>" in a ticket's 64-character rule
SourceName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=48)]


class IntakeFile(Strict):
    """One file in intake/."""

    sources: dict[SourceName, SourceEntry] = Field(default_factory=dict)
    mail: MailEntry | None = None  # [mail]: the receiver customers' mail is forwarded to

