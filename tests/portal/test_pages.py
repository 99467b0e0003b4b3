"""The pages people work with: a customer's tickets and only its own (another customer's
ticket is a 404 on every route), the public timeline only, actions from the desk's table
under the person's own name, the desk's queue and its forms, pages in the contract's
language."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from bridge.core.priority import Priority
from bridge.desk.actions import Action
from bridge.store.models import Actor, TicketSource
from bridge.store.reads import ref_of
from bridge.store.tickets import NewTicket, create_ticket
from tests.portal.site import Person, StoreService

INTERNAL = "INTERNAL: customer is on credit hold"


async def _open(person: Person, summary: str, device: str = "") -> str:
    await person.page("/portal/tickets/new")
    status, _, location = await person.post("/portal/tickets",
                                            {"summary": summary, "device": device})
    assert status == 303, location
    ref = location.rsplit("/", 1)[1]
    assert re.fullmatch(r"INC-\d{4}-\d{6}", ref)
    return ref


async def _desk_act(olga: Person, ref: str, action: str, form: dict[str, str]) -> str:
    await olga.page(f"/portal/desk/tickets/{ref}")
    status, text, location = await olga.post(f"/portal/desk/tickets/{ref}/{action}", form)
    assert status == 303, text[:2000]
    return location


async def test_a_customer_opens_a_ticket_and_the_desk_works_it_to_confirmation(
        people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    ref = await _open(ann, "the printer is on fire", "gw")
    status, text = await ann.page(f"/portal/tickets/{ref}")
    assert status == 200
    assert "the printer is on fire" in text
    assert "Ann Acme" in text
    _, queue = await olga.page("/portal/desk/queue")
    assert ref in queue
    await _desk_act(olga, ref, "assign", {"assignee": "Olga Operator"})
    await _desk_act(olga, ref, "eta", {"eta": "2030-01-02T15:30"})
    await _desk_act(olga, ref, "comment", {"message": INTERNAL, "internal": "on"})
    await _desk_act(olga, ref, "resolve", {"message": "replaced the fuser"})
    _, text = await ann.page(f"/portal/tickets/{ref}")
    assert "2030-01-02 15:30" in text  # acme's zone is UTC in this deployment
    assert "Olga Operator" in text
    assert "replaced the fuser" in text
    assert INTERNAL not in text
    # the buttons are the table's customer actions allowed now, with their labels
    for action in (Action.CONFIRM, Action.REOPEN):
        assert f'action="/portal/tickets/{ref}/{action.value}"' in text
        assert f">{action.spec.label}</button>" in text
    assert "/resolve" not in text
    assert "/assign" not in text
    status, _, _ = await ann.post(f"/portal/tickets/{ref}/confirm", {})
    assert status == 303
    _, text = await ann.page(f"/portal/tickets/{ref}")
    assert '<dd class="status">closed</dd>' in text
    assert re.search(r'<span class="who">Ann Acme</span> <span class="kind">confirmed</span>',
                     text)


async def test_not_fixed_reopens_and_a_comment_is_under_the_persons_name(
        people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    ref = await _open(ann, "slow network")
    await _desk_act(olga, ref, "resolve", {})
    await ann.page(f"/portal/tickets/{ref}")
    assert (await ann.post(f"/portal/tickets/{ref}/reopen", {"message": "still slow"}))[0] == 303
    assert (await ann.post(f"/portal/tickets/{ref}/comment", {"message": "since 9:00"}))[0] \
        == 303
    _, text = await olga.page(f"/portal/desk/tickets/{ref}")
    assert '<dd class="status">open</dd>' in text or "reopened" in text
    assert re.search(r'<span class="who">Ann Acme</span> <span class="kind">comment</span>\s*'
                     r'<p>since 9:00</p>', text)


async def test_a_customer_cannot_take_the_desks_actions_or_write_internal_notes(
        people: Callable[[], Person]) -> None:
    ann = people()
    await ann.sign_in("ann")
    ref = await _open(ann, "mine")
    for action in ("assign", "resolve", "escalate", "nonsense"):
        assert (await ann.post(f"/portal/tickets/{ref}/{action}", {"assignee": "me"}))[0] \
            == 404
    assert (await ann.post(f"/portal/tickets/{ref}/comment",
                           {"message": "psst", "internal": "on"}))[0] == 403
    assert (await ann.page("/portal/desk/queue"))[0] == 403
    assert (await ann.page(f"/portal/desk/tickets/{ref}"))[0] == 403
    assert (await ann.post(f"/portal/desk/tickets/{ref}/resolve", {}))[0] == 403


async def test_another_customers_ticket_is_a_404_on_every_route(
        people: Callable[[], Person]) -> None:
    """omid (other) typing acme's ticket: the same answer as for a ticket that does not
    exist, on every page and form of a customer."""
    ann, omid = people(), people()
    await ann.sign_in("ann")
    await omid.sign_in("omid")
    ref = await _open(ann, "acme's secret printer", "gw")
    await omid.page("/portal/tickets")
    for missing in (ref, "INC-2026-999999", "../../etc", "INC-2026-000001%00"):
        status, text = await omid.page(f"/portal/tickets/{missing}")
        assert status == 404, missing
        assert "acme" not in text
        for action in ("comment", "confirm", "reopen"):
            status, text, _ = await omid.post(f"/portal/tickets/{missing}/{action}",
                                              {"message": "hi"})
            assert status == 404, (missing, action)
            assert "acme" not in text
    _, mine = await omid.page("/portal/tickets")
    assert ref not in mine
    _, found = await omid.page(f"/portal/tickets?q={ref}")
    assert f'href="/portal/tickets/{ref}"' not in found
    # and acme's device is not one other may open a ticket for
    await omid.page("/portal/tickets/new")
    assert (await omid.post("/portal/tickets", {"summary": "x", "device": "gw"}))[0] == 404
    _, text = await ann.page(f"/portal/tickets/{ref}")
    assert "hi" not in re.findall(r"<p>(.*?)</p>", text)


async def test_the_customer_sees_the_public_timeline_and_the_desk_sees_all(
        people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    ref = await _open(ann, "flaky VPN")
    await _desk_act(olga, ref, "comment", {"message": INTERNAL, "internal": "on"})
    await _desk_act(olga, ref, "escalate", {"tier": "3", "message": "ESCALATION NOTE"})
    await _desk_act(olga, ref, "comment", {"message": "we are on it"})
    _, desk = await olga.page(f"/portal/desk/tickets/{ref}")
    assert INTERNAL in desk
    assert "ESCALATION NOTE" in desk
    for view in (f"/portal/tickets/{ref}", f"/portal/tickets?q={ref}"):
        _, text = await ann.page(view)
        assert INTERNAL not in text
        assert "ESCALATION NOTE" not in text
    _, text = await ann.page(f"/portal/tickets/{ref}")
    assert "we are on it" in text
    # the desk's link to the customer's view shows what the customer sees
    assert f'href="/portal/tickets/{ref}">Customer\'s view' in desk
    _, seen = await olga.page(f"/portal/tickets/{ref}")
    assert INTERNAL not in seen
    assert "we are on it" in seen


async def test_the_search_finds_by_id_device_and_text_open_tickets_first(
        people: Callable[[], Person], service: StoreService) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    old = await _open(ann, "old and done")
    await _desk_act(olga, old, "resolve", {})
    await ann.page(f"/portal/tickets/{old}")
    await ann.post(f"/portal/tickets/{old}/confirm", {})
    device = await _open(ann, "switch blinking", "gw")
    plain = await _open(ann, "mail is slow")
    _, text = await ann.page("/portal/tickets")
    assert text.index(plain) < text.index(device) < text.index(old)
    for query, found in (("gw", {device}), ("SLOW", {plain}), (old, {old})):
        _, text = await ann.page(f"/portal/tickets?q={query}")
        assert {r for r in (old, device, plain) if r in text} == found, query


async def test_the_queue_orders_by_priority_filters_and_counts(
        people: Callable[[], Person]) -> None:
    ann, omid, olga = people(), people(), people()
    for person, name in ((ann, "ann"), (omid, "omid"), (olga, "olga")):
        await person.sign_in(name)
    acme = await _open(ann, "acme's")
    other = await _open(omid, "other's")
    _, text = await olga.page("/portal/desk/queue")
    assert acme in text
    assert other in text
    assert re.search(r'<span class="count">P\d \d</span>', text)
    _, rows = await olga.page("/portal/desk/queue/rows?customer=other")
    assert other in rows
    assert acme not in rows
    assert "<html" not in rows  # the table alone, for the page's refresh
    assert (await olga.page("/portal/desk/queue?priority=P9"))[0] == 400


async def test_every_action_of_the_table_has_its_form_on_the_desks_page(
        people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    ref = await _open(ann, "forms")
    _, text = await olga.page(f"/portal/desk/tickets/{ref}")
    open_now = [a for a in Action if "open" in a.spec.allowed_from]
    for action in open_now:
        assert f'action="/portal/desk/tickets/{ref}/{action.value}"' in text, action
        for name in action.spec.body.model_fields:
            assert f'name="{name}"' in text
    for action in set(Action) - set(open_now):
        assert f'/{action.value}"' not in text, action
    status, text, _ = await olga.post(f"/portal/desk/tickets/{ref}/escalate", {"tier": "9"})
    assert status == 400
    assert "tier" in text
    status, text, _ = await olga.post(f"/portal/desk/tickets/{ref}/confirm", {})
    assert status == 409  # not resolved: the store refuses the move


async def test_a_persian_contracts_pages_read_right_to_left(
        people: Callable[[], Person]) -> None:
    omid = people()
    await omid.sign_in("omid")
    ref = await _open(omid, "چاپگر کار نمی‌کند")
    _, text = await omid.page(f"/portal/tickets/{ref}")
    assert '<html lang="fa" dir="rtl">' in text
    assert "خط زمانی" in text  # "timeline"
    _, text = await omid.page("/portal/tickets")
    assert '<html lang="fa" dir="rtl">' in text
    assert "تیکت‌ها" in text  # noqa: RUF001 ("tickets")


async def test_what_people_type_is_shown_as_text_never_as_markup(
        people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    ref = await _open(ann, '<script>alert("x")</script><img src=x onerror=alert(1)>')
    await ann.post(f"/portal/tickets/{ref}/comment", {"message": '"><b>bold</b>'})
    for person, path in ((ann, f"/portal/tickets/{ref}"), (olga, f"/portal/desk/tickets/{ref}"),
                         (olga, "/portal/desk/queue"), (ann, "/portal/tickets")):
        _, text = await person.page(path)
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert "&lt;script&gt;" in text
    _, text = await ann.page(f"/portal/tickets/{ref}")
    assert "<b>bold</b>" not in text


async def test_the_desks_forms_read_as_words_and_offer_the_allowed_values(
        people: Callable[[], Person]) -> None:
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    ref = await _open(ann, "labels")
    _, text = await olga.page(f"/portal/desk/tickets/{ref}")
    # a label says the field in words, never the body's key
    assert '<label for="onsite-scheduled_at">Scheduled at (' in text
    assert ">scheduled_at<" not in text
    # escalating offers the tiers it may go to, not a free number
    escalate = re.search(r'<select id="escalate-tier" name="tier">(.*?)</select>', text, re.S)
    assert escalate is not None
    assert re.findall(r"<option[^>]*>(\d)</option>", escalate.group(1)) == ["2", "3", "4"]
    # the browser stops text the body would refuse as too long
    assert re.search(r'id="assign-assignee" name="assignee" type="text" value="" '
                     r'maxlength="64"', text)
    # an action's help reads as words, its field names as code, not between backquotes
    assert "<code>internal</code> ones (operators only)" in text
    assert "`" not in text
    # the queue's status filter: all active tickets, or exactly one status
    _, queue = await olga.page("/portal/desk/queue")
    status = re.search(r'<select name="status">(.*?)</select>', queue, re.S)
    assert status is not None
    labels = re.findall(r"<option[^>]*>([^<]*)</option>", status.group(1))
    assert labels[0] == "active"
    assert len(labels) == len(set(labels))


def _opened(service: StoreService, summary: str, priority: Priority, ago_s: float) -> str:
    new = NewTicket("acme", "gw", summary, priority, TicketSource.CUSTOMER, Actor.CUSTOMER,
                    "Ann Acme")
    at = service.now() - timedelta(seconds=ago_s)
    incident_id, _ = create_ticket(service.db.writer, new, "INC", at, service.desk)
    return ref_of(service.db.reader, incident_id)


async def test_the_queue_shows_the_most_urgent_by_priority_then_sla_left_and_counts_all(
        people: Callable[[], Person], service: StoreService) -> None:
    olga = people()
    await olga.sign_in("olga")
    # acme's P2: reaction 10 min, resolution 60 min; routine i's reaction is due in 9 min + i s
    routine = [_opened(service, f"routine {i}", Priority.P2, 60 - i) for i in range(201)]
    overdue = _opened(service, "nobody reacted", Priority.P2, 20 * 60)
    # assigned: the resolution clock counts now (due in 1 min), not the passed reaction one
    assigned = _opened(service, "being worked on", Priority.P2, 59 * 60)
    await _desk_act(olga, assigned, "assign", {"assignee": "Olga Operator"})
    urgent = _opened(service, "the core switch is down", Priority.P1, 0)
    _, text = await olga.page("/portal/desk/queue")
    assert '<span class="count">P1 1</span> <span class="count">P2 203</span>' in text
    assert "shown 200 of 204 (the most urgent; filter for the rest)" in text
    shown = re.findall(r'<a href="/portal/desk/tickets/([^"]+)">', text)
    assert shown[:4] == [urgent, overdue, assigned, routine[0]]
    assert shown[4:] == routine[1:197]  # the four due last wait behind the filters
    assert re.search(rf'<tr class="late">\s*<td><a href="[^"]+">{overdue}</a>', text)
    assert "over by 10 min" in text
    _, found = await olga.page("/portal/desk/queue/rows?q=routine+20&priority=P2")
    assert "shown 2 of 2" in found
    assert re.findall(r'/portal/desk/tickets/([^"]+)"', found) == [routine[20], routine[200]]
