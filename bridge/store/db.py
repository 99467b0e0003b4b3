"""Engines and migrations. SQLite by default (WAL, BEGIN IMMEDIATE), or PostgreSQL.

Two engines: the writer's, whose transactions start with BEGIN IMMEDIATE on SQLite
(a deferred BEGIN that later upgrades to a write fails at once with "database is
locked" when a reader's snapshot is older; IMMEDIATE takes the lock up front and
waits `busy_timeout` for it), and a reader engine with plain BEGIN for the API and
CLI, which under WAL never blocks the writer.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
_BUSY_TIMEOUT_MS = 30_000
_MIGRATION_LOCK_ID = 0x6272696467  # "bridg": serialises migrations across instances


class SchemaTooNew(RuntimeError):
    """The store was migrated by a newer bridge than this one."""


def _refuse_newer_schema(connection: Connection, script: ScriptDirectory, where: str) -> None:
    """Refuse a schema this bridge has no migration for: a newer bridge wrote it, and this
    one would misread or damage its tables (Alembic's own error, "Can't locate revision",
    tells an operator nothing)."""
    from alembic.migration import MigrationContext
    from alembic.util import CommandError

    unknown = []
    for revision in MigrationContext.configure(connection).get_current_heads():
        try:
            script.get_revision(revision)
        except CommandError:
            unknown.append(revision)
    if unknown:
        raise SchemaTooNew(
            f"the store {where} has schema revision {', '.join(unknown)}, newer than this "
            f"bridge knows (its newest is {', '.join(script.get_heads())}): a newer bridge "
            "has migrated it. Upgrade bridge on this host to that newer version; bridge "
            "never downgrades a schema.")


def shown_url(url: str) -> str:
    """A store URL to show: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a store URL that cannot be read)"


def store_identity(url: str) -> str:
    """Which store `url` names, the same however it is written: without its password, a
    SQLite file's path absolute (relative to the working directory, as the engine opens
    it). Not a URL to connect with."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        database = str(Path(database).resolve())
    query = "&".join(f"{k}={v}" for k, v in sorted(parsed.query.items()))
    return (f"{parsed.drivername}://{parsed.username or ''}@{parsed.host or ''}:"
            f"{parsed.port or ''}/{database}?{query}")


def _private_file(database: Path) -> None:
    """The store's file readable by its owner alone (it holds password hashes, token digests
    and every customer's tickets), created so if missing; SQLite gives its -wal and -shm
    files the database file's mode. A file others may read is tightened, and said so. The
    folder is left as the umask makes it: other files there (a token another service reads)
    are the operator's."""
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    except OSError:
        return  # SQLite says why when it opens it
    for path in (database, database.with_name(database.name + "-wal"),
                 database.with_name(database.name + "-shm")):
        try:
            found = path.stat()
            mode = stat.S_IMODE(found.st_mode)
            if mode & 0o077 and found.st_uid == os.geteuid():
                path.chmod(mode & 0o700)
                log.warning("%s: was readable by other users (mode %o); now %o", path, mode,
                            mode & 0o700)
        except OSError:
            continue  # missing (no -wal yet), or not ours to change


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    # Pooled (SQLAlchemy's default for a file): a connection per transaction would run the
    # pragmas below each time, and closing the last one checkpoints the WAL into the file.
    engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """Owns the engines of one store URL."""

    def __init__(self, url: str, idle_in_transaction_s: float | None = None) -> None:
        """`idle_in_transaction_s`: on PostgreSQL, how long the server lets a transaction of
        this process sit idle before it ends the session. A daemon in a cluster sets it
        below its lease: a frozen process (SIGSTOP, a stalled VM) would otherwise keep the
        row locks of its open batch (the lease rows' FOR SHARE, store/fencing.py) and the
        instance taking its shards over would skip them as locked for as long as it
        stays frozen."""
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                _private_file(Path(database))
            self.writer = _sqlite_engine(url, immediate=True)
            self.reader = _sqlite_engine(url, immediate=False)
        else:
            connect_args = ({} if idle_in_transaction_s is None else {"options": (
                "-c idle_in_transaction_session_timeout="
                f"{max(1, int(idle_in_transaction_s * 1000))}")})
            self.writer = create_engine(url, pool_pre_ping=True, pool_size=2,
                                        connect_args=connect_args)
            self.reader = create_engine(url, pool_pre_ping=True, pool_size=4,
                                        connect_args=connect_args)

    def describe(self) -> str:
        """The URL without its password, for logs."""
        return shown_url(self.url)

    def migrate(self) -> None:
        """Apply Alembic migrations up to head; raise SchemaTooNew if the store is ahead.

        On PostgreSQL one instance migrates while the others wait for the advisory lock,
        then find the schema at head (each statement after the wait sees the commit)."""
        # Imported here: the availability process never migrates, and Alembic with its
        # templates is ~9 MB of a process.
        from alembic import command
        from alembic.config import Config as AlembicConfig
        from alembic.script import ScriptDirectory

        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.writer.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"),
                                   {"id": _MIGRATION_LOCK_ID})
            _refuse_newer_schema(connection, ScriptDirectory.from_config(config),
                                 self.describe())
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.writer.dispose()
        self.reader.dispose()


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose queries all read one snapshot of the store: on PostgreSQL a
    REPEATABLE READ transaction (SQLite's read transaction is one already)."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection
