"""Where a probe sends: an address's family and socket address, for every probe kind."""

from __future__ import annotations

import asyncio
import functools
import socket


@functools.lru_cache(maxsize=65536)
def ip_literal(address: str) -> tuple[int, tuple[object, ...]] | None:
    """An IP literal's family and socket address, its text in the kernel's own form (as
    recvfrom reports peers); None for anything else, names and scoped IPv6 included."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            host = socket.inet_ntop(family, socket.inet_pton(family, address))
        except OSError:
            continue
        host = address if host == address else host  # one string for the cache and both
        return (family, (host, 0)) if family == socket.AF_INET else (family, (host, 0, 0, 0))
    return None


async def resolve(address: str) -> tuple[int, tuple[object, ...]]:
    """Address family and socket address; IP literals never touch the resolver."""
    literal = ip_literal(address)
    if literal is not None:
        return literal
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(address, None, type=socket.SOCK_DGRAM)
    family, _, _, _, sockaddr = infos[0]
    return int(family), tuple(sockaddr)
