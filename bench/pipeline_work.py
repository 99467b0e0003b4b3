"""The outage's results pushed through state, rules and store as fast as they go: a child
process with the daemon's engine (`restore_engine`), `Monitor` and `BatchWriter` on a
PostgreSQL store of its own, no probing and no scheduler.

Rounds of one result per check, each round one interval later than the last: one round all
up, then `attempts` rounds in which the first `silenced` devices fail (so they go hard down
and their tickets open) and the rest answer. The time runs from the first result to the
writer's last commit, so the store's work is in it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import self_cpu_s
from bench.fleet import BackendCpu, backend_cpu_s
from bridge.config import load_config
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey
from bridge.daemon.heap import settle
from bridge.daemon.loop_lag import hand_the_loop_the_gil_quickly
from bridge.daemon.monitor import Monitor
from bridge.daemon.restore import restore_engine
from bridge.logs import setup_logging
from bridge.store.db import Database
from bridge.store.writer import BatchWriter

CHUNK = 1000  # results between two yields to the loop (the writer's turn)


async def _run(payload: dict[str, Any]) -> dict[str, Any]:
    config = load_config(Path(payload["config"]))
    db = Database(config.main.storage.url)
    db.migrate()
    start = datetime.now(UTC)
    engine = restore_engine(db.reader, config, start)
    storage = config.main.storage
    writer = BatchWriter(db, config.main.incidents.id_prefix, storage.batch_interval_s,
                         storage.batch_max_items, lambda _: None)
    monitor = Monitor(engine, writer.submit, lambda _: None)
    keys = [CheckKey(name, probe) for name, device in config.devices.items()
            for probe in device.probes]
    silenced = {f"d{i:05d}" for i in range(payload["silenced"])}
    up = {key: ProbeResult(True, start, 0.001, "up") for key in keys}
    url = config.main.storage.url.replace("postgresql+psycopg://", "postgresql://", 1)
    backends = BackendCpu(url, url.rsplit("/", 1)[1])
    backends_before = backends.sample()
    settle()
    hand_the_loop_the_gil_quickly()  # as the daemon runs
    stop = asyncio.Event()
    writing = asyncio.create_task(writer.run(stop))
    t0, cpu0 = time.perf_counter(), self_cpu_s()
    fed = 0
    for round_n in range(1 + payload["attempts"]):
        at = start + timedelta(seconds=payload["interval_s"] * round_n)
        for key in keys:
            failed = round_n > 0 and key.device in silenced
            result = (ProbeResult(False, at, 1.0, "100% loss") if failed
                      else ProbeResult(True, at, 0.001, "up", up[key].measurements))
            monitor.record(key, result)
            fed += 1
            if fed % CHUNK == 0:
                await asyncio.sleep(0)
    fed_s = time.perf_counter() - t0
    stop.set()
    writer.wake()
    await writing
    await writer.flush()
    wall_s, cpu_s = time.perf_counter() - t0, self_cpu_s() - cpu0
    postgres_cpu_s = backend_cpu_s(backends_before, backends.sample())
    with db.reader.connect() as conn:
        tickets = conn.execute(text("SELECT count(DISTINCT device) FROM incident "
                                    "WHERE open_key IS NOT NULL")).scalar_one()
    db.dispose()
    return {"results": fed, "wall_s": wall_s, "cpu_s": cpu_s, "tickets": tickets,
            "postgres_cpu_s": postgres_cpu_s,
            "batches": writer.batches_total, "fed_s": fed_s}


def main() -> None:
    """Child entry point: {"config", "silenced", "attempts", "interval_s"} on stdin."""
    payload = json.load(sys.stdin)
    setup_logging(payload.get("log_level", "info"))  # as the daemon logs its changes
    json.dump(asyncio.run(_run(payload)), sys.stdout)


if __name__ == "__main__":
    main()
