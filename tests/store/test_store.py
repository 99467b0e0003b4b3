"""The store on real SQLite and real PostgreSQL: tickets, history, state, migrations."""

from __future__ import annotations

import os
import re
import stat
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, StatementError
from sqlmodel import SQLModel

from bridge.core import flap
from bridge.core.decisions import (
    AttachToIncident,
    DetachFromIncident,
    OpenIncident,
    RecordChange,
    ResolveIncident,
    SaveState,
    SetFlapping,
)
from bridge.core.lifecycle import IncidentStatus
from bridge.core.priority import Priority
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, Reason, StateType, Status
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.history import load_history
from bridge.store.reads import (
    IncidentFilter,
    get_incident,
    list_incidents,
    load_flaps,
    load_open_problems,
    load_recently_resolved,
    load_states,
    open_incident_counts,
)

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
KEY = CheckKey("sw-1", "ping")


def opening(key: CheckKey = KEY, at: datetime = T0) -> OpenIncident:
    return OpenIncident(f"check:{key}", key, "acme", Priority.P2, "device-down", at,
                        f"{key.device} is down")


def resolving(key: CheckKey = KEY, at: datetime = T0) -> ResolveIncident:
    return ResolveIncident(f"check:{key}", at, f"{key.device} recovered")


def test_migrations_create_exactly_the_models(db: Database) -> None:
    db.migrate()  # a second run is a no-op
    with db.writer.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_ticket_opens_with_a_human_id_and_resolves_with_a_timeline(db: Database) -> None:
    [opened] = apply_batch(db.writer, [opening()], "INC", T0 + timedelta(seconds=5))
    assert opened.action == "opened"
    assert re.fullmatch(r"INC-2026-\d{6}", opened.ref)
    assert opened.ref == "INC-2026-000001"

    [resolved] = apply_batch(db.writer, [resolving(at=T0 + timedelta(minutes=3))], "INC",
                             T0 + timedelta(minutes=3, seconds=1))
    assert resolved == type(resolved)("resolved", opened.ref, opened.problem_key, "acme")

    ticket = get_incident(db.reader, opened.ref)
    assert ticket is not None
    assert ticket["status"] == "resolved"
    assert ticket["started_at"] == T0.isoformat()
    assert ticket["resolved_at"] == (T0 + timedelta(minutes=3)).isoformat()
    kinds = [(e["kind"], e["at"]) for e in ticket["timeline"]]
    assert kinds == [("opened", (T0 + timedelta(seconds=5)).isoformat()),
                     ("resolved", (T0 + timedelta(minutes=3, seconds=1)).isoformat())]


def test_one_open_ticket_per_problem(db: Database) -> None:
    first = apply_batch(db.writer, [opening()], "INC", T0)
    again = apply_batch(db.writer, [opening(at=T0 + timedelta(minutes=1))], "INC", T0)
    assert [o.action for o in first + again] == ["opened", "already_open"]
    assert first[0].ref == again[0].ref
    items, total = list_incidents(db.reader, IncidentFilter())
    assert total == 1
    assert items[0]["status"] == "open"


def test_a_recurrence_after_resolution_is_a_new_ticket_with_the_next_number(db: Database) -> None:
    apply_batch(db.writer, [opening(), resolving()], "INC", T0)
    [second] = apply_batch(db.writer, [opening(at=T0 + timedelta(hours=1))], "INC", T0)
    assert second.ref == "INC-2026-000002"
    assert open_incident_counts(db.reader) == {("acme", "P2", 1): 1}


def test_resolve_without_open_ticket_is_a_no_op(db: Database) -> None:
    assert apply_batch(db.writer, [resolving()], "INC", T0) == []


def test_ids_restart_each_year(db: Database) -> None:
    apply_batch(db.writer, [opening()], "INC", T0)
    [next_year] = apply_batch(db.writer, [opening(CheckKey("r-1", "ping"))], "INC",
                              datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC))
    assert next_year.ref == "INC-2027-000001"


