"""Many rows in one go on PostgreSQL: COPY, whose rows psycopg formats in C.

A batch of a mass outage writes tens of thousands of rows. As an executemany (one
statement per row) or a multi-row VALUES (its thousands of placeholders parsed in Python
by psycopg) they cost the writer thread 20-40 us a row and a round trip each page, every
one of which waits for the GIL behind the event loop (bench/README.md, outage pipeline).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


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
