"""Many rows in one go on PostgreSQL: COPY, whose rows psycopg formats in C.

A batch of a mass outage writes tens of thousands of rows. As an executemany (one
statement per row) or a multi-row VALUES (its thousands of placeholders parsed in Python
by psycopg) they cost the writer thread 20-40 us a row and a round trip each page, every
one of which waits for the GIL behind the event loop (bench/README.md, outage pipeline).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection


def copy_rows(connection: Connection, table: str, columns: Sequence[str],
              rows: Iterable[Sequence[Any]]) -> None:
    """Append `rows` (values in `columns` order) to `table`, in the connection's
    transaction. Values as psycopg adapts them: enums as their `.value`, JSON as text."""
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
