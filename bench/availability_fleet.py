"""A fleet with history for the availability benchmark: a deployment on disk and a real SQLite
store seeded with 40 days of hard state changes, as the daemon would have written them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bridge.core.state import Reason, StateType, Status
from bridge.store import Database
from bridge.store.models import CheckStateRow, StateChange

ZONES = ("Europe/Helsinki", "UTC", "America/New_York", "Asia/Tokyo", "Europe/Prague")
PER_CUSTOMER = 100  # one router, the rest behind it
HISTORY_DAYS = 40
OUTAGES_PER_MONTH = 3  # per device; each router's also take its devices down


@dataclass(frozen=True)
class Fleet:
    """A seeded deployment: its bridge.toml and store."""

    config_path: Path
    db_url: str
    devices: int
    changes: int


def write_deployment(root: Path, devices: int) -> Path:
    """bridge.toml plus config/, probes/ and rules/ for `devices` loopback devices."""
    for folder in ("config", "probes", "rules"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "bridge.toml").write_text(f'[storage]\nurl = "sqlite:///{root / "bridge.db"}"\n')
    (root / "probes" / "ping.toml").write_text(
        '[probes.ping]\nkind = "icmp"\ninterval_s = 30\ntimeout_s = 1\n')
    (root / "rules" / "rules.toml").write_text('[rules.down]\npriority = "P2"\n')
    lines = []
    for c in range(devices // PER_CUSTOMER):
        lines.append(f'[customers.c{c}]\nname = "Customer {c}"\n'
                     f'timezone = "{ZONES[c % len(ZONES)]}"\n'
                     "[customers.c{c}.contract]\navailability_target_pct = 99.5\n"
                     .replace("{c}", str(c)))
        for d in range(PER_CUSTOMER):
            parents = "" if d == 0 else f'parents = ["c{c}-d0"]\n'
            lines.append(f'[devices.c{c}-d{d}]\ncustomer = "c{c}"\naddress = "127.0.0.1"\n'
                         f'probes = ["ping"]\n{parents}')
    (root / "config" / "fleet.toml").write_text("\n".join(lines))
    return root / "bridge.toml"


def _outages(rng: random.Random, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    count = rng.randint(0, 2 * OUTAGES_PER_MONTH * HISTORY_DAYS // 30)
    span_s = int((end - start).total_seconds())
    return sorted((start + timedelta(seconds=rng.randrange(span_s)), rng.randint(60, 7200))
                  for _ in range(count))


def seed(db: Database, devices: int, now: datetime, rng_seed: int = 6) -> int:
    """Hard changes for every device (up 40 days ago, then outages); returns rows written."""
    rng = random.Random(rng_seed)
    begin = now - timedelta(days=HISTORY_DAYS)
    changes: list[dict[str, object]] = []
    states: list[dict[str, object]] = []
    router_down: list[tuple[datetime, int]] = []
    for index in range(devices):
        c, d = divmod(index, PER_CUSTOMER)
        name, customer = f"c{c}-d{d}", f"c{c}"
        outages = _outages(rng, begin + timedelta(hours=1), now - timedelta(hours=1))
        if d == 0:
            router_down = outages
        else:  # behind the router: down with it, a few seconds apart
            outages = sorted(outages + [(at + timedelta(seconds=rng.randint(-20, 20)), s)
                                        for at, s in router_down])
        status, at = Status.UP, begin
        rows = [(begin, Status.UP)]
        for down_at, seconds in outages:
            if down_at <= at:
                continue  # overlaps the previous outage: part of it
            rows += [(down_at, Status.DOWN), (down_at + timedelta(seconds=seconds), Status.UP)]
            at = down_at + timedelta(seconds=seconds)
        old = Status.UNKNOWN
        for when, status in rows:
            changes.append({"customer": customer, "device": name, "probe": "ping",
                            "old_status": old, "new_status": status, "at": when,
                            "reason": Reason.RECOVERED, "output": ""})
            old = status
        states.append({"device": name, "probe": "ping", "status": status,
                       "state_type": StateType.HARD, "attempts": 0, "since": rows[-1][0],
                       "hard_status": status, "hard_since": rows[-1][0], "ok_streak": 0})
    with db.writer.begin() as connection:
        connection.execute(insert(StateChange), changes)
        connection.execute(insert(CheckStateRow), states)
    return len(changes)
