"""SNMPv1/v2c exchanges over one UDP socket per address family, matched by request-id.

The socket, its tries and its ICMP errors are shared_udp.py's. A reply is matched to its
request by request-id, and only if it comes from the address the request went to, with
the same version and community. Anything else (garbage, a truncated datagram, a late
reply to a request given up on) is dropped; a datagram from the agent's address that
does not decode is remembered for its request (for every request to that address when
its request-id is lost with a truncated tail), so the failure can say the agent
answered, but unreadably. Port unreachable fails a request at once: a host whose agent
is not running does not wait for every try to time out.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass

from bridge.core.probe_kinds.oids import Oid
from bridge.probes.snmp.ber import BerError, Response, decode_response, encode_request
from bridge.probes.snmp.shared_udp import SharedUdpTransport

_REQUEST_IDS = 2**31  # request-ids are non-negative Integer32s


@dataclass(frozen=True)
class Pdu:
    """What to ask: a GET, GETNEXT or GETBULK of some OIDs with a community."""

    version: int  # 0 for SNMPv1, 1 for SNMPv2c
    community: bytes
    kind: int  # ber.GET, GET_NEXT or GET_BULK
    oids: Sequence[Oid]
    max_repetitions: int = 0  # GETBULK only


class CommunityTransport(SharedUdpTransport[Pdu, Response]):
    """Owns the v1/v2c sockets of one event loop and the requests in flight on them."""

    HEARS_ICMP = True

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(int.from_bytes(os.urandom(4), "big") % _REQUEST_IDS)

    def _request_id(self) -> int:
        for _ in range(len(self._pending) + 1):
            request_id = next(self._ids) % _REQUEST_IDS
            if request_id not in self._pending:
                return request_id
        raise AssertionError("unreachable: more request-ids in flight than in flight")

    async def exchange(self, family: int, sockaddr: tuple[object, ...], pdu: Pdu,
                       timeout_s: float, retries: int) -> Response:
        """Send `pdu` (again after each `timeout_s`, `retries` times); the matching reply.

        Raises NoResponseError when every try timed out, OSError when it cannot be sent.
        """
        request_id = self._request_id()
        packet = encode_request(pdu.version, pdu.community, pdu.kind, request_id, pdu.oids,
                                0, pdu.max_repetitions)
        return await self._exchange(family, request_id, packet, sockaddr, pdu, timeout_s,
                                    retries)

    def _take(self, data: bytes, peer: tuple[object, ...]) -> None:
        try:
            response = decode_response(data)
        except BerError as exc:
            self._note_undecodable(exc, peer)
            return
        exchange = self._pending.get(response.request_id)
        if (exchange is None or exchange.done.done() or exchange.peer != peer
                or response.community != exchange.expected.community
                or response.version != exchange.expected.version):
            return  # not an answer to anything we asked
        exchange.done.set_result(response)

    def _note_undecodable(self, exc: BerError, peer: tuple[object, ...]) -> None:
        """Remember why an agent's datagram was unusable, for the requests it may answer.

        A truncated reply loses its request-id with its tail: it is then put down to every
        request waiting on that address, so that an agent that answers in pieces is not
        reported as silent (and then as down).
        """
        if exc.request_id is not None:
            exchange = self._pending.get(exc.request_id)
            if exchange is not None and exchange.peer == peer:
                exchange.undecodable = str(exc)
            return
        for exchange in self._pending.values():
            if exchange.peer == peer and exchange.undecodable is None:
                exchange.undecodable = str(exc)
