"""Check contracts against the rest of the config: calendars, escalation chains, SLA
targets, and receivers a channel can reach."""

from __future__ import annotations

from bridge.config.channels import NotificationsSection, check_receivers
from bridge.config.contract import Contract
from bridge.config.errors import Errors
from bridge.config.references import Merged, Unloaded, unknown_name
from bridge.config.source import Source
from bridge.config.toml_lines import KeyPath
from bridge.core.priority import Priority


def check_contracts(merged: Merged, unloaded: Unloaded, config_folder: str, rules_folder: str,
                    errors: Errors) -> None:
    """Each contract's calendar and chains exist, and its SLA targets make sense together."""
    for name, customer in merged.customers.items():
        source = merged.customer_origin[name]
        at = ("customers", name, "contract")
        contract = customer.contract
        for key in ("calendar", "availability_calendar"):
            calendar = getattr(contract, key)
            if (calendar is not None and calendar not in merged.calendars
                    and not unloaded.may_define("calendars", calendar)):
                errors.add(source.error((*at, key), unknown_name(
                    "calendar", "calendars", calendar, config_folder)
                    + ' (or use the built-in "24x7")'))
        chains: list[tuple[KeyPath, str]] = [((*at, "escalation"), contract.escalation)]
        chains += [((*at, "escalation_by_priority", str(priority)), chain)
                   for priority, chain in contract.escalation_by_priority.items()]
        for path, chain in chains:
            if chain not in merged.escalations and not unloaded.may_define("escalations", chain):
                errors.add(source.error(path, unknown_name(
                    "escalation chain", "escalations", chain, rules_folder)))
        if not any(unloaded.partial.lacks("customers", name, "contract", key)
                   for key in ("sla", "eta_notice_min")):
            _check_sla(contract, source, at, errors)


def _check_sla(contract: Contract, source: Source, at: KeyPath, errors: Errors) -> None:
    """The default ETA of each priority: after the notice, not after the resolution target."""
    notice_min = contract.eta_notice_min
    for priority in Priority:
        targets = contract.sla_targets(priority)
        eta_min, resolution_min = targets.eta_default_s / 60, targets.resolution_s / 60
        path = (*at, "sla", str(priority), "eta_min")
        if eta_min > resolution_min:
            errors.add(source.error(path, (
                f"must be <= resolution_min (got {eta_min:g} > {resolution_min:g}); a default "
                "ETA after the resolution target plans a breach")))
        elif eta_min <= notice_min and source.has(path):
            errors.add(source.error(path, (
                f"must be > eta_notice_min (got {eta_min:g} <= {notice_min:g}); otherwise the "
                '"ETA will be exceeded" notice goes out as the ticket opens')))
        elif eta_min <= notice_min:
            errors.add(source.error((*at, "eta_notice_min"), (
                f"must be < the default ETA of {priority} (got {notice_min:g} >= {eta_min:g}, "
                f"the resolution target, as sla.{priority}.eta_min is not set); lower it or "
                f"set eta_min, or the \"ETA will be exceeded\" notice goes out as the ticket "
                "opens")))


def check_contract_receivers(merged: Merged, notifications: NotificationsSection,
                             main_name: str, errors: Errors) -> None:
    """Every contract receiver has its channel: a `webhook:NAME` of bridge.toml, SMTP for
    `mailto:`."""
    for name, customer in merged.customers.items():
        source = merged.customer_origin[name]
        at = ("customers", name, "contract")
        tiers = customer.contract.tiers
        lists: list[tuple[KeyPath, tuple[str, ...]]] = [
            ((*at, "notify"), customer.contract.notify),
            *(((*at, "tiers", f"tier{n}"), tiers.receivers(n)) for n in (1, 2, 3, 4)),
        ]
        for path, receivers in lists:
            check_receivers(receivers, path, notifications, source, errors, main_name)
        _check_tiers_reach_someone(merged, name, notifications, main_name, errors)


def _check_tiers_reach_someone(merged: Merged, name: str, notifications: NotificationsSection,
                               main_name: str, errors: Errors) -> None:
    """Some tier a written contract's chains escalate to reaches a person at the provider,
    or the operators' receivers stand in (an empty tier falls back to them).

    A deployment that sends nothing (no SMTP, no webhook) pages nobody by design, and a
    customer without a contract table has no receivers: its tickets are worked from the
    queue.
    """
    source = merged.customer_origin[name]
    if notifications.operators or notifications.sends_nothing \
            or not source.has(("customers", name, "contract")):
        return
    contract = merged.customers[name].contract
    names = dict.fromkeys((contract.escalation, *contract.escalation_by_priority.values()))
    chains = [merged.escalations[n] for n in names if n in merged.escalations]
    tiers = sorted({step.tier for chain in chains for step in chain.steps})
    if not tiers or any(contract.tiers.receivers(tier) for tier in tiers):
        return
    errors.add(source.error(("customers", name, "contract", "tiers"), (
        f"no tier has receivers and {main_name} has no [notifications] operators, so "
        f"escalations ({', '.join(repr(c.name) for c in chains)}) would page nobody at the "
        f"provider; add tier{tiers[0]} = [\"mailto:…\"] to [customers.{name}.contract.tiers], "
        f"or operators to [notifications] in {main_name} (empty tiers then go to them)")))
