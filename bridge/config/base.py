"""Value types of the config's own tables: names, time zones, receivers (the strict model
base, arrays and choices are bridge.core.strict)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'Europe/Helsinki'"
        ) from None
    return value


# An IANA time zone name, checked when the config loads.
ZoneName = Annotated[str, AfterValidator(_known_zone)]


def _check_receiver(value: str) -> str:
    scheme, _, target = value.partition(":")
    if scheme == "mailto" and target.count("@") == 1 and all(target.split("@")) \
            and not any(c.isspace() for c in target):
        return value
    if scheme == "webhook" and target and all(c.isalnum() or c in "_.-" for c in target):
        return value
    raise ValueError(f"expected 'mailto:ADDRESS' or 'webhook:NAME' (a webhook in bridge.toml "
                     f"[notifications.webhooks]), got {value!r}")


# Where a message goes: an email address or a named webhook from bridge.toml.
Receiver = Annotated[str, AfterValidator(_check_receiver)]
