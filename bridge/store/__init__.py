"""The store: the only package that speaks SQL."""

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from bridge.store.db import Database
from bridge.store.writer import BatchWriter

# Engine, Connection and Session: the handles other packages pass back to the store's functions
# (they speak no SQL): a database, one consistent read across several reads, one transaction.
__all__ = ["BatchWriter", "Connection", "Database", "Engine", "Session"]
