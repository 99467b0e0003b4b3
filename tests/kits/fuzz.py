"""Hostile bytes made from valid ones: a few bytes overwritten, and cut short."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence


def mangled(rng: random.Random, valid: Sequence[bytes], rounds: int = 4000) -> Iterator[bytes]:
    """Per round, one of `valid` with up to two bytes overwritten, whole and cut short."""
    for _ in range(rounds):
        data = bytearray(rng.choice(valid))
        for _ in range(rng.randint(0, 2)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        yield bytes(data)
        yield bytes(data[:rng.randrange(len(data))])