def test_check_state_survives_a_restart(store_url: str) -> None:
    db = Database(store_url)
    db.migrate()
    last = ProbeResult(False, T0, 0.1, "no reply", {"loss_ratio": 1.0})
    state = CheckState(Status.DOWN, StateType.SOFT, 2, T0, Status.UP, T0 - timedelta(days=1), last)
    apply_batch(db.writer, [SaveState(KEY, CheckState()), SaveState(KEY, state)], "INC", T0)
    db.dispose()

    reopened = Database(store_url)
    loaded = load_states(reopened.reader)[KEY]
    reopened.dispose()
    assert (loaded.status, loaded.state_type, loaded.attempts) == (Status.DOWN, StateType.SOFT, 2)
    assert loaded.hard_status == Status.UP
    assert loaded.since == T0
    assert loaded.last is not None
    assert loaded.last.output == "no reply"
    assert loaded.last.measurements == {"loss_ratio": 1.0}
    assert not loaded.last.warning


def test_a_later_batch_replaces_a_checks_whole_state(db: Database) -> None:
    """What a later batch says of a check is what a restart finds, fields it empties too,
    and a batch whose write failed leaves nothing behind for the next one."""
    recovering = ProbeResult(True, T0, 0.1, "1/3 replies", {"loss_ratio": 2 / 3})
    down = CheckState(Status.DOWN, StateType.HARD, 3, T0, Status.DOWN, T0, recovering, 1, T0)
    apply_batch(db.writer, [SaveState(KEY, down)], "INC", T0)
    with pytest.raises((ValueError, StatementError), match="naive"):
        apply_batch(db.writer, [SaveState(CheckKey("sw-2", "ping"), CheckState(
            Status.UP, since=datetime(2026, 4, 1)))], "INC", T0)
    later = T0 + timedelta(minutes=1)
    up = CheckState(Status.UP, StateType.HARD, 0, later, Status.UP, later,
                    ProbeResult(True, later, 0.1, "3/3 replies"))
    apply_batch(db.writer, [SaveState(KEY, up), SaveState(CheckKey("sw-3", "ping"),
                                                           CheckState())], "INC", later)
    states = load_states(db.reader)
    assert states == {KEY: replace(up, last=replace(up.last, duration_s=0.0)),
                      CheckKey("sw-3", "ping"): CheckState()}


def test_a_warning_survives_a_restart(store_url: str) -> None:
    """bridge_probe_warning and the API show the last warning at once after a restart."""
    db = Database(store_url)
    db.migrate()
    last = ProbeResult(True, T0, 0.1, "PING WARNING - loss 33%, rtt avg 0.1 ms (loss >= 20%)",
                       {"loss_ratio": 1 / 3}, warning=True)
    state = CheckState(Status.UP, StateType.HARD, 0, T0, Status.UP, T0, last)
    apply_batch(db.writer, [SaveState(KEY, state)], "INC", T0)
    db.dispose()

    reopened = Database(store_url)
    loaded = load_states(reopened.reader)[KEY]
    reopened.dispose()
    assert loaded.last is not None
    assert (loaded.last.ok, loaded.last.warning) == (True, True)


def test_a_flapping_checks_history_survives_a_restart(db: Database) -> None:
    """A restart, or the next owner of the shard, goes on with the same flap detection:
    the results and the flag (between the thresholds, only the flag tells)."""
    history = flap.FlapState()
    for ok in [True, False] * 4 + [True] * 15:  # flapping, then settling
        history = flap.record(history, ok)
    assert history.flapping
    assert 25 <= history.percent <= 30
    state = CheckState(Status.UP, StateType.HARD, 0, T0, Status.UP, T0)
    apply_batch(db.writer, [SaveState(KEY, state, history),
                            SaveState(CheckKey("sw-2", "ping"), state)], "INC", T0)
    assert load_flaps(db.reader) == {KEY: history}


