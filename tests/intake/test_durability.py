"""An alert is in the store before its 2xx: a bridge killed (-9) right after answering has
its ticket when it starts again, and the sender's resend opens nothing twice."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kits.daemon import Bridge, http_request
from tests.kits.intake import AM_TOKEN, T0, intake_deployment

ALERT = {"version": "4", "alerts": [{
    "status": "firing", "labels": {"alertname": "DiskFull", "team": "acme", "instance": "db-1"},
    "annotations": {}, "startsAt": T0.isoformat(), "fingerprint": "fp-kill"}]}


def _post(bridge: Bridge) -> dict[str, object]:
    status, raw = http_request("POST", bridge.url + "/api/v1/intake/prom",
                               {"Authorization": f"Bearer {AM_TOKEN}",
                                "Content-Type": "application/json"},
                               json.dumps(ALERT).encode())
    assert status == 200, raw
    answer: dict[str, object] = json.loads(raw)["alerts"][0]
    return answer


def test_kill_9_after_the_answer_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    config = intake_deployment(tmp_path)
    bridge = Bridge(config)
    opened = _post(bridge)
    assert opened["action"] == "opened"
    bridge.kill()
    again = Bridge(config)
    try:
        assert [t["id"] for t in again.get("/api/v1/incidents?device=db-1")["incidents"]] == [
            opened["ticket"]]
        assert _post(again) == {**opened, "action": "unchanged"}
        assert len(again.get("/api/v1/incidents?device=db-1")["incidents"]) == 1
    finally:
        assert again.stop() == 0
