"""The inbox between the trap listeners' threads and the writer: what other threads put
wakes the writer, comes out oldest first, and beyond its bound is refused."""

from __future__ import annotations

import asyncio
import threading

from bridge.intake.trap_inbox import Inbox


def test_traps_put_by_other_threads_wake_the_writer_in_order() -> None:
    inbox: Inbox[int] = Inbox(100)

    async def main() -> list[list[int]]:
        all_put = asyncio.Event()
        loop = asyncio.get_running_loop()

        def put() -> None:
            for n in range(15):
                inbox.put(n)
            loop.call_soon_threadsafe(all_put.set)

        async def writer() -> list[list[int]]:
            await inbox.filled()  # woken by the other thread's first put
            await all_put.wait()
            first = inbox.take(10)
            await inbox.filled()
            return [first, inbox.take(10)]

        taking = asyncio.create_task(writer())
        await asyncio.sleep(0)  # the writer waits before anything is put
        threading.Thread(target=put).start()
        return await asyncio.wait_for(taking, 10.0)

    assert asyncio.run(main()) == [list(range(10)), list(range(10, 15))]


def test_traps_beyond_the_bound_are_refused_until_the_writer_takes_some() -> None:
    inbox: Inbox[str] = Inbox(2)
    assert [inbox.put(t) for t in ("a", "b", "c")] == [True, True, False]
    assert inbox.take(1) == ["a"]
    assert inbox.put("d")
    assert inbox.take(5) == ["b", "d"]
