"""Text the store can keep: PostgreSQL's text holds no NUL (SQLite would, so the edges refuse
it on both, and a request reads the same whichever store is behind it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

NUL_REFUSED = "must not contain NUL (\\u0000)"


def nul_fields(value: Any, where: str = "") -> Iterator[str]:
    """Where in `value` (a string, or dicts and lists of them) a string holds NUL."""
    if isinstance(value, str) and "\x00" in value:
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from nul_fields(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from nul_fields(item, f"{where}.{index}")
