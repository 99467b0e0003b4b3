"""A resolved secret (a password, a token, a community): compared in constant time, never
printed."""

from __future__ import annotations

import secrets


class Secret:
    """A resolved secret. Its repr and str never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value, for comparison or sending; never for logs."""
        return self._value

    def matches(self, candidate: str) -> bool:
        """Constant-time comparison against a presented value."""
        return secrets.compare_digest(self._value.encode(), candidate.encode())

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__
