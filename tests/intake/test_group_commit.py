"""Posts decided together (bridge/intake/group_commit.py), on a real store: the posts that
arrive while a transaction is written go into the next one together; when the store
refuses a group, each of its posts is written alone, so only the post the store refuses is
told to send again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from bridge.config import load_config
from bridge.config.intake_model import OnResolve
from bridge.config.model import Config
from bridge.core.priority import Priority
from bridge.intake.group_commit import GroupCommit, Windows
from bridge.intake.service import IntakeService
from bridge.store import Database
from bridge.store.alerts import AlertEvent
from bridge.store.reads import IncidentFilter, list_incidents
from bridge.store.tickets import QuietDesk
from tests.kits.intake import intake_deployment

T0 = datetime(2026, 12, 6, 9, tzinfo=UTC)


class _Writes:
    """The daemon's ticket writes (the seam the intake owns), on a real store; each
    transaction's alerts counted."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sizes: list[int] = []

    async def write_tickets(self, fn: Callable[..., Any], *,
                            changed: Callable[[Any], bool] | None = None) -> Any:
        outcomes = await asyncio.to_thread(fn, self.db.writer, QuietDesk(), T0, "INC")
        self.sizes.append(len(outcomes))
        return outcomes


def _post(fingerprint: str, customer: str = "acme") -> Callable[[Windows], list[AlertEvent]]:
    return lambda _windows: [AlertEvent(
        "prom", fingerprint, True, T0, None, customer, None, (), Priority.P2, "intake:prom:0",
        f"disk full ({fingerprint})", "{}", OnResolve.RESOLVE)]


async def _no_windows(_config: Config) -> Windows:
    return ()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(intake_deployment(tmp_path))


async def test_posts_that_wait_go_into_one_transaction(db: Database, config: Config) -> None:
    writes = _Writes(db)
    group = GroupCommit(cast(IntakeService, writes), _no_windows)
    answers = await asyncio.gather(*(group.take(config, 1, _post(f"fp-{i}")) for i in range(4)))
    assert [[o.action for o in a or ()] for a in answers] == [["opened"]] * 4
    assert writes.sizes == [4]
    refs = {o.ref for a in answers for o in a or ()}
    assert len(refs) == 4
    assert {t["id"] for t in list_incidents(db.reader, IncidentFilter())[0]} == refs
    later = await group.take(config, 1, _post("fp-alone"))  # nothing waits for company
    assert [o.action for o in later or ()] == ["opened"]
    assert writes.sizes == [4, 1]


async def test_a_post_the_store_refuses_fails_alone(pg_url: str, config: Config) -> None:
    db = Database(pg_url)  # PostgreSQL refuses a customer over its 64 characters
    db.migrate()
    try:
        writes = _Writes(db)
        group = GroupCommit(cast(IntakeService, writes), _no_windows)
        first, good, refused, also_good = await asyncio.gather(
            group.take(config, 1, _post("fp-first")), group.take(config, 1, _post("fp-good")),
            group.take(config, 1, _post("fp-refused", customer="x" * 65)),
            group.take(config, 1, _post("fp-also-good")))
        assert refused is None  # the sender is told to send again (a 503)
        assert [o.action for o in (*(first or ()), *(good or ()), *(also_good or ()))] == [
            "opened"] * 3
        assert writes.sizes == [1, 1, 1]  # the group refused, then each post alone
        shown = {t["summary"] for t in list_incidents(db.reader, IncidentFilter())[0]}
        assert shown == {"disk full (fp-first)", "disk full (fp-good)",
                         "disk full (fp-also-good)"}
    finally:
        db.dispose()
