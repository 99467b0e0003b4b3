"""The store: the only package that speaks SQL."""

from bridge.store.db import Database
from bridge.store.writer import BatchWriter

__all__ = ["BatchWriter", "Database"]
