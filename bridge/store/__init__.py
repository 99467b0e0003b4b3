"""The store: the only package that speaks SQL."""

from sqlalchemy import Engine

from bridge.store.db import Database
from bridge.store.writer import BatchWriter

# Engine: the handle other packages pass back to the store's functions (they speak no SQL).
__all__ = ["BatchWriter", "Database", "Engine"]
