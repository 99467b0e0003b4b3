"""The traps waiting for the store: a bounded FIFO the listeners fill on the event loop and
the trap writer empties a batch at a time.

A deque and an event, not an asyncio.Queue: the queue's bookkeeping per item (its
full-check, its waiting putters and getters, its count of unfinished tasks) cost more than
the rest of queueing a trap, at thousands of traps a second; here an item is one append
and, with a batch, one pop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """At most `most` items in arrival order; only on the event loop."""

    def __init__(self, most: int) -> None:
        self._items: deque[T] = deque()
        self._most = most
        self._arrived = asyncio.Event()

    def put(self, item: T) -> bool:
        """Queue one; False (and nothing queued) if `most` are waiting."""
        if len(self._items) >= self._most:
            return False
        self._items.append(item)
        if not self._arrived.is_set():
            self._arrived.set()
        return True

    def empty(self) -> bool:
        return not self._items

    def __len__(self) -> int:
        return len(self._items)

    async def first(self) -> T:
        """The oldest item, once there is one."""
        while not self._items:
            self._arrived.clear()
            await self._arrived.wait()
        return self._items.popleft()

    def take(self, most: int) -> list[T]:
        """Up to `most` of the oldest items (none waiting: none)."""
        items = self._items
        count = min(most, len(items))
        return [items.popleft() for _ in range(count)]
