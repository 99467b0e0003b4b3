"""`incidents list` without --tz: each row's times in its own customer's zone, with the
offset, so one customer's tickets read the same beside another's as alone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bridge.cli import client

ROWS: list[dict[str, Any]] = [
    {"id": "INC-2026-000002", "status": "open", "priority": "P2", "customer": "berlin",
     "device": "gw", "opened_at": "2026-12-07T09:00:00+00:00", "summary": "down"},
    {"id": "INC-2026-000001", "status": "open", "priority": "P3", "customer": "demo",
     "device": None, "opened_at": "2026-12-07T09:00:00+00:00", "summary": "slow"},
    {"id": "INC-2026-000000", "status": "open", "priority": "P1", "customer": None,
     "device": None, "opened_at": "2026-12-07T09:00:00+00:00", "summary": "gap"},
]


def test_each_row_is_shown_in_its_customers_zone(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    def zones(_base: str, _token: str) -> dict[str, ZoneInfo]:
        return {"berlin": ZoneInfo("Europe/Berlin"), "demo": ZoneInfo("Europe/Helsinki")}

    monkeypatch.setattr(client, "customer_zones", zones)
    rows = ROWS
    client._print_incidents(rows, client._list_zones("http://x", "t", rows))
    berlin, helsinki, desk = capsys.readouterr().out.splitlines()[1:]
    assert "2026-12-07 10:00 +01:00" in berlin
    assert "2026-12-07 11:00 +02:00" in helsinki
    assert "2026-12-07 09:00 +00:00" in desk  # the desk's own ticket: UTC
