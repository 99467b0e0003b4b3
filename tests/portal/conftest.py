"""Fixtures of the portal's server tests: a store, the portal on a test server, people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.sync_api import Browser

from bridge.store import Database
from tests.kits.browser import chromium
from tests.portal.site import Clocks, Person, StoreService, add_people, deployment, portal_app


@pytest.fixture
def service(tmp_path: Path) -> Iterator[StoreService]:
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    add_people(db)
    yield StoreService(deployment(tmp_path), db)
    db.dispose()


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
async def server(service: StoreService, clocks: Clocks) -> AsyncIterator[TestServer]:
    test_server = TestServer(portal_app(service, clocks))
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
async def people(server: TestServer) -> AsyncIterator[Callable[[], Person]]:
    """Make a browser; each is closed at the end."""
    made: list[Person] = []

    def make() -> Person:
        made.append(Person(server))
        return made[-1]

    yield make
    for person in made:
        await person.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for a module's browser tests."""
    with chromium() as launched:
        yield launched
