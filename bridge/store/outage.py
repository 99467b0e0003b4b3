"""What a failure of the store means to the rooms above it, which speak no SQL."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sql

# SQLite's answers that are the file or its disk, not the statement: busy or locked by
# another process, an I/O error, the disk full, the file unopenable or read-only.
_SQLITE_PASSING = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL",
                   "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PROTOCOL")
# PostgreSQL's SQLSTATE classes of a server that cannot serve now: connection exceptions,
# insufficient resources, the server shutting down or restarting (57P01-57P03).
_PG_PASSING = ("08", "53", "57P01", "57P02", "57P03")


def store_unavailable(error: BaseException) -> bool:
    """The store cannot be reached or used now: the server down or restarting, the
    connections cut, no connection free in the pool in time, SQLite's disk full or its
    file locked. The caller should try again later; it is not the request's fault. A
    statement the store refuses (a missing table, bad SQL: a bug) is not that."""
    if isinstance(error, sql.TimeoutError):  # no connection free in the pool in time
        return True
    if not isinstance(error, sql.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    cause = error.orig
    if isinstance(cause, sqlite3.Error):
        name = getattr(cause, "sqlite_errorname", "") or ""
        return name.startswith(_SQLITE_PASSING)
    state = getattr(cause, "sqlstate", None)
    if isinstance(state, str):
        return state.startswith(_PG_PASSING)
    # no SQLSTATE: the driver never reached the server (refused, reset, timed out)
    return isinstance(error, sql.OperationalError | sql.InterfaceError)


def outage_reason(error: BaseException) -> str:
    """The driver's own first line (SQLAlchemy's text adds the statement and its
    parameters, which stay out of logs)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0][:200] if lines else type(cause).__name__
