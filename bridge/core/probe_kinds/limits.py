"""Thresholds as config writes them (`> 80`), compiled when the config loads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator

_COMPARISON = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Comparison:
    """A threshold such as `> 80`, compiled when the config is loaded."""

    op: str
    value: float

    def exceeded(self, measured: float) -> bool:
        """Whether `measured` crosses this threshold."""
        if self.op == ">":
            return measured > self.value
        if self.op == ">=":
            return measured >= self.value
        if self.op == "<":
            return measured < self.value
        return measured <= self.value

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


def _comparison(value: Any) -> Any:
    if isinstance(value, Comparison):
        return value
    if isinstance(value, str) and (m := _COMPARISON.match(value)):
        return Comparison(m.group(1), float(m.group(2)))
    raise ValueError(f"expected a comparison such as \"> 80\" or \"< 0.5\", got {value!r}")


Threshold = Annotated[Comparison, BeforeValidator(_comparison)]
