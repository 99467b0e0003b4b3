"""The store: the only package that speaks SQL."""

from sqlalchemy import Connection, Engine

from bridge.store.db import Database
from bridge.store.writer import BatchWriter

# Engine and Connection: the handles other packages pass back to the store's functions (they
# speak no SQL; a Connection is one consistent read across several of them).
__all__ = ["BatchWriter", "Connection", "Database", "Engine"]
