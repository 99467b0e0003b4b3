"""Query parameters, declared next to the handler that reads them.

One declaration both checks a request (unknown names, bad values and repeats are 400s
before the handler runs) and describes the parameter in the OpenAPI document, so the
two cannot drift: a handler sees only the parameters it declared.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from aiohttp import web
from pydantic import TypeAdapter

from bridge.api.auth import Handler, error
from bridge.config.base import Name

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
QueryHandler = Callable[[web.Request, "Query"], Awaitable[web.StreamResponse]]
_DECLARATION = "__bridge_accepts__"


@dataclass(frozen=True)
class Param(Generic[T]):
    """One query parameter: what it means, its JSON Schema, and how a raw value is read.

    `read` raises ValueError with the rest of a sentence that starts with the name."""

    name: str
    description: str
    schema: Mapping[str, Any]
    read: Callable[[str], T]
    default: T


# Ids in the inventory (customers, devices, tags): the config's names.
INVENTORY_ID_SCHEMA: Mapping[str, Any] = TypeAdapter(Name).json_schema()
_INVENTORY_ID = re.compile(INVENTORY_ID_SCHEMA["pattern"])


def read_inventory_id(raw: str) -> str:
    """`raw` if it can be an id in the inventory; ValueError otherwise (it names nothing, and
    text such as NUL is an error in PostgreSQL, not a miss)."""
    if len(raw) > INVENTORY_ID_SCHEMA["maxLength"] or _INVENTORY_ID.fullmatch(raw) is None:
        raise ValueError("must be an id from the inventory: up to 64 letters, digits, "
                         "'_', '.' or '-'")
    return raw


def inventory_id(name: str, description: str) -> Param[str | None]:
    """An optional id of something in the inventory (a customer, a device)."""
    return Param[str | None](name, description, INVENTORY_ID_SCHEMA, read_inventory_id, None)


def _one_of(choices: Sequence[str]) -> Callable[[str], str]:
    def read(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"must be one of: {', '.join(choices)}")
        return raw
    return read


def choice(name: str, description: str, choices: Sequence[str], default: str) -> Param[str]:
    """One of a fixed set of words, with a default."""
    return Param(name, description, {"type": "string", "enum": list(choices),
                                     "default": default}, _one_of(choices), default)


def optional_choice(name: str, description: str, choices: Sequence[str]) -> Param[str | None]:
    """One of a fixed set of words, or absent."""
    return Param[str | None](name, description, {"type": "string", "enum": list(choices)},
                             _one_of(choices), None)


def member(name: str, description: str, enum: type[E]) -> Param[E | None]:
    """A member of a closed set (a StrEnum), or absent."""
    values = [m.value for m in enum]
    return Param[E | None](name, description, {"type": "string", "enum": values},
                           lambda raw: enum(_one_of(values)(raw)), None)


def is_decimal(raw: str) -> bool:
    """Decimal digits only: str.isdigit() alone also admits digits such as "²" that int()
    refuses."""
    return raw.isascii() and raw.isdigit()


def count(name: str, description: str, default: int, low: int, high: int) -> Param[int]:
    """A whole number from `low` to `high`, with a default."""
    def read(raw: str) -> int:
        if not is_decimal(raw) or not low <= int(raw) <= high:
            raise ValueError(f"must be an integer from {low} to {high}")
        return int(raw)
    return Param(name, description, {"type": "integer", "minimum": low, "maximum": high,
                                     "default": default}, read, default)


class Query:
    """A request's query, read through the declared parameters only."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def __getitem__(self, param: Param[T]) -> T:
        if param.name not in self._values:  # a programming error: declare it in @accepts
            raise LookupError(f"query parameter {param.name!r} is not declared by the handler")
        return cast(T, self._values[param.name])


@dataclass(frozen=True)
class Accepts:
    """What a handler takes in its query and the media types its 200 answer comes in."""

    params: tuple[Param[Any], ...]
    media_types: tuple[str, ...]
    strict: bool

    def parse(self, request: web.Request) -> Query | str:
        """The request's query, or the reason it is refused."""
        declared = {p.name for p in self.params}
        unknown = sorted(set(request.query) - declared)
        if unknown and self.strict:
            return f"unknown query parameter(s): {', '.join(unknown)}"
        values: dict[str, object] = {}
        problems: list[str] = []
        for param in self.params:
            raws = request.query.getall(param.name, [])
            if len(raws) > 1:
                problems.append(f"{param.name} must be given at most once")
                continue
            try:
                values[param.name] = param.read(raws[0]) if raws else param.default
            except ValueError as exc:
                problems.append(f"{param.name} {exc}")
        return "; ".join(problems) if problems else Query(values)


def accepts(*params: Param[Any], media_types: tuple[str, ...] = ("application/json",),
            strict: bool = True) -> Callable[[QueryHandler], Handler]:
    """Declare a GET handler's query parameters; it is called with them parsed.

    `strict=False` ignores unknown names, for callers we do not control (probes, scrapers)."""
    declaration = Accepts(params, media_types, strict)

    def wrap(handler: QueryHandler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            query = declaration.parse(request)
            if isinstance(query, str):
                return error(400, query)
            return await handler(request, query)

        setattr(checked, _DECLARATION, declaration)
        return checked

    return wrap


def accepted_by(handler: object) -> Accepts | None:
    """What a route's handler declared with @accepts, if anything."""
    found = getattr(handler, _DECLARATION, None)
    return found if isinstance(found, Accepts) else None
