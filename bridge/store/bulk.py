"""Many rows in one go on PostgreSQL: COPY, whose rows psycopg formats in C.

A batch of a mass outage or an alert storm writes thousands of rows. As an executemany
(psycopg runs one INSERT per row in a pipeline: a statement for the server to bind and
execute and for psycopg to convert and queue in Python) or a multi-row VALUES (its
thousands of placeholders parsed in Python by psycopg) they cost the writer thread
20-40 us a row, every one of which waits for the GIL behind the event loop
(bench/README.md, outage pipeline and intake). COPY streams the rows into one statement.
Elsewhere (SQLite, in process) `insert_rows` is one executemany of the driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session


def copy_rows(connection: Connection, table: str, columns: Sequence[str],
              rows: Iterable[Sequence[Any]]) -> None:
    """Append `rows` (values in `columns` order) to `table`, in the connection's
    transaction. Values as psycopg adapts them: enums as their `.value`, JSON as text."""
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:  # as SQLAlchemy raises it (IntegrityError for a key taken)
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def copy_with_ids(connection: Connection, table: str, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]]) -> list[int]:
    """`copy_rows` into a table with a serial `id`, the rows' ids taken from its sequence
    first, ascending in the rows' order: the ids."""
    ids = sorted(connection.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table, len(rows))).scalars())
    copy_rows(connection, table, ("id", *columns),
              ((row_id, *row) for row_id, row in zip(ids, rows, strict=True)))
    return ids


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows (each with the same keys), in this transaction, the values through
    the columns' own types first (UTCDateTime, enums), as an INSERT's would: COPY on
    PostgreSQL, one executemany of the driver elsewhere (an INSERT executed by SQLAlchemy
    converts every value of every row in Python; a batch's rows share most of theirs, such
    as its time: each distinct one is converted once here)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    values = _converted(table, dialect, names, rows)
    if dialect.name == "postgresql":
        copy_rows(connection, table.name, names, values)
        return
    quote = dialect.identifier_preparer.quote
    connection.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"VALUES ({', '.join('?' for _ in names)})", list(values))


def update_rows(session: Session, table: Table, keys: Sequence[str],
                rows: Sequence[Mapping[str, Any]]) -> None:
    """Set each row (found by its values of the columns `keys`; each with the same columns)
    to its values, in this transaction, converted as `insert_rows` converts them: one
    executemany of the driver. SQLite (PostgreSQL's executemany is psycopg's pipeline)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    assert dialect.name == "sqlite", "update_rows is for SQLite"
    quote = dialect.identifier_preparer.quote
    names = [name for name in rows[0] if name not in keys] + list(keys)
    connection.exec_driver_sql(
        f"UPDATE {quote(table.name)} SET "
        f"{', '.join(f'{quote(name)} = ?' for name in names[:-len(keys)])} "
        f"WHERE {' AND '.join(f'{quote(key)} = ?' for key in keys)}",
        list(_converted(table, dialect, names, rows)))


def _converted(table: Table, dialect: Dialect, names: list[str],
               rows: Sequence[Mapping[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """Each row's values in `names` order as the driver takes them: a value the same
    object as the previous row's in its column is converted once."""
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(names)
    for row in rows:
        out = []
        for i, (name, process) in enumerate(zip(names, processors, strict=True)):
            value = row[name]
            if process is None:
                out.append(value)
                continue
            given, converted = last[i]
            if value is not given:
                converted = process(value)
                last[i] = (value, converted)
            out.append(converted)
        yield tuple(out)


_NOTHING = object()
