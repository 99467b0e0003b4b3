"""Shared fixtures: store URLs for SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.store import Database
from tests.kits.netns import netns as netns  # the fixture, for every test module
from tests.kits.pg import postgres_admin_url, scratch_database
from tests.kits.snmp_agents import Agent, start_snmpsim

REPO = Path(__file__).resolve().parent.parent


def copy_example_deployment(dest: Path) -> None:
    """The example deployment in the repository (bridge.toml and its folders), into `dest`."""
    for name in ("bridge.toml", "config", "probes", "rules"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy(source, dest / name)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with postgres_admin_url() as url:
        yield url


@pytest.fixture(scope="session")
def snmpsim() -> Iterator[Agent]:
    """One snmpsim agent with the recordings for the whole run, started when a test first asks
    for it (each start takes 6-8 s): no test stops it or changes its data."""
    agent = start_snmpsim()
    yield agent
    agent.close()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    with scratch_database(pg_admin_url, f"bridge_test_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bridge.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    """A migrated store, on SQLite and on PostgreSQL."""
    database = Database(store_url)
    database.migrate()
    yield database
    database.dispose()
