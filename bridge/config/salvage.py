"""What of a rejected file can still be checked: the file without the keys that failed.

A file with an error keeps its other entries, and an entry keeps its other keys, so that
`bridge check` reports the rest of the file's mistakes (a dangling reference, a timing
budget, a contract's targets) in the same run instead of after the first are fixed. A
key that failed is dropped, not defaulted: checks that read a dropped key skip the entry
(`Partial`), so no default the operator never wrote is ever reported as theirs.

An entry that lacks a required key (invalid, hence dropped, or never written) cannot be
built, and is left out whole, unless its model names the key in `CHECKED_WITHOUT`: keys no
cross-check reads (a device's address). Such an entry is kept with None in the key's
place, so its references and tags are still checked in the same run.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError, create_model
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


@cache
def _lenient(model: type[BaseModel], keys: frozenset[str]) -> type[BaseModel]:
    """`model` with `keys` no longer required (None when absent)."""
    fields: dict[str, Any] = {key: (Any, None) for key in keys}
    return create_model(model.__name__, __base__=model, **fields)


def _keep_without(schema: type[M], data: dict[str, Any], items: Sequence[ErrorDetails]
                  ) -> set[KeyPath]:
    """Build in place the entries lacking only required keys their model may be checked
    without (see CHECKED_WITHOUT); the key paths they lack."""
    lacking: dict[KeyPath, tuple[type[BaseModel], set[str]]] = {}
    for item in items:
        loc = tuple(item["loc"])
        model = walk_loc(schema, loc[:-1])[1]
        if item["type"] != "missing" or model is None:
            continue
        path = walk_loc(schema, loc)[0]
        lacking.setdefault(path[:-1], (model, set()))[1].add(str(path[-1]))
    kept: set[KeyPath] = set()
    for entry, (model, keys) in lacking.items():
        parent: Any = data
        for part in entry[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        allowed: frozenset[str] = getattr(model, "CHECKED_WITHOUT", frozenset())
        if not keys <= allowed or not isinstance(parent, dict) \
                or not isinstance(parent.get(entry[-1]), dict):
            continue
        try:
            parent[entry[-1]] = _lenient(model, frozenset(keys)).model_validate(
                parent[entry[-1]])
        except ValidationError:
            continue  # more is wrong with it: left to the rounds below
        kept |= {(*entry, key) for key in keys}
    return kept


def salvage(schema: type[M], data: dict[str, Any], items: Sequence[ErrorDetails]
            ) -> tuple[M, set[KeyPath]]:
    """The model of `data` without the keys `items` (its validation errors) point at,
    and the key paths dropped."""
    data = copy.deepcopy(data)
    dropped: set[KeyPath] = set()
    for _ in range(_ROUNDS):
        kept = _keep_without(schema, data, items)
        dropped |= kept
        for item in items:
            path = walk_loc(schema, tuple(item["loc"]))[0]
            removed = None if path in kept else _drop(data, path)
            if removed is not None:
                dropped.add(removed)
        try:
            return schema.model_validate(data), dropped
        except ValidationError as exc:
            items = exc.errors()
    return schema.model_validate({}), dropped | {(k,) for k in data}
