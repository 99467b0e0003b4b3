"""The traps' inbox (intake/trap_inbox.py): first in, first out, bounded (a trap beyond the
bound is refused, not queued), and a writer waiting for the first trap wakes when it comes."""

from __future__ import annotations

import asyncio

from bridge.intake.trap_inbox import Inbox


def test_items_come_out_in_order_and_beyond_the_bound_are_refused() -> None:
    async def scenario() -> None:
        inbox: Inbox[int] = Inbox(3)
        assert inbox.empty()
        assert inbox.take(10) == []
        assert [inbox.put(n) for n in range(5)] == [True, True, True, False, False]
        assert len(inbox) == 3
        assert await inbox.first() == 0
        assert inbox.put(5)
        assert inbox.take(2) == [1, 2]
        assert inbox.take(10) == [5]
        assert inbox.empty()
    asyncio.run(scenario())


def test_a_waiting_writer_wakes_for_the_first_item() -> None:
    async def scenario() -> list[int]:
        inbox: Inbox[int] = Inbox(10)
        taken: list[int] = []

        async def writer() -> None:
            for _ in range(2):
                taken.append(await inbox.first())
        task = asyncio.create_task(writer())
        await asyncio.sleep(0)
        inbox.put(1)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        inbox.put(2)
        await asyncio.wait_for(task, 1)
        return taken
    assert asyncio.run(scenario()) == [1, 2]
