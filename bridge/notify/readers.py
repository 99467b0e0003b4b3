"""Who reads a notice, and in which words.

The customer reads it in the contract's language, with the problem in plain words and
only what a person wrote. The provider's own people (the ticket's tier, the operators)
read it in `operator_language`, with the technical detail the timeline keeps. A tier a
contract leaves empty is served by the operators' receivers (`bridge check` refuses a
contract whose steps would reach nobody at all).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from bridge.config.model import Config
from bridge.core.audience import Audience
from bridge.notify.notice import TicketNotice
from bridge.notify.problems import Problem, ProblemKind, describe


@dataclass(frozen=True)
class Readers:
    """Receivers who read a notice in one language, and the notice as they read it."""

    receivers: tuple[str, ...]
    language: str
    notice: TicketNotice
    staff: bool  # the provider's own people, not the customer


def tier_receivers(config: Config, customer_id: str, tier: int) -> tuple[str, ...]:
    """A tier's receivers for a customer: the contract's, else the operators'."""
    customer = config.customers.get(customer_id)
    own = customer.contract.tiers.receivers(tier) if customer is not None else ()
    return own or config.main.notifications.operators


def problem_of(config: Config, device: str | None, probe: str | None,
               flapping: bool) -> Problem | None:
    """The problem of a monitoring ticket on a device's check; None for others."""
    if device is None or probe is None:
        return None
    if flapping:
        return Problem(ProblemKind.FLAPPING, device, probe)
    definition = config.probes.get(probe)
    reachability = definition is not None and definition.REACHABILITY
    return Problem(ProblemKind.NOT_RESPONDING if reachability else ProblemKind.CHECK_FAILING,
                   device, probe)


def readers(config: Config, notice: TicketNotice, who: Iterable[Audience], tier: int, *,
            problem: Problem | None, remark: str) -> list[Readers]:
    """The customer's receivers and the provider's, each with the notice they read.

    A receiver on both lists is the customer's (told once, in the customer's words).
    """
    customer = config.customers.get(notice.customer)
    section = config.main.notifications
    outside: list[str] = []
    inside: list[str] = []
    for audience in who:
        if audience is Audience.OPERATORS:
            inside.extend(section.operators)
        elif customer is None:
            continue
        elif audience is Audience.CUSTOMER:
            outside.extend(customer.contract.notify)
        elif audience is Audience.TIER:
            inside.extend(tier_receivers(config, notice.customer, tier))
    found = []
    if outside and customer is not None:
        language = customer.contract.language
        summary = describe(problem, language) if problem is not None else notice.summary
        found.append(Readers(tuple(dict.fromkeys(outside)), language,
                             replace(notice, summary=summary, message=remark), staff=False))
    provider = tuple(r for r in dict.fromkeys(inside) if r not in outside)
    if provider:
        found.append(Readers(provider, section.operator_language, notice, staff=True))
    return found
