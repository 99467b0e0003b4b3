"""intake/*.toml compiled: sources with their secrets resolved and their label matchers
compiled, cross-checked against the inventory and the escalation chains."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from bridge.config.errors import ErrorSink
from bridge.config.intake_file import FieldsEntry, IntakeFile, RouteEntry, SourceEntry
from bridge.config.intake_mail import MailIntake, compile_mail
from bridge.config.intake_model import (
    KEY_FIELD,
    GenericFields,
    Intake,
    IntakeSource,
    Matcher,
    PriorityChoice,
    Route,
)
from bridge.config.intake_traps import compile_traps
from bridge.config.references import Merged
from bridge.config.secrets import SecretRefError, resolve_ref
from bridge.config.source import Source
from bridge.config.toml_lines import KeyPath
from bridge.core.priority import Priority
from bridge.core.rules import Criticality
from bridge.core.secret import Secret


def _by_value(priority: Priority | Mapping[Criticality, Priority]) -> PriorityChoice:
    """A priority, or a table keyed by the criticalities' names."""
    if isinstance(priority, Mapping):
        return MappingProxyType({c.value: p for c, p in priority.items()})
    return priority


def _secret(ref: str | None, at: KeyPath, source: Source, base_dir: Path,
            errors: ErrorSink) -> Secret | None:
    if ref is None:
        return None
    try:
        return resolve_ref(ref, base_dir)
    except SecretRefError as exc:
        errors.add_secret(at[:2], source.error(at, str(exc)))
        return None


def _matchers(route: RouteEntry, at: KeyPath, source: Source,
              errors: ErrorSink) -> tuple[Matcher, ...]:
    matchers = []
    for label, value in route.labels.items():
        pattern = None
        if value.startswith("~"):
            try:
                pattern = re.compile(value[1:])
            except re.error as exc:
                errors.add(source.error((*at, "labels", label),
                                        f"invalid regular expression {value[1:]!r}: {exc}"))
                continue
        matchers.append(Matcher(label, value, pattern))
    return tuple(matchers)


def _check_route(route: RouteEntry, at: KeyPath, source: Source, merged: Merged,
                 errors: ErrorSink) -> None:
    if route.customer is not None and route.customer not in merged.customers:
        errors.add(source.error((*at, "customer"), f"unknown customer {route.customer!r}"))
    if route.device is not None:
        device = merged.devices.get(route.device)
        if device is None:
            errors.add(source.error((*at, "device"), f"unknown device {route.device!r}"))
        elif route.customer is not None and device.customer != route.customer:
            errors.add(source.error((*at, "device"), (
                f"device {route.device!r} is customer {device.customer!r}'s, not "
                f"{route.customer!r}'s")))
    if route.escalation is not None and route.escalation not in merged.escalations:
        errors.add(source.error((*at, "escalation"),
                                f"unknown escalation chain {route.escalation!r}"))


def _generic(entry: FieldsEntry | None, at: KeyPath, source: Source,
             errors: ErrorSink) -> GenericFields | None:
    if entry is None:
        return None
    if not KEY_FIELD.search(entry.key) or KEY_FIELD.sub("", entry.key).count("{") or \
            KEY_FIELD.sub("", entry.key).count("}"):
        errors.add(source.error((*at, "key"), (
            f"a key template names fields of the alert, such as \"{{host}}/{{check.id}}\", "
            f"got {entry.key!r}")))
    return GenericFields(entry.alerts, entry.key, entry.status,
                         frozenset(v.lower() for v in entry.firing),
                         frozenset(v.lower() for v in entry.resolved), entry.starts_at,
                         entry.summary)


def _compile(name: str, entry: SourceEntry, source: Source, merged: Merged, base_dir: Path,
             errors: ErrorSink) -> IntakeSource:
    at: KeyPath = ("sources", name)
    routes = []
    for i, route in enumerate(entry.routes):
        route_at: KeyPath = (*at, "routes", i)
        _check_route(route, route_at, source, merged, errors)
        routes.append(Route(_matchers(route, route_at, source, errors), route.customer,
                            route.device, route.device_label, _by_value(route.priority),
                            MappingProxyType({severity: _by_value(p)
                                              for severity, p in route.severities.items()}),
                            route.escalation))
    return IntakeSource(
        name=name, kind=entry.kind,
        token=_secret(entry.token, (*at, "token"), source, base_dir, errors),
        hmac_secret=_secret(entry.hmac_secret, (*at, "hmac_secret"), source, base_dir, errors),
        routing_key=_secret(entry.routing_key, (*at, "routing_key"), source, base_dir, errors),
        on_resolve=entry.on_resolve,
        silence_s=entry.resolve_after_silence_min * 60.0
        if entry.resolve_after_silence_min else None,
        severity_label=entry.severity_label, summary_annotation=entry.summary_annotation,
        max_body_bytes=entry.max_body_bytes, max_raw_bytes=entry.max_raw_bytes,
        routes=tuple(routes),
        generic=_generic(entry.fields, (*at, "fields"), source, errors),
        traps=compile_traps(entry.traps, name, (*at, "traps"), source, base_dir, errors),
        rate_per_s=entry.rate_per_s, burst=entry.burst,
        max_resolves_per_min=entry.max_resolves_per_min)


def build_intake(files: list[tuple[IntakeFile, Source]], merged: Merged, base_dir: Path,
                 errors: ErrorSink) -> Intake:
    """Every source of every intake file; a name or routing key used twice is an error."""
    sources: dict[str, IntakeSource] = {}
    origin: dict[str, Source] = {}
    mail: MailIntake | None = None
    for file, source in files:
        if file.mail is not None:
            if mail is not None:
                errors.add(source.error(("mail",), "[mail] is already in another intake file"))
            else:
                mail = compile_mail(file.mail, source, {
                    name: c.contract.notify for name, c in merged.customers.items()}, errors)
        for name, entry in file.sources.items():
            if name in origin:
                first = origin[name]
                errors.add(source.error(("sources", name), (
                    f"source {name!r} is already defined at {first.name}:"
                    f"{first.lines.get(('sources', name), 1)}")))
                continue
            compiled = _compile(name, entry, source, merged, base_dir, errors)
            key = compiled.routing_key
            if key is not None and any(s.routing_key is not None
                                       and s.routing_key.matches(key.reveal())
                                       for s in sources.values()):
                errors.add(source.error(("sources", name, "routing_key"),
                                        "another source has this routing key"))
            sources[name], origin[name] = compiled, source
    return Intake(MappingProxyType(sources), mail)
