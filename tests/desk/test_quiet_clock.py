"""The desk's clock skips ticks that cannot find anything (`tick_wanted`): after a quiet
tick it waits for the first step, SLA mark, ETA notice or close it found ahead, or for a
ticket change; driven as the daemon drives it, it does what ticking every time does, at
the same moments."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from bridge.config import load_config
from bridge.config.model import Config
from bridge.core.lifecycle import WaitingOn
from bridge.desk.actions import Action
from bridge.desk.clock import run_clock, tick_wanted
from bridge.desk.contract import ContractDesk
from bridge.store import Database
from bridge.store.models import (
    EscalationStepRow,
    Incident,
    IncidentEvent,
    OutboxMessage,
    SlaMarkRow,
)
from tests.desk.test_clock import T0, act, contract_config, new_ticket

# A step of its own (4 minutes after opening) apart from every SLA mark
CHAIN = """
[escalations.fast]
steps = [
  { tier = 1, after_min = 0 },
  { tier = 2, unless = "assigned", after_min = 4 },
  { tier = 3, sla = "resolution", at_pct = 90 },
]
"""


def _config(root: Path) -> Config:
    contract_config(root)
    (root / "rules" / "chains.toml").write_text(CHAIN)
    return load_config(root / "bridge.toml")


def test_a_quiet_clock_waits_for_the_next_mark_or_a_change(tmp_path: Path,
                                                         db: Database) -> None:
    desk = ContractDesk(_config(tmp_path))
    ref = new_ticket(db, desk, T0)
    sqlite = db.writer.dialect.name == "sqlite"
    assert tick_wanted(desk, T0)
    assert run_clock(db.writer, desk, T0) == 1  # step 1, tier 1 at opening
    assert tick_wanted(desk, T0 + timedelta(seconds=2))  # not quiet yet: it just changed
    assert run_clock(db.writer, desk, T0 + timedelta(seconds=2)) == 0
    # quiet: nothing until step 2 at 4 minutes (with several instances, another one's
    # change passes no desk of ours: every tick runs)
    assert tick_wanted(desk, T0 + timedelta(seconds=4)) is not sqlite
    assert tick_wanted(desk, T0 + timedelta(minutes=3, seconds=59)) is not sqlite
    assert tick_wanted(desk, T0 + timedelta(minutes=4))
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=4)) == 1
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=4, seconds=2)) == 0
    # then 75 % of the 10-minute reaction
    assert tick_wanted(desk, T0 + timedelta(minutes=7, seconds=29)) is not sqlite
    assert tick_wanted(desk, T0 + timedelta(minutes=7, seconds=30))
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=7, seconds=31)) == 1
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=7, seconds=33)) == 0
    assert tick_wanted(desk, T0 + timedelta(minutes=7, seconds=35)) is not sqlite
    # an operator's change wakes it at once: assigned, the reaction clock stops
    act(db, desk, ref, Action.ASSIGN, T0 + timedelta(minutes=8), assignee="alice")
    assert tick_wanted(desk, T0 + timedelta(minutes=8))
    # a reload's new desk knows nothing of the last tick
    assert tick_wanted(ContractDesk(desk.config), T0 + timedelta(minutes=8))


def test_a_quiet_clock_waits_for_a_step_an_eta_notice_and_the_close(tmp_path: Path,
                                                                  db: Database) -> None:
    """Marks held by a wait on the customer: what comes next is the ETA notice; once
    resolved, the close after the silence."""
    if db.writer.dialect.name != "sqlite":
        return  # every tick runs there (above)
    desk = ContractDesk(_config(tmp_path))
    ref = new_ticket(db, desk, T0)
    act(db, desk, ref, Action.ASSIGN, T0 + timedelta(minutes=1), assignee="alice")
    act(db, desk, ref, Action.WAIT, T0 + timedelta(minutes=2), waiting_on=WaitingOn.CUSTOMER)
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=3)) == 1  # step 1
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=3)) == 0
    # the ETA (T0 + 60 min) is told 30 minutes before
    assert not tick_wanted(desk, T0 + timedelta(minutes=29, seconds=59))
    assert tick_wanted(desk, T0 + timedelta(minutes=30))
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=30)) == 1
    act(db, desk, ref, Action.RESOLVE, T0 + timedelta(hours=1))
    assert run_clock(db.writer, desk, T0 + timedelta(hours=1)) == 0
    assert run_clock(db.writer, desk, T0 + timedelta(hours=1)) == 0
    # 72 h of silence: closed
    assert not tick_wanted(desk, T0 + timedelta(hours=73) - timedelta(seconds=1))
    assert tick_wanted(desk, T0 + timedelta(hours=73))
    assert run_clock(db.writer, desk, T0 + timedelta(hours=73)) == 1
    # nothing ahead of a closed ticket: only a change wakes the clock
    assert run_clock(db.writer, desk, T0 + timedelta(hours=73)) == 0
    assert not tick_wanted(desk, T0 + timedelta(days=365))
    with Session(db.reader) as session:
        steps = session.exec(select(EscalationStepRow.fired_at)).all()
    assert steps[0] is not None


def _record(db: Database) -> list[tuple[object, ...]]:
    """What a clock did, as a user sees it: the timeline, the messages, the marks, the
    steps and the ticket's state, with their times."""
    with Session(db.reader) as session:
        events = session.exec(select(IncidentEvent.kind, IncidentEvent.at, IncidentEvent.message)
                              .order_by(IncidentEvent.id)).all()  # type: ignore[arg-type]
        sent = session.exec(select(OutboxMessage.kind, OutboxMessage.recipient,
                                   OutboxMessage.created_at, OutboxMessage.body)
                            .order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        marks = session.exec(select(SlaMarkRow.kind, SlaMarkRow.pct, SlaMarkRow.at,
                                    SlaMarkRow.recorded_at)
                             .order_by(SlaMarkRow.id)).all()  # type: ignore[arg-type]
        steps = session.exec(select(EscalationStepRow.step_index, EscalationStepRow.fired_at,
                                    EscalationStepRow.skipped_at)
                             .order_by(EscalationStepRow.id)).all()  # type: ignore[arg-type]
        tickets = session.exec(select(Incident.status, Incident.tier, Incident.closed_at,
                                      Incident.eta_noticed_at)).all()
    return [*events, *sent, *marks, *steps, *tickets]


def test_skipping_quiet_ticks_does_what_ticking_every_time_does(tmp_path: Path) -> None:
    """Two stores through one ticket's life: one ticked every 20 s, one as the daemon ticks
    it (only when `tick_wanted`); the same timeline, messages, marks and steps, at the same
    times, with most ticks skipped."""
    config = _config(tmp_path)
    stores = [Database(f"sqlite:///{tmp_path / name}.db") for name in ("every", "quiet")]
    desks = [ContractDesk(config), ContractDesk(config)]
    actions = {
        timedelta(minutes=11): (Action.ASSIGN, {"assignee": "alice"}),
        timedelta(minutes=20): (Action.WAIT, {"waiting_on": WaitingOn.CUSTOMER}),
        timedelta(hours=2): (Action.RESUME, {}),
        timedelta(hours=3, minutes=20): (Action.RESOLVE, {}),
    }
    try:
        refs = []
        for db, desk in zip(stores, desks, strict=True):
            db.migrate()
            refs.append(new_ticket(db, desk, T0))
        ticks = skipped = 0
        offset = timedelta()
        while offset <= timedelta(hours=76):
            now = T0 + offset
            if offset in actions:
                action, fields = actions[offset]
                for db, desk, ref in zip(stores, desks, refs, strict=True):
                    act(db, desk, ref, action, now, **fields)
            run_clock(stores[0].writer, desks[0], now)
            if tick_wanted(desks[1], now):
                run_clock(stores[1].writer, desks[1], now)
                ticks += 1
            else:
                skipped += 1
            offset += timedelta(seconds=20) if offset < timedelta(hours=4) \
                else timedelta(minutes=10)
        every, quiet = (_record(db) for db in stores)
        assert quiet == every
        assert ("closed", "it@acme.example.com") in [row[:2] for row in quiet]
        assert skipped > 10 * ticks
    finally:
        for db in stores:
            db.dispose()
