"""Thresholds as config writes them (`> 80`, `!= onLine`, `!~ "RouterOS"`), compiled when
the config loads. A threshold describes the state it fires on, as `> 80` does."""

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


_EQUALITY = re.compile(r"^\s*(==|!=)\s*(.*?)\s*$")
_PATTERN = re.compile(r"^\s*(~|!~)\s*(.*?)\s*$")


def _unquoted(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


@dataclass(frozen=True)
class Equality:
    """`!= onLine` or `== 5`: fires when the value is (==) or is not (!=) the expected one.

    `expected` is written as a name of the object's enumeration, a number, or (on an object
    holding text) a text; `number` is the enumeration's or the written number, resolved
    against the object when the config loads (None: compare the text).
    """

    op: str
    expected: str
    number: int | None = None

    def fires(self, equal: bool) -> bool:
        """Whether a value that is (or is not) the expected one crosses this threshold."""
        return equal if self.op == "==" else not equal

    def expectation(self) -> str:
        """What the value should be, for a failure's text."""
        return f"expected not {self.expected}" if self.op == "==" else \
            f"expected {self.expected}"

    def __str__(self) -> str:
        return f"{self.op} {self.expected}"


@dataclass(frozen=True)
class Pattern:
    """`~ "RouterOS"` or `!~ "RouterOS"`: a regular expression searched in the value's text;
    fires when it is found (~) or when it is not (!~)."""

    op: str
    regex: re.Pattern[str]

    def fires(self, shown: str) -> bool:
        """Whether a value shown as `shown` crosses this threshold."""
        found = self.regex.search(shown) is not None
        return found if self.op == "~" else not found

    def expectation(self) -> str:
        """What the value should be, for a failure's text."""
        return f"expected {'not ' if self.op == '~' else ''}to match " \
            f"\"{self.regex.pattern}\""

    def __str__(self) -> str:
        return f"{self.op} \"{self.regex.pattern}\""


Check = Comparison | Equality | Pattern


def _comparison(value: Any) -> Any:
    if isinstance(value, Comparison):
        return value
    if isinstance(value, str) and (m := _COMPARISON.match(value)):
        return Comparison(m.group(1), float(m.group(2)))
    raise ValueError(f"expected a comparison such as \"> 80\" or \"< 0.5\", got {value!r}")


def parse_check(value: Any) -> Any:
    """A threshold as config writes it, compiled: a comparison, a value or a pattern."""
    if isinstance(value, (Comparison, Equality, Pattern)):
        return value
    if isinstance(value, str) and (m := _EQUALITY.match(value)) and m.group(2):
        expected = _unquoted(m.group(2))
        number = int(expected) if expected.lstrip("-").isdigit() else None
        return Equality(m.group(1), expected, number)
    if isinstance(value, str) and (m := _PATTERN.match(value)) and m.group(2):
        try:
            return Pattern(m.group(1), re.compile(_unquoted(m.group(2))))
        except re.error as exc:
            raise ValueError(f"{m.group(2)} is not a regular expression: {exc}") from None
    if isinstance(value, str) and _COMPARISON.match(value):
        return _comparison(value)
    raise ValueError(f"expected a comparison such as \"> 80\" or \"< 0.5\", a value such as "
                     f"\"!= onLine\" or a pattern such as '!~ \"RouterOS\"', got {value!r}")


Threshold = Annotated[Comparison, BeforeValidator(_comparison)]
# SNMP thresholds: a comparison, an (enumerated) value, or a regular expression.
ValueThreshold = Annotated[Check, BeforeValidator(parse_check)]
