"""PagerDuty Events API v2, as a tool with a PagerDuty integration sends it: routing_key
names the source, dedup_key the alert, event_action what happened."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bridge.core.instants import Instant
from bridge.intake.alertmanager import BadBody, as_labels, unstorable


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow", strict=False)

    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: Instant | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: Any = None


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow", strict=False)

    routing_key: str = Field(min_length=1, max_length=255)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    payload: _Payload | None = None


@dataclass(frozen=True)
class Event:
    """One event, its dedup key chosen if the sender gave none (as PagerDuty does)."""

    routing_key: str
    action: str  # trigger, acknowledge or resolve
    dedup_key: str
    summary: str | None
    starts_at: datetime | None
    labels: dict[str, str]
    raw: str


def parse_event(body: bytes) -> Event:
    """The event, or BadBody naming the first field that is wrong."""
    try:
        data = json.loads(body)
        event = _Event.model_validate(data)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise BadBody(f"{where}: {first['msg']}") from None
        raise BadBody(f"the body is not JSON: {str(exc)[:200]}") from None
    if event.event_action == "trigger" and event.payload is None:
        raise BadBody("payload: required to trigger")
    if event.event_action != "trigger" and event.dedup_key is None:
        raise BadBody(f"dedup_key: required to {event.event_action}")
    payload = event.payload
    texts = [event.dedup_key or "", json.dumps(data, ensure_ascii=False)]
    if payload is not None:
        texts += [payload.summary, *as_labels(payload.model_dump(by_alias=True)).values(),
                  *as_labels(payload.custom_details), *as_labels(payload.custom_details).values()]
    if (problem := unstorable(texts)) is not None:
        raise BadBody(problem)
    labels: dict[str, str] = {}
    if payload is not None:
        labels = {**as_labels(payload.custom_details), "source": payload.source,
                  "severity": payload.severity}
        for name, value in (("component", payload.component), ("group", payload.group),
                            ("class", payload.class_)):
            if value is not None:
                labels[name] = value
    raw = dict(data)
    raw.pop("routing_key", None)  # the source's secret: never on a timeline
    return Event(event.routing_key, event.event_action, event.dedup_key or uuid.uuid4().hex,
                 payload.summary if payload else None,
                 payload.timestamp if payload else None, labels,
                 json.dumps(raw, sort_keys=True, ensure_ascii=False))
