"""What a failure of the store means to the rooms above it, which speak no SQL."""

from __future__ import annotations

from sqlalchemy import exc as sql


def store_unavailable(error: BaseException) -> bool:
    """The store cannot be reached or used now: the server down or restarting, the
    connections cut, no connection free in the pool in time, SQLite's disk full or its
    file locked. The caller should try again later; it is not the request's fault."""
    if isinstance(error, sql.DBAPIError):
        return isinstance(error, sql.OperationalError | sql.InterfaceError) \
            or error.connection_invalidated
    return isinstance(error, sql.TimeoutError)


def outage_reason(error: BaseException) -> str:
    """The driver's own first line (SQLAlchemy's text adds the statement and its
    parameters, which stay out of logs)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0][:200] if lines else type(cause).__name__
