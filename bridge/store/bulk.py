"""Many rows into one table: COPY on PostgreSQL, one executemany elsewhere.

psycopg runs an executemany as one INSERT per row in a pipeline: each row is a statement
for the server to bind and execute and for psycopg to convert and queue in Python. COPY
streams the rows into one statement (psycopg formats them in C). The values go through
the columns' own types first (UTCDateTime, enums), as an INSERT's would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import psycopg
from sqlalchemy import Table, insert
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows (each with the same keys), in this transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] if process is None else process(row[name])
                                for name, process in zip(names, processors, strict=True)])
    except Exception as exc:  # as SQLAlchemy's own would be: IntegrityError and the rest
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error) from exc
