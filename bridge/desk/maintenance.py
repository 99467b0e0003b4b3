"""A one-off maintenance window, as the API and the portal add it: what it may name and span.
Longer or wider ones belong in config/ (reviewed, versioned)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bridge.config.base import Name
from bridge.config.model import Config

# What one API window may name and span; longer or wider ones belong in config/ (reviewed,
# versioned). As its end is still to come, it reaches at most MAX_DURATION back, so it
# rewrites at most a month of availability.
MAX_TARGETS = 100
MAX_AHEAD = timedelta(days=365)
MAX_DURATION = timedelta(days=31)
Targets = Annotated[list[Name], Field(max_length=MAX_TARGETS)]


class NewWindow(BaseModel):
    """POST /api/v1/maintenance body."""

    model_config = ConfigDict(extra="forbid")

    devices: Targets = []
    tags: Targets = []
    customers: Targets = []
    start: AwareDatetime
    end: AwareDatetime
    reason: Annotated[str, Field(max_length=500)] = ""


def window_problems(body: NewWindow, config: Config, now: datetime) -> list[str]:
    """Why a new window is refused; empty when it may be added."""
    problems = []
    if not (body.devices or body.tags or body.customers):
        problems.append("name what the window covers: devices, tags or customers")
    if body.end <= body.start:
        problems.append("end must be after start")
    if body.end <= now:
        problems.append("end is in the past")
    if body.start > now + MAX_AHEAD:
        problems.append(f"start may be at most {MAX_AHEAD.days} days ahead")
    if body.end - body.start > MAX_DURATION:
        problems.append(f"end may be at most {MAX_DURATION.days} days after start")
    tags = {tag for device in config.devices.values() for tag in device.tags}
    problems += [f"unknown tag {t!r}: no device has it" for t in body.tags if t not in tags]
    problems += [f"unknown device {d!r}" for d in body.devices if d not in config.devices]
    problems += [f"unknown customer {c!r}" for c in body.customers if c not in config.customers]
    return problems
