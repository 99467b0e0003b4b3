"""The leader's once-only work (daemon/leader_work.py) on the one instance of a SQLite store."""

from __future__ import annotations

import asyncio

from bridge.config.cluster import ClusterSection
from bridge.daemon.leader_work import while_leader
from bridge.daemon.shards import ShardKeeper


async def test_the_one_instance_runs_the_work_until_the_daemon_stops() -> None:
    """It leads until it stops: the work is handed the daemon's own stop, with no poll of
    the leadership in between (four wake-ups a second per task, idle, before)."""
    keeper = ShardKeeper(ClusterSection(shards=4, lease_s=10.0), "sqlite:///unused.db")
    stop = asyncio.Event()
    handed: list[asyncio.Event] = []
    started = asyncio.Event()

    async def work(until: asyncio.Event) -> None:
        handed.append(until)
        started.set()
        await until.wait()

    task = asyncio.create_task(while_leader(keeper, stop, work))
    await started.wait()
    stop.set()
    await task
    assert handed == [stop]
