"""The SNMP wire as the probe sees it: GET, GETNEXT, GETBULK and walks, any version.

SNMPv1/v2c go through bridge's own BER codec and one shared UDP socket per address
family (bridge/probes/snmp/ber.py, udp.py): pysnmp's pyasn1 encoding was 84 % of a
poll's CPU. SNMPv3 wraps the same PDUs in bridge's own USM (bridge/probes/snmp/v3.py),
made on first use: a v1/v2c-only daemon need not import `cryptography`.
Either way the answers are bridge's own value types and failures are SnmpError.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge.core.probe_kinds.oids import Oid, name_oid
from bridge.core.probe_kinds.snmp import SnmpVersion
from bridge.probes.addresses import resolve
from bridge.probes.snmp.ber import GET, GET_BULK, GET_NEXT
from bridge.probes.snmp.shared_udp import NoResponseError
from bridge.probes.snmp.types import (
    PORT_UNREACHABLE,
    EndOfMibView,
    Request,
    SnmpError,
    SnmpValue,
    VarBind,
)
from bridge.probes.snmp.udp import CommunityTransport, Pdu

if TYPE_CHECKING:
    from bridge.probes.snmp.v3 import UsmClient


class SnmpClient:
    """Owns the community transport and the SNMPv3 engine of one event loop."""

    def __init__(self) -> None:
        self._community = CommunityTransport()
        self._usm_client: UsmClient | None = None

    @property
    def _usm(self) -> UsmClient:
        if self._usm_client is None:
            from bridge.probes.snmp.v3 import UsmClient

            self._usm_client = UsmClient()
        return self._usm_client

    def close(self) -> None:
        """Close every socket."""
        self._community.close()
        if self._usm_client is not None:
            self._usm_client.close()

    async def _ask(self, request: Request, kind: int, oids: Sequence[Oid],
                   max_repetitions: int = 0) -> list[VarBind]:
        a = request.access
        if a.version is SnmpVersion.V3:
            status, index, binds = await self._usm.ask(request, kind, oids, max_repetitions)
        else:
            assert a.community is not None
            pdu = Pdu(0 if a.version is SnmpVersion.V1 else 1, a.community.reveal().encode(),
                      kind, oids, max_repetitions)
            try:
                family, sockaddr = await resolve(request.address)
                response = await self._community.exchange(
                    family, (sockaddr[0], a.port, *sockaddr[2:]), pdu, request.timeout_s,
                    request.retries)
            except NoResponseError as exc:
                if exc.undecodable:  # it answered: not down, so no silence to diagnose
                    raise SnmpError(f"the agent's reply could not be decoded "
                                    f"({exc.undecodable}): "
                                    f"{request.no_response('no usable answer')}") from None
                raise SnmpError(request.no_response(), timed_out=True) from None
            except ConnectionRefusedError:
                raise SnmpError(PORT_UNREACHABLE) from None
            except OSError as exc:
                raise SnmpError(f"cannot reach {request.address!r}: "
                                f"{exc.strerror or exc}") from None
            status, index, binds = response.error_status, response.error_index, \
                response.varbinds
        if status:
            raise SnmpError(_pdu_error(status, index, binds), status, index=index)
        return binds

    async def diagnose_silence(self, request: Request) -> str:
        """Why an agent did not answer: down, or up but ignoring these credentials."""
        from bridge.probes.snmp.discovery import discover_engine, silence_reason

        _family, sockaddr = await resolve(request.address)
        try:
            await discover_engine(str(sockaddr[0]), request.access.port,
                                  request.diagnosis_timeout_s, 0)
        except OSError as exc:
            return silence_reason(request.access, exc)
        return silence_reason(request.access, None)

    async def walk(self, request: Request, columns: Sequence[Oid],
                   max_repetitions: int) -> dict[Oid, list[VarBind]]:
        """Every row below each column, and nothing past it (GETBULK; GETNEXT for v1)."""
        rows: dict[Oid, list[VarBind]] = {column: [] for column in columns}
        if request.access.version is SnmpVersion.V1:
            await self._walk_v1(request, rows)
            return rows
        cursor = {column: column for column in columns}
        pending = list(columns)
        while pending:
            try:
                binds = await self.bulk(request, [cursor[c] for c in pending], max_repetitions)
            except SnmpError as exc:
                if exc.status != _TOO_BIG or max_repetitions == 1:
                    raise
                max_repetitions //= 2  # the answer did not fit its datagram: ask for less
                continue
            if not binds:
                # a table does not end in silence (its end is another object, or
                # endOfMibView): an empty answer cut it short, and a short table would
                # pass for the whole one
                raise SnmpError(f"walk ended early: the agent answered GETBULK after "
                                f"{', '.join(name_oid(cursor[c]) for c in pending)} with "
                                f"no values (a table cut short)")
            done: set[Oid] = set()
            for i, (oid, value) in enumerate(binds):
                column = pending[i % len(pending)]  # the response is row by row
                if column in done:
                    continue
                if isinstance(value, EndOfMibView) \
                        or not _add_row(rows, cursor, column, oid, value):
                    done.add(column)  # the table's end
            pending = [c for c in pending if c not in done]
        return rows

    async def _walk_v1(self, request: Request, rows: dict[Oid, list[VarBind]]) -> None:
        """GETNEXT of every column still going, in one request: a row per round trip."""
        cursor = {column: column for column in rows}
        pending = list(rows)
        while pending:
            try:
                binds = await self.next(request, [cursor[c] for c in pending])
            except SnmpError as exc:
                # noSuchName: SNMPv1's end of the MIB, for the column error-index names
                if exc.status == 2 and (0 < exc.index <= len(pending) or len(pending) == 1):
                    pending.pop(max(exc.index, 1) - 1)
                    continue
                raise
            if len(binds) != len(pending):
                raise SnmpError("agent answered GETNEXT with the wrong number of values")
            done: set[Oid] = set()
            for column, (oid, value) in zip(pending, binds, strict=True):
                if not _add_row(rows, cursor, column, oid, value):
                    done.add(column)
            pending = [c for c in pending if c not in done]

    async def get(self, request: Request, oids: Sequence[Oid]) -> list[VarBind]:
        """GET the given instances in one request."""
        return await self._ask(request, GET, oids)

    async def next(self, request: Request, oids: Sequence[Oid]) -> list[VarBind]:
        """GETNEXT: each OID's successor (SNMPv1 has no GETBULK)."""
        return await self._ask(request, GET_NEXT, oids)

    async def bulk(self, request: Request, oids: Sequence[Oid],
                   max_repetitions: int) -> list[VarBind]:
        """GETBULK: up to `max_repetitions` successors of each OID, row by row."""
        return await self._ask(request, GET_BULK, oids, max_repetitions)


_TOO_BIG = 1
_STATUS = {_TOO_BIG: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr",
           6: "noAccess", 16: "authorizationError"}


def _pdu_error(status: int, index: int, var_binds: Sequence[VarBind]) -> str:
    what = _STATUS.get(status, f"error-status {status}")
    if 0 < index <= len(var_binds):
        return f"agent answered {what} for {name_oid(var_binds[index - 1][0])}"
    return f"agent answered {what}"


def _add_row(rows: dict[Oid, list[VarBind]], cursor: dict[Oid, Oid], column: Oid,
             oid: Oid, value: SnmpValue) -> bool:
    """Add a walked `oid` to its column's rows; False if it left the subtree (the table's
    end). Raises SnmpError for an OID not past the last one, which would walk forever."""
    if oid[:len(column)] != column:
        return False
    if oid <= cursor[column]:
        raise SnmpError(f"agent returned {name_oid(oid)} after "
                        f"{name_oid(cursor[column])}: OIDs not increasing")
    rows[column].append((oid, value))
    cursor[column] = oid
    return True
