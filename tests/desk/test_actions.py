"""The action table: every entry complete, and what derives from it as it was."""

from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.cli.ticket_verbs import TIME_FIELDS, action_request, add_action_verbs
from bridge.core.audience import Audience
from bridge.core.lifecycle import Effect
from bridge.desk.actions import Action, Cli, CliArg, DeskAction
from bridge.desk.bodies import AssignBody, MessageBody, SupplierBody
from bridge.desk.table_check import table_problems
from bridge.desk.telling import PUBLIC_KINDS, notice_of
from bridge.notify.kinds import NoticeKind
from bridge.notify.templates import BUILTIN_DIR
from bridge.store.models import Actor
from bridge.store.tickets import TicketChange

SPECS = [a.spec for a in Action]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_real_table_is_complete() -> None:
    assert table_problems(SPECS) == []


ACK, ASSIGN, SUPPLIER = Action.ACK.spec, Action.ASSIGN.spec, Action.SUPPLIER.spec
BROKEN = [
    ("no label", replace(ACK, label=""), "ack: no label"),
    ("no OpenAPI text", replace(ACK, summary=" "), "ack: no summary"),
    ("no CLI help", replace(ACK, cli=Cli("")), "ack: no CLI help"),
    ("no states", replace(ACK, allowed_from=frozenset()), "ack: allowed from no state"),
    ("no timeline kind", replace(ACK, timeline_kind=""), "ack: needs a timeline kind"),
    ("a notice told to nobody", replace(ACK, audience=frozenset()),
     "ack: notice acknowledged has nobody to tell"),
    ("an audience without a notice", replace(ACK, notice=None),
     "ack: an audience but no notice"),
    ("a verb that cannot fill the body", replace(ASSIGN, cli=Cli("assign")),
     "assign: the CLI has no argument for the required field 'assignee'"),
    ("a CLI argument for no field", replace(ACK, cli=Cli("ack", (CliArg("--colour"),))),
     "ack: the CLI argument --colour fills no body field 'colour'"),
    ("-m without a message", replace(ASSIGN, body=SupplierBody, cli=Cli("x", (
        CliArg("supplier"),))), "assign: the CLI takes -m but the body has no message"),
    ("a record without its update", replace(SUPPLIER, update=None),
     "supplier: a record action needs an update"),
    ("an update without a record", replace(ACK, update=SUPPLIER.update),
     "ack: a record action needs an update"),
    ("a record effect on a plain body", replace(ACK, effect=Effect.LOANER_RECORD,
                                               update=SUPPLIER.update),
     "ack: a record action's body is a RecordBody"),
    ("a name that is no verb", replace(ACK, name="Ack!"), "'Ack!': a name is a free CLI verb"),
    ("a name the CLI uses", replace(ACK, name="show"), "'show': a name is a free CLI verb"),
]


@pytest.mark.parametrize(("spec", "fragment"), [b[1:] for b in BROKEN],
                         ids=[b[0] for b in BROKEN])
def test_an_entry_that_lacks_a_part_is_refused(spec: DeskAction, fragment: str) -> None:
    problems = table_problems([spec])
    assert any(fragment in p for p in problems), problems


def test_a_name_or_timeline_kind_used_twice_is_refused() -> None:
    twin = replace(Action.RESUME.spec, name="resume_again")
    assert "timeline kind 'resumed' is used by 2 actions" in table_problems([*SPECS, twin])
    assert "name 'ack' is used by 2 actions" in table_problems([*SPECS, ACK])


def test_a_notice_without_a_template_in_some_language_is_refused(tmp_path: Path) -> None:
    shutil.copytree(BUILTIN_DIR, tmp_path / "templates")
    (tmp_path / "templates" / "fi" / "waiting.txt").unlink()
    problems = table_problems(SPECS, tmp_path / "templates")
    assert problems == ["wait: notice waiting has no template fi/waiting.txt"]


def test_an_action_that_tells_nobody_needs_no_template() -> None:
    quiet = DeskAction("note_call", frozenset(Action.COMMENT.spec.allowed_from), Effect.NONE,
                       "call_noted", None, frozenset(), MessageBody, Cli("note a phone call"),
                       "A phone call with the customer, for the timeline.", "Phone call")
    assert table_problems([*SPECS, quiet]) == []


