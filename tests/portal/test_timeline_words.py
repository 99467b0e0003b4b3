"""A ticket's timeline in the customer's contract language: the sentences the desk writes
itself (assigned, ETA …) read in Finnish on a Finnish customer's page, with the person's
name and the time as written; what people wrote stays as they wrote it; the desk reads its
own English."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bridge.config import load_config
from bridge.desk.contract import ContractDesk
from tests.portal.site import Person, StoreService


def _finnish_acme(service: StoreService, root: Path) -> None:
    inventory = root / "config" / "inventory.toml"
    text = inventory.read_text()
    assert text.count("[customers.acme.contract]\n") == 1
    inventory.write_text(text.replace("[customers.acme.contract]\n",
                                      '[customers.acme.contract]\nlanguage = "fi"\n'))
    service.config = load_config(root / "bridge.toml")
    service.desk = ContractDesk(service.config)


async def _desk_act(olga: Person, ref: str, action: str, form: dict[str, str]) -> None:
    await olga.page(f"/portal/desk/tickets/{ref}")
    status, text, _ = await olga.post(f"/portal/desk/tickets/{ref}/{action}", form)
    assert status == 303, text[:2000]


async def test_a_finnish_customer_reads_the_desks_entries_in_finnish(
        people: Callable[[], Person], service: StoreService, tmp_path: Path) -> None:
    _finnish_acme(service, tmp_path)
    ann, olga = people(), people()
    await ann.sign_in("ann")
    await olga.sign_in("olga")
    await ann.page("/portal/tickets/new")
    _, _, location = await ann.post("/portal/tickets", {"summary": "tulostin ei toimi"})
    ref = location.rsplit("/", 1)[1]
    await _desk_act(olga, ref, "assign", {"assignee": "Olga Operator"})
    await _desk_act(olga, ref, "eta", {"eta": "2030-01-02T15:30"})
    await _desk_act(olga, ref, "comment", {"message": "assigned to the fuser team, ETA soon"})
    status, page = await ann.page(f"/portal/tickets/{ref}")
    assert status == 200
    assert '<html lang="fi"' in page
    assert "<p>käsittelijäksi nimetty Olga Operator</p>" in page
    assert "<p>arvioitu ratkaisuaika 2030-01-02 15:30 +00:00</p>" in page
    assert "<p>assigned to the fuser team, ETA soon</p>" in page  # a person's words
    assert "<p>assigned to Olga" not in page
    # the desk's view of the same ticket, in the desk's language
    _, desk = await olga.page(f"/portal/desk/tickets/{ref}")
    assert "<p>assigned to Olga Operator</p>" in desk
