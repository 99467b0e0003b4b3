"""Escalation chains in rules/*.toml: `[escalations.NAME]`, compiled at load time.

A contract names its default chain (`escalation`, "standard" unless set) and may name one
per priority; a rule's `escalation` overrides both for the tickets it opens. The built-in
"standard" chain scales with each priority's SLA targets; defining [escalations.standard]
replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated

from pydantic import Field, model_validator

from bridge.core.escalation import TIERS, Chain, Step, Unless
from bridge.core.sla import BREACH_PCT, SlaKind
from bridge.core.strict import Array, Choice, Strict

STANDARD_CHAIN = "standard"


class StepTable(Strict):
    """One step: `{ tier = 2, unless = "assigned", after_min = 30 }` or
    `{ tier = 3, sla = "resolution", at_pct = 90 }`."""

    tier: Annotated[int, Field(ge=TIERS[0], le=TIERS[-1])]
    after_min: Annotated[float, Field(ge=0)] | None = None  # coverage minutes since opening
    unless: Choice[Unless] | None = None
    sla: Choice[SlaKind] | None = None
    at_pct: Annotated[int, Field(ge=1, le=BREACH_PCT)] | None = None  # share of the target

    @model_validator(mode="after")
    def _one_kind(self) -> StepTable:
        if self.after_min is None and self.sla is None:
            raise ValueError('give after_min (coverage minutes since the ticket opened), or '
                             'sla = "reaction" or "resolution" with at_pct (an SLA-risk step)')
        if self.after_min is not None and self.sla is not None:
            raise ValueError("a step is time-based (after_min) or an SLA-risk step (sla, "
                             "at_pct), not both; split it into two steps")
        if self.sla is not None and self.at_pct is None:
            raise ValueError("an SLA-risk step needs at_pct, the share of the target "
                             "(1-100) at which it fires")
        if self.sla is None and self.at_pct is not None:
            raise ValueError('at_pct belongs to an SLA-risk step; add sla = "reaction" or '
                             '"resolution", or remove it')
        if self.sla is not None and self.unless is not None:
            raise ValueError("unless is for time-based steps; an SLA-risk step ends with its "
                             "clock (reaction at assignment, resolution at resolution)")
        return self

    def compile(self, index: int) -> Step:
        """The step as the core uses it."""
        after_s = None if self.after_min is None else self.after_min * 60
        return Step(index, self.tier, after_s, self.unless, self.sla, self.at_pct)


class Escalation(Strict):
    """`[escalations.NAME]`: the steps of a chain, in the order written."""

    steps: Annotated[Array[StepTable], Field(min_length=1)]

    def compile(self, name: str) -> Chain:
        """The chain as the core uses it; a step's index is its position."""
        return Chain(name, tuple(step.compile(i) for i, step in enumerate(self.steps)))


# Told at once; then each tier as the targets come under threat, whatever the priority.
BUILT_IN_CHAINS: Mapping[str, Chain] = MappingProxyType({
    STANDARD_CHAIN: Escalation(steps=(
        StepTable(tier=1, after_min=0),
        StepTable(tier=2, sla=SlaKind.REACTION, at_pct=75),
        StepTable(tier=3, sla=SlaKind.RESOLUTION, at_pct=75),
        StepTable(tier=4, sla=SlaKind.RESOLUTION, at_pct=90),
    )).compile(STANDARD_CHAIN),
})
