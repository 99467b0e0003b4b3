"""Devices split into a fixed number of shards, the unit several instances share out.

A shard is a stable hash of the device's name, so every instance (and every restart)
puts a device in the same shard without asking anyone; the count is fixed in the config
and must be the same on every instance of one store.
"""

from __future__ import annotations

import math
import zlib

LEADER = -1  # the lease of once-only work (desk clock, rollups, heartbeat); not a shard


def shard_of(device: str, shards: int) -> int:
    """The shard of a device: crc32 of its name, modulo the shard count."""
    return zlib.crc32(device.encode()) % shards


def fair_share(shards: int, live_instances: int) -> int:
    """How many shards one of `live_instances` aims to own (the last may own fewer)."""
    return math.ceil(shards / max(1, live_instances))
