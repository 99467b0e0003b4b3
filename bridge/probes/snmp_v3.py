"""SNMPv3 (USM) through pysnmp: one engine per event loop, numeric OIDs, no MIB look-ups.

USM's authentication, privacy and time windows are pysnmp's job; bridge keeps v1/v2c
on its own codec (bridge/probes/snmp_ber.py). pysnmp's high-level `get_cmd` and
`bulk_walk_cmd` resolve every OID through its MIB view on the way out and back; this
talks to pysnmp's command generators directly and configures each target once. Values
are converted to bridge's own types (bridge/probes/snmp_types.py) on the way in.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.entity import config as usm
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget, UsmUserData
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.hlapi.v3arch.asyncio.transport import Udp6TransportTarget
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.error import StatusInformation

from bridge.config.oids import Oid
from bridge.config.snmp_models import AuthProtocol, PrivProtocol
from bridge.probes import snmp_types as t
from bridge.probes.pinger import resolve
from bridge.probes.snmp_ber import GET, GET_BULK, GET_NEXT
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
_NULL = univ.Null("")
# pysnmp's value types by their BER tags (Unsigned32 and Gauge32 share one; so do
# OctetString and BITS), to bridge's.
_VALUES: dict[Any, Callable[[Any], t.SnmpValue]] = {
    univ.Integer.tagSet: lambda v: t.Integer32(int(v)),
    univ.OctetString.tagSet: lambda v: t.OctetString(bytes(v)),
    univ.ObjectIdentifier.tagSet: lambda v: t.ObjectIdentifier(tuple(v)),
    univ.Null.tagSet: lambda v: t.NULL,
    rfc1902.IpAddress.tagSet: lambda v: t.IpAddress(bytes(v)),
    rfc1902.Counter32.tagSet: lambda v: t.Counter32(int(v)),
    rfc1902.Gauge32.tagSet: lambda v: t.Gauge32(int(v)),
    rfc1902.TimeTicks.tagSet: lambda v: t.TimeTicks(int(v)),
    rfc1902.Opaque.tagSet: lambda v: t.Opaque(bytes(v)),
    rfc1902.Counter64.tagSet: lambda v: t.Counter64(int(v)),
    rfc1905.NoSuchObject.tagSet: lambda v: t.NO_SUCH_OBJECT,
    rfc1905.NoSuchInstance.tagSet: lambda v: t.NO_SUCH_INSTANCE,
    rfc1905.EndOfMibView.tagSet: lambda v: t.END_OF_MIB_VIEW,
}


def _value(value: Any) -> t.SnmpValue:
    convert = _VALUES.get(value.tagSet)
    if convert is None:
        raise t.SnmpError(f"agent answered a value of an unknown type: {value!r}")
    return convert(value)


def _key_id(request: t.Request) -> tuple[object, ...]:
    """A target's identity without any secret in it (digests only)."""
    a = request.access
    secrets = tuple(hashlib.sha256(s.reveal().encode()).hexdigest()[:16] if s else ""
                    for s in (a.auth_key, a.priv_key))
    return (request.address, a.port, a.user, a.security_level, a.auth_protocol,
            a.priv_protocol, a.context, request.timeout_s, request.retries, secrets)


class UsmClient:
    """Owns the SnmpEngine of one event loop and the v3 targets configured in it."""

    def __init__(self) -> None:
        self._engine: SnmpEngine | None = None
        self._targets: dict[tuple[object, ...], str] = {}
        self._engine_ids: dict[tuple[str, int], bytes] = {}
        self._generators: dict[int, Any] = {
            GET: cmdgen.GetCommandGenerator(), GET_NEXT: cmdgen.NextCommandGeneratorSingleRun(),
            GET_BULK: cmdgen.BulkCommandGeneratorSingleRun()}

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

    def forget_engine_id(self, request: t.Request) -> None:
        """Discover the agent's engine ID again next time (it was replaced or re-keyed)."""
        self._engine_ids.pop((request.address, request.access.port), None)
        self._targets = {k: v for k, v in self._targets.items() if k[:2] != (
            request.address, request.access.port)}

    async def _auth(self, request: t.Request, host: str) -> UsmUserData:
        a = request.access
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

    async def _target(self, request: t.Request) -> str:
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

    async def ask(self, request: t.Request, kind: int, oids: Sequence[Oid],
                  max_repetitions: int = 0) -> tuple[int, int, list[t.VarBind]]:
        """Send one request; error-status, error-index and the varbinds of the answer."""
        try:
            target = await self._target(request)
        except DiscoveryError as exc:
            raise t.SnmpError(str(exc)) from None
        except OSError as exc:
            raise t.SnmpError(f"cannot resolve {request.address!r}: {exc}") from None
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[Any, Any, Any, Any]] = loop.create_future()

        def on_response(_engine: Any, _handle: Any, indication: Any, status: Any, index: Any,
                        var_binds: Any, _ctx: Any) -> None:
            if not done.done():
                done.set_result((indication, status, index, var_binds))

        binds = [(rfc1902.ObjectName(oid), _NULL) for oid in oids]
        bulk = (0, max_repetitions) if kind == GET_BULK else ()
        try:
            self._generators[kind].send_varbinds(
                self._snmp_engine(), target, None, request.access.context.encode(), *bulk,
                binds, on_response)
        except StatusInformation as exc:  # refused before sending, e.g. by the USM
            raise t.SnmpError(self._explain(request, exc.get("errorIndication"))) from None
        indication, status, index, var_binds = await done
        if indication:
            raise t.SnmpError(self._explain(request, indication),
                              timed_out=isinstance(indication, errind.RequestTimedOut))
        return int(status), int(index), [(tuple(oid), _value(value)) for oid, value in var_binds]

    def _explain(self, request: t.Request, indication: Any) -> str:
        if isinstance(indication, errind.RequestTimedOut):
            return request.no_response()
        if isinstance(indication, errind.UnknownEngineID | errind.WrongDigest):
            self.forget_engine_id(request)  # maybe a new device behind the old address
        for kind, text in _EXPLAINED.items():
            if isinstance(indication, kind):
                return text
        return f"SNMP error: {indication}"
