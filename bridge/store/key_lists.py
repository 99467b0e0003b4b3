"""`column IN (a list)` with the list bound as one value: a JSON array read by `json_each` on
SQLite, an array compared with `= ANY` on PostgreSQL.

An expanding IN (`bindparam(..., expanding=True)`) renders its statement anew at each
execution, one placeholder and one type conversion per value: for a batch of hundreds of
keys that cost the writer thread more in Python than the lookup costs in SQL. One value
leaves the compiled statement as it is (SQLAlchemy's cache) and the list is converted
once, by json.dumps in C or psycopg's array adapter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

T = TypeVar("T")


class _JsonList(TypeDecorator[list[Any]]):
    """A list bound as JSON text (SQLite's json_each reads it)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value)


def in_list(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the list bound as `name` (a Python list of plain values:
    strings or integers) in a statement for `dialect`."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    listed = func.json_each(bindparam(name, type_=_JsonList())).table_valued("value")
    return column.in_(select(listed.c.value))  # type: ignore[no-any-return]


class ByDialect(Generic[T]):
    """A statement built once for SQLite and once for PostgreSQL, the one a connection
    speaks picked at execution."""

    def __init__(self, build: Callable[[str], T]) -> None:
        self._sqlite, self._postgresql = build("sqlite"), build("postgresql")

    def __call__(self, on: Session | Connection) -> T:
        bind = on.get_bind() if isinstance(on, Session) else on
        return self._postgresql if bind.dialect.name == "postgresql" else self._sqlite