def test_history_includes_the_status_at_the_window_start(db: Database) -> None:
    def change(key: CheckKey, old: Status, new: Status, days_ago: int) -> RecordChange:
        return RecordChange(key, "acme", old, new, T0 - timedelta(days=days_ago),
                            Reason.RECOVERED, "")

    other = CheckKey("sw-2", "ping")
    changes = [
        change(KEY, Status.UNKNOWN, Status.UP, 40),
        change(KEY, Status.UP, Status.DOWN, 35),
        change(KEY, Status.DOWN, Status.UP, 1),
        change(other, Status.UNKNOWN, Status.UP, 50),
        change(other, Status.UP, Status.DOWN, 45),
        SaveState(KEY, CheckState(Status.UP, StateType.HARD, 0, T0, Status.UP, T0)),
        SaveState(other, CheckState(Status.DOWN, StateType.HARD, 3, T0, Status.DOWN, T0)),
    ]
    apply_batch(db.writer, changes, "INC", T0)
    with db.reader.connect() as connection:
        history = load_history(connection, T0 - timedelta(days=30), T0)
        only = load_history(connection, T0 - timedelta(days=30), T0, ["sw-2"])
    assert history == {
        "sw-1": {"ping": [((T0 - timedelta(days=35)).timestamp(), Status.DOWN),
                          ((T0 - timedelta(days=1)).timestamp(), Status.UP)]},
        "sw-2": {"ping": [((T0 - timedelta(days=45)).timestamp(), Status.DOWN)]},
    }
    assert only == {"sw-2": history["sw-2"]}


def test_concurrent_instances_never_open_two_tickets(store_url: str) -> None:
    """Two writers (as two instances would) race to open the same problem."""
    first = Database(store_url)
    first.migrate()
    first.dispose()
    instances = [Database(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(instances))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def race(db: Database) -> None:
        try:
            barrier.wait()
            outcomes.extend(o.action for o in apply_batch(db.writer, [opening()], "INC", T0))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(db,)) for db in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(outcomes) == ["already_open"] * 3 + ["opened"]
    _, total = list_incidents(instances[0].reader, IncidentFilter(status=IncidentStatus.OPEN))
    for db in instances:
        db.dispose()
    assert total == 1


def test_sqlite_readers_never_block_the_writer(tmp_path: object) -> None:
    """Under WAL, readers holding snapshots never stop the writer's commits; and a deferred
    read-then-write would fail ("database is locked"), which is why the writer begins
    IMMEDIATE (test_concurrent_instances_never_open_two_tickets[sqlite] catches its loss)."""
    db = Database(f"sqlite:///{tmp_path}/bridge.db")
    db.migrate()
    apply_batch(db.writer, [opening()], "INC", T0)

    # The hazard exists: a plain (deferred) transaction that read before another commit
    # cannot upgrade to a write.
    with db.reader.connect() as stale:
        stale.execute(text("SELECT count(*) FROM incident")).scalar_one()
        apply_batch(db.writer, [opening(CheckKey("other", "ping"))], "INC", T0)
        with pytest.raises(OperationalError, match="locked"):
            stale.execute(text("UPDATE incident SET tier = 2"))

    # The writer, meanwhile, keeps committing while readers read continuously.
    stop = threading.Event()
    reader_errors: list[BaseException] = []

    def read_loop() -> None:
        while not stop.is_set():
            try:
                list_incidents(db.reader, IncidentFilter())
            except BaseException as exc:
                reader_errors.append(exc)

    readers = [threading.Thread(target=read_loop) for _ in range(3)]
    for r in readers:
        r.start()
    try:
        for i in range(60):
            key = CheckKey(f"dev-{i}", "ping")
            apply_batch(db.writer, [SaveState(key, CheckState()), opening(key)], "INC", T0)
    finally:
        stop.set()
        for r in readers:
            r.join()
    assert reader_errors == []
    assert list_incidents(db.reader, IncidentFilter())[1] == 62
    db.dispose()


