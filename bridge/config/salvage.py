"""What of a rejected file can still be checked: the file without the keys that failed.

A file with an error keeps its other entries, and an entry keeps its other keys, so that
`bridge check` reports the rest of the file's mistakes (a dangling reference, a timing
budget, a contract's targets) in the same run instead of after the first are fixed. A
key that failed is dropped, not defaulted: checks that read a dropped key skip the entry
(`Partial`), so no default the operator never wrote is ever reported as theirs.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bridge.config.explain import walk_loc
from bridge.config.toml_lines import KeyPath

M = TypeVar("M", bound=BaseModel)

# Dropping a key can let a model validator run that did not before, and fail: a few
# rounds, then what still fails is given up.
_ROUNDS = 4


@dataclass
class Partial:
    """Keys dropped from entries that were loaded without them: (section, name) -> the
    key paths below the entry."""

    dropped: dict[tuple[str, str], set[KeyPath]] = field(default_factory=dict)

    def lacks(self, section: str, name: str, *keys: str | int) -> bool:
        """Whether the entry lost a key at or below `keys` (any key, if none given)."""
        paths = self.dropped.get((section, name), set())
        return any(p[:len(keys)] == keys or keys[:len(p)] == p for p in paths)


def _drop(data: dict[str, Any], path: KeyPath) -> KeyPath | None:
    """Remove what `path` points at: the key, the whole array an item of it is in, or
    (for a required key that is missing) the table lacking it. The path removed, or None."""
    found: list[str] = []
    node: Any = data
    for part in path:
        if not isinstance(part, str) or not isinstance(node, dict) or part not in node:
            break
        found.append(part)
        node = node[part]
    if not found:
        return None
    table: Any = data
    for key in found[:-1]:
        table = table[key]
    del table[found[-1]]
    return tuple(found)


def salvage(schema: type[M], data: dict[str, Any], items: Sequence[ErrorDetails]
            ) -> tuple[M, set[KeyPath]]:
    """The model of `data` without the keys `items` (its validation errors) point at,
    and the key paths dropped."""
    data = copy.deepcopy(data)
    dropped: set[KeyPath] = set()
    for _ in range(_ROUNDS):
        for item in items:
            path = walk_loc(schema, tuple(item["loc"]))[0]
            removed = _drop(data, path)
            if removed is not None:
                dropped.add(removed)
        try:
            return schema.model_validate(data), dropped
        except ValidationError as exc:
            items = exc.errors()
    return schema.model_validate({}), dropped | {(k,) for k in data}
