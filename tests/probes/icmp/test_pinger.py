"""The ping engine works off packets falling due together in pieces: the event loop runs
its other work between them (each check that ends hands its result on there and then)."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter

from bridge.probes.icmp.echo_socket import DRAIN_MAX
from bridge.probes.icmp.pinger import STEPS_MAX, Echoes, Pinger

CHECKS = 1000


async def test_a_thousand_checks_due_together_end_in_pieces_that_yield_to_the_loop() -> None:
    pinger = Pinger(privileged=True)
    turns = 0
    stop = asyncio.Event()

    async def count_turns() -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    ended_at: Counter[int] = Counter()  # loop turn: checks that ended in it
    answered: list[Echoes] = []

    def done(check: Echoes) -> None:
        ended_at[turns] += 1
        answered.append(check)
        if len(answered) == CHECKS:
            stop.set()

    try:
        # Started in one go: their second packets all fall due in the same wake-up.
        for _ in range(CHECKS):
            pinger.start(socket.AF_INET, ("127.0.0.1", 0), 2, 0.05, 5.0, done)
        await asyncio.wait_for(stop.wait(), 30)
    finally:
        stop.set()
        await counter
        pinger.close()

    assert all(check.received == 2 for check in answered)  # loopback answers every packet
    assert max(ended_at.values()) <= STEPS_MAX + DRAIN_MAX
    assert len(ended_at) >= CHECKS // (STEPS_MAX + DRAIN_MAX)