def test_postgres_outage_keeps_decisions_until_it_returns(pg_url: str, pg_admin_url: str) -> None:
    """While PostgreSQL refuses connections the writer keeps everything; then writes it once."""
    import asyncio

    from bridge.store.writer import BatchWriter

    db = Database(pg_url)
    db.migrate()
    name = pg_url.rsplit("/", 1)[1]
    seen: list[str] = []
    writer = BatchWriter(db, "INC", 0.05, 100, lambda outs: seen.extend(o.ref for o in outs),
                         clock=lambda: T0)

    def set_allowed(allowed: bool) -> None:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s", (name,))

    async def scenario() -> None:
        set_allowed(False)
        try:
            writer.submit([opening(), SaveState(KEY, CheckState())])
            assert await writer.flush() is False
            assert writer.pending == 2
            assert not writer.healthy
            assert await writer.flush() is False  # still down: still kept, not duplicated
            assert writer.pending == 2
        finally:
            set_allowed(True)
        assert await writer.flush() is True
        assert writer.pending == 0

    asyncio.run(scenario())
    writer.close()
    assert seen == ["INC-2026-000001"]
    assert list_incidents(db.reader, IncidentFilter())[1] == 1
    db.dispose()


def test_a_reopen_brings_back_the_same_ticket(db: Database) -> None:
    from dataclasses import replace

    [first] = apply_batch(db.writer, [opening()], "INC", T0)
    apply_batch(db.writer, [resolving(at=T0 + timedelta(minutes=1))], "INC", T0)
    assert load_recently_resolved(db.reader, T0) == {
        "check:sw-1/ping": T0 + timedelta(minutes=1)}
    recurred = replace(opening(at=T0 + timedelta(minutes=5)), reopen=True)
    [again] = apply_batch(db.writer, [recurred], "INC", T0 + timedelta(minutes=5))
    assert (again.action, again.ref) == ("reopened", first.ref)
    ticket = get_incident(db.reader, first.ref)
    assert ticket is not None
    assert (ticket["status"], ticket["resolved_at"]) == ("open", None)
    assert [e["kind"] for e in ticket["timeline"]] == ["opened", "resolved", "reopened"]
    assert list_incidents(db.reader, IncidentFilter())[1] == 1


def test_flapping_and_attachments_are_stored_and_come_back_after_a_restart(
    db: Database,
) -> None:
    child = CheckKey("host-1", "ping")
    apply_batch(db.writer, [
        opening(),
        AttachToIncident("check:sw-1/ping", child, T0, "host-1 unreachable"),
        SetFlapping("check:sw-1/ping", True, T0, "sw-1 started flapping"),
    ], "INC", T0)
    problems, attached = load_open_problems(db.reader)
    assert (problems, attached) == ({"check:sw-1/ping": True}, {child: "check:sw-1/ping"})
    ticket = get_incident(db.reader, "INC-2026-000001")
    assert ticket is not None
    assert ticket["flapping"] is True
    assert [(m["device"], m["detached_at"]) for m in ticket["attached"]] == [("host-1", None)]

    apply_batch(db.writer, [resolving(at=T0 + timedelta(minutes=2)),
                            DetachFromIncident("check:sw-1/ping", child, T0, "recovered")],
                "INC", T0 + timedelta(minutes=2))
    assert load_open_problems(db.reader) == ({}, {})
    ticket = get_incident(db.reader, "INC-2026-000001")
    assert ticket is not None
    assert ticket["attached"][0]["detached_at"] is not None


def test_the_sqlite_store_is_readable_by_its_owner_alone(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    """It holds password hashes, token digests and every customer's tickets: a new store and
    its -wal are 0600 under a umask that would leave them world-readable, and an old store
    others could read is tightened, with a warning."""
    path = tmp_path / "var" / "bridge.db"
    before = os.umask(0o022)
    db = Database(f"sqlite:///{path}")
    try:
        db.migrate()
        with db.writer.connect() as connection:  # open: its -wal is there
            wal = path.with_name("bridge.db-wal")
            assert stat.S_IMODE(wal.stat().st_mode) == 0o600
            connection.rollback()
    finally:
        db.dispose()
        os.umask(before)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "was readable by other users" in caplog.text
