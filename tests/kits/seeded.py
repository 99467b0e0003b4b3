"""A deployment whose store already holds 40 days of history, for daemons started on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bridge.core.state import Status
from bridge.store import Database
from tests.kits.daemon import write_deployment
from tests.kits.history import record

DEVICES = {"gw": "127.0.0.2", "sw": "127.0.0.3", "other-srv": "127.0.0.4"}


@dataclass(frozen=True)
class Seeded:
    """Where the deployment is, and the one outage its history holds."""

    config: Path
    outage_start: datetime
    outage_end: datetime

    @property
    def month(self) -> str:
        """The (UTC) month of the outage."""
        return self.outage_start.strftime("%Y-%m")


def seeded_deployment(root: Path, now: datetime) -> Seeded:
    """gw (and sw behind it) up for 40 days but for 6 hours ten days ago; acme's contract
    promises 99.9 %; customers are in UTC."""
    config = write_deployment(root, DEVICES, customer_token=True, parents={"sw": "gw"})
    with (root / "config" / "inventory.toml").open("a") as inventory:
        inventory.write("\n[customers.acme.contract]\navailability_target_pct = 99.9\n")
    day = (now - timedelta(days=10)).date()
    start = datetime.combine(day, time(10), tzinfo=UTC)
    end = start + timedelta(hours=6)
    db = Database(f"sqlite:///{root / 'var' / 'bridge.db'}")
    db.migrate()
    since = now - timedelta(days=40)
    for name in ("gw", "sw"):
        record(db, "acme", name, [(since, Status.UP), (start, Status.DOWN), (end, Status.UP)])
    db.dispose()
    return Seeded(config, start, end)
