"""What every config table is built from: strict frozen models, arrays, choices.

Pydantic is pure (it validates values, it does no I/O), so the core's config types use it.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import Strict as StrictMode

T = TypeVar("T")

# A TOML array, kept as a tuple so a loaded config cannot be changed in place.
# Only the container is lax (it accepts the list tomllib returns); items stay strict.
Array = Annotated[tuple[T, ...], StrictMode(False)]
# A StrEnum member, written in TOML as its string value.
Choice = Annotated[T, StrictMode(False)]


class Strict(BaseModel):
    """Base for every config table: unknown keys are errors, values immutable.

    Strict types: TOML has its own, so "10" is not a number and "yes" is not true.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
