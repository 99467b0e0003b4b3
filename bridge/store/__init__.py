"""The store: the only package that speaks SQL."""

from sqlalchemy import Engine
from sqlmodel import Session

from bridge.store.db import Database
from bridge.store.writer import BatchWriter

# Engine and Session: the handles other packages pass back to the store's functions (they
# speak no SQL): a database, and one transaction on it.
__all__ = ["BatchWriter", "Database", "Engine", "Session"]
