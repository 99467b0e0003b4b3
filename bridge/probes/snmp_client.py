"""The SNMP wire: one pysnmp engine per event loop, numeric OIDs, no MIB look-ups.

pysnmp's high-level `get_cmd`/`bulk_walk_cmd` resolve every OID through its MIB
view on the way out and back; the probe only ever sends numeric OIDs, so it talks to
pysnmp's command generators directly and configures targets once per device.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyasn1.type.univ import Null
from pysnmp.entity import config as usm
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import CommunityData, UdpTransportTarget, UsmUserData
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.hlapi.v3arch.asyncio.transport import Udp6TransportTarget
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.error import StatusInformation

from bridge.config.oids import Oid, name_oid
from bridge.config.snmp_models import AuthProtocol, PrivProtocol, SnmpAccess, SnmpVersion
from bridge.probes.pinger import resolve
from bridge.probes.snmp_discovery import DiscoveryError, discover_engine_id

_AUTH = {
    AuthProtocol.MD5: usm.USM_AUTH_HMAC96_MD5,
    AuthProtocol.SHA: usm.USM_AUTH_HMAC96_SHA,
    AuthProtocol.SHA224: usm.USM_AUTH_HMAC128_SHA224,
    AuthProtocol.SHA256: usm.USM_AUTH_HMAC192_SHA256,
    AuthProtocol.SHA384: usm.USM_AUTH_HMAC256_SHA384,
    AuthProtocol.SHA512: usm.USM_AUTH_HMAC384_SHA512,
}
_PRIV = {
    PrivProtocol.DES: usm.USM_PRIV_CBC56_DES,
    PrivProtocol.AES128: usm.USM_PRIV_CFB128_AES,
    PrivProtocol.AES192: usm.USM_PRIV_CFB192_AES,
    PrivProtocol.AES256: usm.USM_PRIV_CFB256_AES,
}
# What an operator should read for pysnmp's error indications.
_EXPLAINED: dict[type[errind.ErrorIndication], str] = {
    errind.WrongDigest: "authentication failure (wrong auth_key or auth_protocol)",
    errind.AuthenticationFailure: "authentication failure (wrong auth_key or auth_protocol)",
    errind.AuthenticationError: "authentication failure (wrong auth_key or auth_protocol)",
    errind.DecryptionError: "decryption error (wrong priv_key or priv_protocol)",
    errind.UnknownUserName: "unknown user name (the agent has no such v3 user)",
    errind.UnknownSecurityName: "unknown user name (the agent has no such v3 user)",
    errind.UnsupportedSecurityLevel: "security level not supported by the agent for this user",
    errind.NotInTimeWindow: "not in time window (agent clock or boots changed; retried next poll)",
}
_LCD = CommandGeneratorLcdConfigurator()
_NULL = Null("")

VarBind = tuple[Oid, Any]  # a numeric OID and its pyasn1 value


class SnmpError(Exception):
    """A request that got no usable answer; the message is for the operator."""

    def __init__(self, message: str, status: int = 0, timed_out: bool = False) -> None:
        super().__init__(message)
        self.status = status  # the PDU's error-status, when the agent answered with one
        self.timed_out = timed_out


@dataclass(frozen=True)
class Request:
    """Where and how to send: the device's agent and the probe's timing."""

    address: str
    access: SnmpAccess
    timeout_s: float
    retries: int
    diagnosis_timeout_s: float = 0.5


def _key_id(request: Request) -> tuple[object, ...]:
    """A target's identity without any secret in it (digests only)."""
    a = request.access
    secrets = tuple(hashlib.sha256(s.reveal().encode()).hexdigest()[:16] if s else ""
                    for s in (a.community, a.auth_key, a.priv_key))
    return (request.address, a.port, a.version, a.user, a.security_level, a.auth_protocol,
            a.priv_protocol, a.context, request.timeout_s, request.retries, secrets)


