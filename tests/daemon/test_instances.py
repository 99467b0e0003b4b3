"""Several instances: one daemon per SQLite file, and migrations on a shared PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from bridge.store import Database
from bridge.store.db import MIGRATIONS, SchemaTooNew
from tests.kits.daemon import Bridge, write_deployment


def _head() -> str:
    """The newest migration this bridge ships."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


HEAD = _head()


def bridge_run(config: Path) -> subprocess.CompletedProcess[str]:
    """`bridge run` that is expected to refuse to start."""
    return subprocess.run([sys.executable, "-m", "bridge", "run", "-c", str(config)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_second_daemon_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    config = write_deployment(tmp_path, {"sw-1": "127.0.0.1"})
    first = Bridge(config)
    try:
        second = bridge_run(config)
        assert second.returncode == 1
        assert f"already running on the SQLite store {tmp_path / 'var' / 'bridge.db'}" \
            in second.stderr
        assert f"pid {first.proc.pid} on host" in second.stderr
        assert "listening on" not in second.stderr  # refused before it did anything
        assert first.proc.poll() is None
        assert first.get("/readyz") is not None  # the first keeps serving
        first.kill()  # a crash: the kernel drops the lock with the process
        after_crash = Bridge(config)
        assert after_crash.stop() == 0
        after_stop = Bridge(config)  # and a clean stop releases it too
        assert after_stop.stop() == 0
    finally:
        if first.proc.poll() is None:
            first.stop()


def _stamp(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_a_store_migrated_by_a_newer_bridge_is_refused(store_url: str) -> None:
    db = Database(store_url)
    db.migrate()
    _stamp(store_url, "0099")
    with pytest.raises(SchemaTooNew) as refused:
        db.migrate()
    db.dispose()
    message = str(refused.value)
    assert "schema revision 0099, newer than this bridge knows" in message
    assert f"its newest is {HEAD}" in message
    assert "Upgrade bridge" in message


def test_the_daemon_refuses_a_newer_schema_and_is_not_restarted(tmp_path: Path) -> None:
    config = write_deployment(tmp_path, {"sw-1": "127.0.0.1"})
    url = f"sqlite:///{tmp_path / 'var' / 'bridge.db'}"
    Database(url).migrate()
    _stamp(url, "0099")
    refused = bridge_run(config)
    assert refused.returncode == 78  # EX_CONFIG: the unit does not restart it in a loop
    assert "schema revision 0099, newer than this bridge knows" in refused.stderr
    assert "Traceback" not in refused.stderr


_MIGRATE = """
import sys
from bridge.store import Database
db = Database(sys.argv[1])
db.migrate()
db.dispose()
"""


def test_instances_migrating_a_fresh_postgres_at_once_end_with_one_schema(pg_url: str) -> None:
    instances = [subprocess.Popen([sys.executable, "-c", _MIGRATE, pg_url],
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [proc.communicate(timeout=120)[1] for proc in instances]
    assert [proc.returncode for proc in instances] == [0, 0, 0], errors
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() \
            == [HEAD]
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    engine.dispose()
