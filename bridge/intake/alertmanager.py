"""Alertmanager's webhook (payload version 4) and Grafana alerting's (the same plus extras):
each alert by its own fingerprint, never the group's key (grouping differs between senders,
and a resolve sent in another group would be lost)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from bridge.config.intake_model import SourceKind
from bridge.core.instants import Instant, checked_instant

# Alertmanager's "no end yet": 0001-01-01T00:00:00Z; anything before 1971 means none.
_NO_TIME_BEFORE = 1971


def _end(value: datetime | None) -> datetime | None:
    """An alert's end: none for Alertmanager's "no end yet", else an instant in range."""
    if value is None or value.year < _NO_TIME_BEFORE:
        return None
    return checked_instant(value)


class _Alert(BaseModel):
    """One alert; senders add fields of their own (Grafana: values, dashboardURL …)."""

    model_config = ConfigDict(extra="allow", strict=False)

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: Instant  # the sender's names
    endsAt: Annotated[AwareDatetime | None, AfterValidator(_end)] = None
    fingerprint: str = Field(min_length=1, max_length=1000)


@dataclass(frozen=True)
class Alert:
    """An alert as the sender stated it."""

    fingerprint: str
    firing: bool
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    raw: str  # the alert's JSON as received, for the ticket's timeline


@dataclass(frozen=True)
class Rejected:
    """An item of a batch that was not taken, and why."""

    index: int
    error: str


class BadBody(ValueError):
    """The body as a whole is unusable: a 400 naming the field."""


def unstorable(texts: Iterable[str]) -> str | None:
    """Why texts cannot be stored (PostgreSQL's text holds neither NUL nor a lone surrogate,
    which JSON's \\u escapes can spell), or None."""
    for text in texts:
        if "\x00" in text:
            return "must not contain NUL (\\u0000)"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "must be Unicode text (it holds a lone surrogate \\ud800-\\udfff)"
    return None


def _no_nul(alert: _Alert) -> str | None:
    return unstorable([alert.fingerprint, *alert.labels, *alert.labels.values(),
                       *alert.annotations, *alert.annotations.values()])


def _problem(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "alert"
    return f"{where}: {first['msg']}"


def parse_webhook(body: bytes, kind: SourceKind) -> tuple[list[Alert], list[Rejected]]:
    """The valid alerts of a webhook body, and the others with the reason for each."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadBody(f"the body is not JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise BadBody("the body must be a JSON object")
    if kind is SourceKind.ALERTMANAGER and data.get("version") != "4":
        raise BadBody(f"version: expected \"4\" (Alertmanager's webhook), got "
                      f"{json.dumps(data.get('version'))[:40]}")
    items = data.get("alerts")
    if not isinstance(items, list):
        raise BadBody("alerts: expected a list of alerts")
    alerts: list[Alert] = []
    rejected: list[Rejected] = []
    for index, item in enumerate(items):
        try:
            alert = _Alert.model_validate(item)
        except ValidationError as exc:
            rejected.append(Rejected(index, f"alerts[{index}].{_problem(exc)}"))
            continue
        raw = json.dumps(item, sort_keys=True, ensure_ascii=False)
        if (problem := _no_nul(alert) or unstorable([raw])) is not None:
            rejected.append(Rejected(index, f"alerts[{index}]: {problem}"))
            continue
        alerts.append(Alert(alert.fingerprint, alert.status == "firing", alert.startsAt,
                            alert.endsAt, alert.labels, alert.annotations, raw))
    return alerts, rejected


def raw_cut(raw: str, limit: int) -> str:
    """The raw payload for the timeline, cut to `limit` characters and saying so."""
    return raw if len(raw) <= limit else raw[:limit - 12] + " [truncated]"


def as_labels(value: Any) -> dict[str, str]:
    """A JSON object's scalar members as labels (for senders that send details, not labels)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()
            if isinstance(v, str | int | float | bool)}