class SnmpClient:
    """Owns the SnmpEngine of one event loop and the targets configured in it."""

    def __init__(self) -> None:
        self._engine: SnmpEngine | None = None
        self._targets: dict[tuple[object, ...], str] = {}
        self._engine_ids: dict[tuple[str, int], bytes] = {}
        self._get = cmdgen.GetCommandGenerator()
        self._next = cmdgen.NextCommandGeneratorSingleRun()
        self._bulk = cmdgen.BulkCommandGeneratorSingleRun()

    def _snmp_engine(self) -> SnmpEngine:
        if self._engine is None:
            self._engine = SnmpEngine()  # ~0.1 s: once per daemon, not per check
        return self._engine

    def close(self) -> None:
        """Close the engine's sockets."""
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
            self._targets.clear()

    def forget_engine_id(self, request: Request) -> None:
        """Discover the agent's engine ID again next time (it was replaced or re-keyed)."""
        self._engine_ids.pop((request.address, request.access.port), None)
        self._targets = {k: v for k, v in self._targets.items() if k[:2] != (
            request.address, request.access.port)}

    async def _auth(self, request: Request, host: str) -> CommunityData | UsmUserData:
        a = request.access
        if a.version is not SnmpVersion.V3:
            assert a.community is not None
            return CommunityData(a.community.reveal(), mpModel=0 if a.version is SnmpVersion.V1
                                 else 1)
        # pysnmp keeps one USM entry per (user, engine ID): without the agent's engine ID,
        # two agents with the same user name and different keys overwrite each other.
        engine_id = self._engine_ids.get((request.address, a.port))
        if engine_id is None:
            engine_id = await discover_engine_id(host, a.port, request.timeout_s,
                                                 request.retries)
            self._engine_ids[(request.address, a.port)] = engine_id
        return UsmUserData(
            a.user,
            authKey=a.auth_key.reveal() if a.auth_key else None,
            privKey=a.priv_key.reveal() if a.priv_key else None,
            authProtocol=_AUTH[a.auth_protocol] if a.auth_key else None,
            privProtocol=_PRIV[a.priv_protocol] if a.priv_key else None,
            securityEngineId=rfc1902.OctetString(engine_id),
        )

    async def _target(self, request: Request) -> str:
        key = _key_id(request)
        name = self._targets.get(key)
        if name is not None:
            return name
        _family, sockaddr = await resolve(request.address)
        host = str(sockaddr[0])
        kind = Udp6TransportTarget if ":" in host else UdpTransportTarget
        transport = await kind.create((host, request.access.port), timeout=request.timeout_s,
                                      retries=request.retries)
        auth = await self._auth(request, host)
        name, _params = _LCD.configure(self._snmp_engine(), auth, transport,
                                       request.access.context.encode())
        self._targets[key] = name
        return str(name)

    async def _send(self, request: Request, send: Any, *args: Any) -> list[VarBind]:
        try:
            target = await self._target(request)
        except DiscoveryError as exc:
            raise SnmpError(str(exc)) from None
        except OSError as exc:
            raise SnmpError(f"cannot resolve {request.address!r}: {exc}") from None
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[Any, Any, Any, Any]] = loop.create_future()

        def on_response(_engine: Any, _handle: Any, indication: Any, status: Any, index: Any,
                        var_binds: Any, _ctx: Any) -> None:
            if not done.done():
                done.set_result((indication, status, index, var_binds))

        try:
            send(self._snmp_engine(), target, None, request.access.context.encode(), *args,
                 on_response)
        except StatusInformation as exc:  # refused before sending, e.g. by the USM
            raise SnmpError(self._explain(request, exc.get("errorIndication"))) from None
        indication, status, index, var_binds = await done
        if indication:
            raise SnmpError(self._explain(request, indication),
                            timed_out=isinstance(indication, errind.RequestTimedOut))
        if status:
            raise SnmpError(_pdu_error(int(status), int(index), var_binds), int(status))
        return [(tuple(oid), value) for oid, value in var_binds]

    def _explain(self, request: Request, indication: Any) -> str:
        if isinstance(indication, errind.RequestTimedOut):
            tries = request.retries + 1
            return (f"no response to {tries} request{'s' if tries > 1 else ''} of "
                    f"{request.timeout_s:g} s")
        if isinstance(indication, errind.UnknownEngineID | errind.WrongDigest):
            self.forget_engine_id(request)  # maybe a new device behind the old address
        for kind, text in _EXPLAINED.items():
            if isinstance(indication, kind):
                return text
        return f"SNMP error: {indication}"

    async def diagnose_silence(self, request: Request) -> str:
        """Why an agent did not answer: down, or up but ignoring these credentials.

        Agents drop requests with a wrong community, and net-snmp drops what it cannot
        decrypt, silently; an agent that still answers engine ID discovery is up.
        """
        _family, sockaddr = await resolve(request.address)
        try:
            await discover_engine_id(str(sockaddr[0]), request.access.port,
                                     request.diagnosis_timeout_s, 0)
        except OSError:
            return "no answer to engine ID discovery either: agent down, unreachable or overloaded"
        a = request.access
        if a.version is not SnmpVersion.V3:
            return "the agent is up but ignores this community: wrong community?"
        if a.priv_key is not None:
            return ("the agent is up but ignores the encrypted request: decryption error "
                    "(wrong priv_key or priv_protocol?)")
        return "the agent is up but ignores the request"

    async def walk(self, request: Request, columns: Sequence[Oid],
                   max_repetitions: int) -> dict[Oid, list[VarBind]]:
        """Every row below each column, and nothing past it (GETBULK; GETNEXT for v1)."""
        rows: dict[Oid, list[VarBind]] = {column: [] for column in columns}
        if request.access.version is SnmpVersion.V1:
            for column in columns:
                await self._walk_v1(request, column, rows[column])
            return rows
        cursor = {column: column for column in columns}
        pending = list(columns)
        while pending:
            binds = await self.bulk(request, [cursor[c] for c in pending], max_repetitions)
            done: set[Oid] = set() if binds else set(pending)
            for i, (oid, value) in enumerate(binds):
                column = pending[i % len(pending)]  # the response is row by row
                if column in done:
                    continue
                if oid[:len(column)] != column or isinstance(value, rfc1905.EndOfMibView):
                    done.add(column)  # left the subtree: the table's end
                elif oid <= cursor[column]:
                    raise SnmpError(f"agent returned {name_oid(oid)} after "
                                    f"{name_oid(cursor[column])}: OIDs not increasing")
                else:
                    rows[column].append((oid, value))
                    cursor[column] = oid
            pending = [c for c in pending if c not in done]
        return rows

    async def _walk_v1(self, request: Request, column: Oid, rows: list[VarBind]) -> None:
        cursor = column
        while True:
            try:
                [(oid, value)] = await self.next(request, [cursor])
            except SnmpError as exc:
                if exc.status == 2:  # noSuchName: SNMPv1's end of the MIB
                    return
                raise
            except ValueError:
                raise SnmpError("agent answered GETNEXT with the wrong number of values") \
                    from None
            if oid[:len(column)] != column:
                return
            if oid <= cursor:
                raise SnmpError(f"agent returned {name_oid(oid)} after {name_oid(cursor)}: "
                                "OIDs not increasing")
            rows.append((oid, value))
            cursor = oid

    async def get(self, request: Request, oids: Sequence[Oid]) -> list[VarBind]:
        """GET the given instances in one request."""
        return await self._send(request, self._get.send_varbinds, _null_binds(oids))

    async def next(self, request: Request, oids: Sequence[Oid]) -> list[VarBind]:
        """GETNEXT: each OID's successor (SNMPv1 has no GETBULK)."""
        return await self._send(request, self._next.send_varbinds, _null_binds(oids))

    async def bulk(self, request: Request, oids: Sequence[Oid],
                   max_repetitions: int) -> list[VarBind]:
        """GETBULK: up to `max_repetitions` successors of each OID, row by row."""
        return await self._send(request, self._bulk.send_varbinds, 0, max_repetitions,
                                _null_binds(oids))


def _null_binds(oids: Sequence[Oid]) -> list[tuple[rfc1902.ObjectName, Null]]:
    return [(rfc1902.ObjectName(oid), _NULL) for oid in oids]


_STATUS = {1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr",
           6: "noAccess", 16: "authorizationError"}


def _pdu_error(status: int, index: int, var_binds: Any) -> str:
    what = _STATUS.get(status, f"error-status {status}")
    if 0 < index <= len(var_binds):
        return f"agent answered {what} for {name_oid(tuple(var_binds[index - 1][0]))}"
    return f"agent answered {what}"
