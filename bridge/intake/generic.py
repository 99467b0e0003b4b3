"""Any sender's JSON, read as its source's `fields` say: where the alerts are, which fields
make an alert's key, its status, start and summary. Its scalar members, by dotted path,
are the labels routes match."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bridge.config.intake_model import KEY_FIELD, GenericFields
from bridge.core.instants import in_range
from bridge.intake.alertmanager import Alert, BadBody, Rejected, unstorable

_MAX_DEPTH = 4  # nested objects flattened this deep into labels


def _flatten(value: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict) and depth < _MAX_DEPTH:
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}{key}.", depth + 1)
    elif isinstance(value, str):
        yield prefix[:-1], value
    elif isinstance(value, bool | int | float) and prefix:
        yield prefix[:-1], json.dumps(value)


def _at(data: Any, path: str) -> Any:
    for part in path.split(".") if path else ():
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _start(field: str | None, labels: dict[str, str], now: datetime) -> datetime:
    """The time in `field`: RFC 3339, or epoch seconds, in range; a missing one is the
    alert's arrival."""
    value = labels.get(field) if field else None
    if value is None:
        return now
    try:
        return in_range(_time(value))
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def _time(value: str) -> datetime:
    try:
        at = datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a time (RFC 3339 or epoch seconds): {value[:40]!r}") from None
    if at.tzinfo is None:
        raise ValueError(f"a time without its offset: {value[:40]!r}")
    return at


def _alert(item: Any, fields: GenericFields, summary_key: str, now: datetime) -> Alert:
    if not isinstance(item, dict):
        raise ValueError("an alert must be a JSON object")
    labels = dict(_flatten(item))
    if (problem := unstorable([*labels, *labels.values()])) is not None:
        raise ValueError(problem)
    missing = [name for name in KEY_FIELD.findall(fields.key) if name not in labels]
    if missing:
        raise ValueError(f"{missing[0]}: required by the key {fields.key!r}")
    key = KEY_FIELD.sub(lambda m: labels[m.group(1)], fields.key)
    status = labels.get(fields.status, "").lower() if fields.status else "firing"
    if status not in fields.firing and status not in fields.resolved and fields.status:
        raise ValueError(f"{fields.status}: {status!r} is neither firing "
                         f"({', '.join(sorted(fields.firing))}) nor resolved "
                         f"({', '.join(sorted(fields.resolved))})")
    firing = fields.status is None or status in fields.firing
    summary = labels.get(fields.summary, "") if fields.summary else ""
    starts_at = _start(fields.starts_at, labels, now)
    raw = json.dumps(item, sort_keys=True, ensure_ascii=False)
    if (problem := unstorable([raw])) is not None:
        raise ValueError(problem)
    return Alert(key, firing, starts_at, None if firing else now, labels,
                 {summary_key: summary} if summary else {}, raw)


def parse_generic(body: bytes, fields: GenericFields, summary_key: str,
                  now: datetime) -> tuple[list[Alert], list[Rejected]]:
    """The valid alerts of a body, and the others with the reason for each."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadBody(f"the body is not JSON: {str(exc)[:200]}") from None
    items = _at(data, fields.alerts) if fields.alerts else [data]
    if not isinstance(items, list):
        raise BadBody(f"{fields.alerts}: expected a list of alerts")
    alerts: list[Alert] = []
    rejected: list[Rejected] = []
    for index, item in enumerate(items):
        try:
            alerts.append(_alert(item, fields, summary_key, now))
        except ValueError as exc:
            where = f"{fields.alerts}[{index}]" if fields.alerts else "body"
            rejected.append(Rejected(index, f"{where}: {exc}"))
    return alerts, rejected