def test_every_notice_kind_is_an_actions_or_the_desks_own() -> None:
    by_actions = {a.spec.notice for a in Action} - {None}
    # told by monitoring's opening, the desk's clock and the outbox's dead letters
    own = {NoticeKind.OPENED, NoticeKind.ETA_WILL_BE_EXCEEDED, NoticeKind.SLA_WARNING,
           NoticeKind.SLA_BREACH, NoticeKind.DEAD_LETTER}
    assert by_actions | own == set(NoticeKind)
    assert not by_actions & own


# ---- what derives from the table, as it was before the table -----------------------------

def test_customers_see_the_timeline_kinds_they_saw() -> None:
    before = {
        "opened", "still_down", "reopened", "resolved", "flapping", "steady",
        "proposed_priority", "acknowledged", "assigned", "comment", "eta_set", "waiting",
        "resumed", "supplier_added", "supplier_updated", "onsite_added", "onsite_updated",
        "loaner_added", "loaner_updated", "confirmed", "closed", "eta_will_be_exceeded",
        "sla_breach", "notified"}
    assert before == PUBLIC_KINDS


def change(kind: str, action: Action | None = None, actor: Actor = Actor.OPERATOR,
           **data: str) -> TicketChange:
    return TicketChange(kind, T0, actor, data=data, move=action.spec.move if action else None)


C, T, OPS = Audience.CUSTOMER, Audience.TIER, Audience.OPERATORS
TOLD = [
    (change("acknowledged", Action.ACK), False, (NoticeKind.ACKNOWLEDGED, {C})),
    (change("escalated", Action.ESCALATE), False, (NoticeKind.ESCALATED, {T})),
    (change("reopened", Action.REOPEN, Actor.CUSTOMER), False, (NoticeKind.REOPENED, {C, T})),
    (change("comment", Action.COMMENT), False, (NoticeKind.COMMENT, {C})),
    (change("comment", Action.COMMENT, Actor.CUSTOMER), False, (NoticeKind.COMMENT, {T})),
    (change("note", Action.COMMENT), False, None),
    (change("confirmed", Action.CONFIRM, Actor.CUSTOMER), False, None),
    (change("supplier_added", Action.SUPPLIER, change="added"), False,
     (NoticeKind.SUPPLIER, {C})),
    (change("onsite_updated", Action.ONSITE, change="updated"), False, None),
    (change("assigned", Action.ASSIGN), True, (NoticeKind.ASSIGNED, {OPS})),
    (change("note", Action.COMMENT), True, None),
    # monitoring's and the API's own changes
    (change("opened"), False, (NoticeKind.OPENED, {C})),
    (change("opened"), True, (NoticeKind.OPENED, {OPS})),
    (change("resolved"), False, (NoticeKind.RESOLVED, {C})),
    (change("reopened"), False, (NoticeKind.REOPENED, {C, T})),
    (change("still_down"), False, None),
    (change("proposed_priority"), False, None),
]


@pytest.mark.parametrize(("what", "internal", "told"), TOLD)
def test_who_is_told_of_a_change(what: TicketChange, internal: bool,
                                 told: tuple[NoticeKind, set[Audience]] | None) -> None:
    got = notice_of(what, internal_customer=internal)
    assert (None if got is None else (got[0], set(got[1]))) == told


def test_every_action_is_a_cli_verb_whose_request_its_body_accepts() -> None:
    parser = argparse.ArgumentParser()
    add_action_verbs(parser.add_subparsers(dest="action"), argparse.ArgumentParser(add_help=False))
    samples = {"assignee": "bob", "message": "hi", "eta": "2030-01-01T10:00:00+00:00",
               "tier": "3", "supplier": "TAC", "technician": "Ville",
               "scheduled_at": "2030-01-01T10:00:00+00:00", "device": "spare"}
    for action in Action:
        positional = [samples[a.dest] for a in action.spec.cli.args if not a.name.startswith("-")]
        args = parser.parse_args([action.value, "INC-1", *positional])
        path, body = action_request(args)
        assert path == f"/api/v1/incidents/INC-1/{action.value}"
        action.spec.body.model_validate(body)  # a 400 otherwise
    assert TIME_FIELDS == ("eta", "due", "scheduled_at")
    assert AssignBody.model_validate({"assignee": "bob"}).request_fields() == {
        "message": "", "assignee": "bob"}
