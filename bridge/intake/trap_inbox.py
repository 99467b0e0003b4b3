"""What the trap listeners' threads hand to the writer on the event loop: bounded, and a
burst wakes the loop once (for the first trap the writer waits for), not once per trap."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """Items put from any thread, taken in batches by one task on the event loop."""

    def __init__(self, most: int) -> None:
        self._most = most
        self._lock = threading.Lock()
        self._items: deque[T] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting = False  # the taker waits for the loop to be woken
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> bool:
        """From any thread: False (the item not kept) when `most` items already wait."""
        with self._lock:
            if len(self._items) >= self._most:
                return False
            self._items.append(item)
            wake, self._waiting = self._waiting, False
        if wake:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._ready.set)
        return True

    async def filled(self) -> None:
        """On the loop: until an item waits."""
        self._loop = asyncio.get_running_loop()
        while True:
            self._ready.clear()  # a wake scheduled before this runs after it (the loop's)
            with self._lock:
                if self._items:
                    return
                self._waiting = True
            await self._ready.wait()

    def take(self, most: int) -> list[T]:
        """The items waiting, oldest first, at most `most`."""
        with self._lock:
            items = self._items
            return [items.popleft() for _ in range(min(most, len(items)))]
