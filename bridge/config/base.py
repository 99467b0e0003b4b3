"""Value types of the config's own tables: names and time zones (receivers are in
bridge.config.channels; the strict model base, arrays and choices in bridge.core.strict)."""

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


