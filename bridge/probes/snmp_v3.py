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
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
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
from bridge.probes import snmp_v3_memory as memory
from bridge.probes.pinger import resolve
from bridge.probes.snmp_ber import GET, GET_BULK, GET_NEXT
from bridge.probes.snmp_discovery import (
    DiscoveryError,
    EngineInfo,
    discover_engine,
    silence_reason,
)

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
    errind.NotInTimeWindow: "not in time window (the agent's engineBoots or engineTime is "
                            "not what it said a moment before)",
}
# What a restarted agent causes as well as a misconfigured one: each is checked against
# the agent's discovery Report before it is taken for what it says.
_RESTART_SIGNS = (errind.RequestTimedOut, errind.UnknownEngineID, errind.NotInTimeWindow,
                  errind.UnknownUserName, errind.UnknownSecurityName, errind.WrongDigest,
                  errind.AuthenticationFailure, errind.AuthenticationError,
                  errind.DecryptionError)
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


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Failure:
    """A request pysnmp gave up on, with its error indication."""

    indication: Any


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


@dataclass
class _Agent:
    """An agent as this engine knows it: its address and the engine ID its users are for."""

    host: str  # the address, resolved
    engine_id: bytes


class UsmClient:
    """Owns the SnmpEngine of one event loop and the v3 targets configured in it."""

    def __init__(self) -> None:
        self._engine: SnmpEngine | None = None
        self._targets: dict[tuple[object, ...], str] = {}
        self._agents: dict[tuple[str, int], _Agent] = {}  # by (address, port)
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
            self._agents.clear()

    async def _agent(self, request: t.Request) -> _Agent:
        key = (request.address, request.access.port)
        agent = self._agents.get(key)
        if agent is None:
            _family, sockaddr = await resolve(request.address)
            host = str(sockaddr[0])
            info = await discover_engine(host, request.access.port, request.timeout_s,
                                         request.retries)
            agent = self._agents[key] = _Agent(host, info.engine_id)
        return agent

    def _auth(self, request: t.Request, engine_id: bytes) -> UsmUserData:
        a = request.access
        # pysnmp keeps one USM entry per (user, engine ID): without the agent's engine ID,
        # two agents with the same user name and different keys overwrite each other.
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
        agent = await self._agent(request)
        kind = Udp6TransportTarget if ":" in agent.host else UdpTransportTarget
        transport = await kind.create((agent.host, request.access.port),
                                      timeout=request.timeout_s, retries=request.retries)
        name, _params = _LCD.configure(self._snmp_engine(), self._auth(request, agent.engine_id),
                                       transport, request.access.context.encode())
        self._targets[key] = name
        return str(name)

    async def ask(self, request: t.Request, kind: int, oids: Sequence[Oid],
                  max_repetitions: int = 0) -> tuple[int, int, list[t.VarBind]]:
        """Send one request; error-status, error-index and the varbinds of the answer.

        A failure that a restarted agent causes too (silence, an unknown engine ID or user,
        a time window or key mismatch) is checked against the agent's discovery Report: if
        the agent is not the engine remembered (a new engine ID, or boots and time that
        went back), what was remembered is dropped and the request sent once more.
        """
        key = (request.address, request.access.port)
        known = self._agents.get(key)
        sent_to = known.engine_id if known else None  # another request may change it
        answer = await self._send(request, kind, oids, max_repetitions)
        if not isinstance(answer, _Failure):
            return answer
        if not isinstance(answer.indication, _RESTART_SIGNS):
            raise self._error(request, answer.indication)
        agent = self._agents[key]
        try:
            info = await discover_engine(agent.host, request.access.port,
                                         request.diagnosis_timeout_s, 0)
        except DiscoveryError as exc:
            raise self._error(request, answer.indication,
                              silence_reason(request.access, exc)) from None
        sent_to = sent_to or agent.engine_id
        if not self._restarted(request, agent, info, sent_to):
            raise self._error(request, answer.indication, silence_reason(request.access, None))
        if agent.engine_id == sent_to:  # else another request forgot the old engine already
            self._forget(request, agent, info)
        # One short try: the check's budget counts it with the discovery probe
        # (SnmpProbe.recovery_budget_s).
        again = replace(request, timeout_s=request.diagnosis_timeout_s, retries=0)
        answer = await self._send(again, kind, oids, max_repetitions)
        if isinstance(answer, _Failure):
            raise self._error(request, answer.indication, silence_reason(request.access, None))
        return answer

    def _restarted(self, request: t.Request, agent: _Agent, info: EngineInfo,
                   sent_to: bytes) -> bool:
        """Whether the agent's engine is not the one the request was sent to."""
        engine = self._snmp_engine()
        learnt = memory.engine_id_at(engine, agent.host, request.access.port)
        return (info.engine_id != sent_to or learnt not in (None, info.engine_id)
                or not memory.time_agrees(engine, info))

    def _forget(self, request: t.Request, agent: _Agent, info: EngineInfo) -> None:
        """Drop what was remembered of the agent's old engine; its users go to `info`'s."""
        engine = self._snmp_engine()
        port = request.access.port
        old_id = agent.engine_id
        memory.forget_peer(engine, agent.host, port, {old_id, info.engine_id})
        self._targets = {k: v for k, v in self._targets.items()
                         if k[:2] != (request.address, port)}
        agent.engine_id = info.engine_id
        if old_id != info.engine_id and all(a.engine_id != old_id
                                            for a in self._agents.values()):
            memory.forget_users(engine, old_id)
        log.info("SNMPv3 agent %s:%d is a new engine (engine ID %s, engineBoots %d, "
                 "engineTime %d s; was %s): forgot the old one", request.address, port,
                 info.engine_id.hex(), info.boots, info.time_s, old_id.hex())

    async def _send(self, request: t.Request, kind: int, oids: Sequence[Oid],
                    max_repetitions: int) -> tuple[int, int, list[t.VarBind]] | _Failure:
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
            return _Failure(exc.get("errorIndication"))
        indication, status, index, var_binds = await done
        if indication:
            return _Failure(indication)
        return int(status), int(index), [(tuple(oid), _value(value)) for oid, value in var_binds]

    @staticmethod
    def _error(request: t.Request, indication: Any, silence: str | None = None) -> t.SnmpError:
        """The failure as the operator reads it; `silence`: why a timed-out agent was."""
        if isinstance(indication, errind.RequestTimedOut):
            return t.SnmpError(request.no_response(), timed_out=True, silence=silence)
        for kind, text in _EXPLAINED.items():
            if isinstance(indication, kind):
                return t.SnmpError(text)
        return t.SnmpError(f"SNMP error: {indication}")
