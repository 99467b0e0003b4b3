"""What a customer's contract says: coverage calendar, SLA targets per priority, receivers.

Lives in config/*.toml as `[customers.ID.contract]` and `[calendars.NAME]`. Defaults are
declared here once: the built-in "24x7" calendar and the SLA targets of each priority.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from itertools import pairwise
from types import MappingProxyType
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, field_validator

from bridge.config.base import Name, ZoneName
from bridge.config.channels import Receiver
from bridge.core.calendar import Coverage, Span, parse_spans
from bridge.core.priority import Priority
from bridge.core.sla import SlaTargets
from bridge.core.strict import Array, Choice, Strict

ALWAYS_CALENDAR = "24x7"  # built in and reserved: every moment is covered
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _check_spans(entry: str) -> str:
    parse_spans(entry)
    return entry


class Calendar(Strict):
    """`[calendars.NAME]`: when SLA clocks run, in the calendar's own time zone."""

    timezone: ZoneName
    # "mon-fri 08:00-18:00", "sat 09:00-13:00"; a span ends by 24:00 of its day
    weekly: Annotated[Array[Annotated[str, AfterValidator(_check_spans)]], Field(min_length=1)]
    holidays: Array[date] = ()  # whole local days: holidays = [2026-12-24, 2026-12-25]

    @field_validator("weekly")
    @classmethod
    def _no_overlaps(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        taken: dict[int, list[tuple[Span, str]]] = {}
        for entry in value:
            for span in parse_spans(entry):
                for other, other_entry in taken.get(span.weekday, []):
                    if span.start_min < other.end_min and other.start_min < span.end_min:
                        raise ValueError(f"{other_entry!r} and {entry!r} overlap on "
                                         f"{DAY_NAMES[span.weekday]}; cover each time once")
                taken.setdefault(span.weekday, []).append((span, entry))
        return value

    def coverage(self) -> Coverage:
        """The calendar as the SLA clocks use it."""
        spans = tuple(span for entry in self.weekly for span in parse_spans(entry))
        return Coverage(ZoneInfo(self.timezone), spans, frozenset(self.holidays))


Minutes = Annotated[float, Field(gt=0)]


class SlaTable(Strict):
    """`[customers.ID.contract.sla.P1]`: targets in minutes of coverage time.

    A key left out takes the priority's default (DEFAULT_SLA); eta_min defaults to the
    resolution target.
    """

    reaction_min: Minutes | None = None  # opened -> assigned to a resolver
    resolution_min: Minutes | None = None  # opened -> resolved
    warn_at_pct: Array[Annotated[int, Field(ge=1, le=99)]] | None = None
    eta_min: Minutes | None = None  # the ETA a ticket gets when nobody sets one

    @field_validator("warn_at_pct")
    @classmethod
    def _increasing(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and any(b <= a for a, b in pairwise(value)):
            raise ValueError(f"must increase, such as [75, 90], got {list(value)}")
        return value


def _default(reaction_min: float, resolution_min: float) -> SlaTargets:
    return SlaTargets(reaction_s=reaction_min * 60.0, resolution_s=resolution_min * 60.0,
                      warn_at_pct=(75, 90), eta_default_s=resolution_min * 60.0)


# What a contract gets for each key it leaves out; the default ETA is the resolution target.
DEFAULT_SLA: Mapping[Priority, SlaTargets] = MappingProxyType({
    Priority.P1: _default(reaction_min=15, resolution_min=4 * 60),
    Priority.P2: _default(reaction_min=30, resolution_min=8 * 60),
    Priority.P3: _default(reaction_min=2 * 60, resolution_min=24 * 60),
    Priority.P4: _default(reaction_min=8 * 60, resolution_min=72 * 60),
})


class Tiers(Strict):
    """Who each escalation tier is for this customer."""

    tier1: Array[Receiver] = ()  # duty engineer
    tier2: Array[Receiver] = ()  # project specialist
    tier3: Array[Receiver] = ()  # senior experts
    tier4: Array[Receiver] = ()  # on-site technician dispatch

    def receivers(self, tier: int) -> tuple[str, ...]:
        """The receivers of tier 1..4."""
        return (self.tier1, self.tier2, self.tier3, self.tier4)[tier - 1]


def _check_language(value: str) -> str:
    parts = value.split("-")
    if not (2 <= len(parts[0]) <= 3 and parts[0].isascii() and parts[0].isalpha()
            and parts[0].islower() and all(p.isascii() and p.isalnum() for p in parts[1:])):
        raise ValueError(f"expected a language tag such as 'en', 'fi' or 'pt-BR', got {value!r}")
    return value


class Contract(Strict):
    """What a customer's contract says: coverage, targets, receivers, escalation."""

    # Shifts every ticket priority: -1 makes a P3 rule open P2 tickets for this customer.
    priority_shift: Annotated[int, Field(ge=-3, le=3)] = 0
    # The priority of tickets the customer reports (then shifted): the customer may
    # propose an urgency, which is recorded on the ticket; the contract decides.
    reported_priority: Choice[Priority] = Priority.P3
    calendar: Name = ALWAYS_CALENDAR
    # The hours availability is counted in, when they differ from the SLA clocks' (a
    # service measured around the clock, supported in office hours); None: `calendar`.
    availability_calendar: Name | None = None
    availability_target_pct: Annotated[float, Field(gt=0, le=100)] | None = None  # None: none
    language: Annotated[str, AfterValidator(_check_language)] = "en"
    notify: Array[Receiver] = ()  # the customer's own receivers
    silence_period_h: Annotated[float, Field(gt=0)] = 72.0  # resolved -> closed without reply
    eta_notice_min: Annotated[float, Field(gt=0)] = 30.0  # "ETA will be exceeded" this early
    escalation: Name = "standard"
    escalation_by_priority: dict[Choice[Priority], Name] = Field(default_factory=dict)
    # A folder of templates overriding the built-in ones; relative to the file, made
    # absolute when the config loads.
    templates: str = ""
    sla: dict[Choice[Priority], SlaTable] = Field(default_factory=dict)
    tiers: Tiers = Tiers()

    def sla_targets(self, priority: Priority) -> SlaTargets:
        """The priority's targets in seconds, defaults filled in."""
        written = self.sla.get(priority, SlaTable())
        default = DEFAULT_SLA[priority]

        def seconds(minutes: float | None, fallback_s: float) -> float:
            return fallback_s if minutes is None else minutes * 60

        resolution_s = seconds(written.resolution_min, default.resolution_s)
        return SlaTargets(
            reaction_s=seconds(written.reaction_min, default.reaction_s),
            resolution_s=resolution_s,
            warn_at_pct=default.warn_at_pct if written.warn_at_pct is None
            else written.warn_at_pct,
            eta_default_s=seconds(written.eta_min, resolution_s),
        )

    def chain_name(self, priority: Priority) -> str:
        """The escalation chain of the contract for tickets of this priority."""
        return self.escalation_by_priority.get(priority, self.escalation)

    @property
    def availability_calendar_name(self) -> str:
        """The calendar availability is counted in: its own, else the SLA clocks'."""
        return self.calendar if self.availability_calendar is None else self.availability_calendar
