"""What every config table is built from: strict frozen models, names, arrays, choices."""

from __future__ import annotations

from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import Strict as StrictMode

T = TypeVar("T")

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
# A TOML array, kept as a tuple so a loaded config cannot be changed in place.
# Only the container is lax (it accepts the list tomllib returns); items stay strict.
Array = Annotated[tuple[T, ...], StrictMode(False)]
# A StrEnum member, written in TOML as its string value.
Choice = Annotated[T, StrictMode(False)]


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


class Strict(BaseModel):
    """Base for every config table: unknown keys are errors, values immutable.

    Strict types: TOML has its own, so "10" is not a number and "yes" is not true.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
