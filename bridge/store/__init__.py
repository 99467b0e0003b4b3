"""The store: the only package that speaks SQL.

Its names are imported when first used (PEP 562): importing one of the store's modules
(`bridge.store.db` for a URL's identity) does not import every other, and a command that
never opens the store (the CLI's API client) never pays for SQLAlchemy's and the models'
imports, most of its start-up time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlmodel import Session

    from bridge.store.db import Database
    from bridge.store.writer import BatchWriter

# Engine, Connection and Session: the handles other packages pass back to the store's functions
# (they speak no SQL): a database, one consistent read across several reads, one transaction.
__all__ = ["BatchWriter", "Connection", "Database", "Engine", "Session"]

_HOMES = {"Connection": "sqlalchemy", "Engine": "sqlalchemy", "Session": "sqlmodel",
          "Database": "bridge.store.db", "BatchWriter": "bridge.store.writer"}


if not TYPE_CHECKING:  # mypy sees the imports above, and still flags a misspelt name

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value  # found once
        return value
