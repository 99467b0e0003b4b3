"""SNMPv3 with the User-based Security Model (RFC 3414) on bridge's own BER codec.

Each agent's engine ID is discovered once (bridge/probes/snmp/discovery.py); each user's
keys are localised once per engine (usm_keys.py); the agent's boots and time are tracked
on the monotonic clock (v3_memory.py). A request is then one datagram out and one
in (usm_security.py, usm_transport.py). What the agent refuses comes as a Report naming
a usmStats counter, which becomes the failure the operator reads; an agent that restarted
is told from a misconfigured one by its discovery Report, and then forgotten and asked
again. pysnmp did all this at ~1.5 ms of CPU per 3-object GET, this at ~0.2 ms
(bench/README.md).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bridge.core.probe_kinds.oids import Oid
from bridge.probes.addresses import resolve
from bridge.probes.snmp import types as t
from bridge.probes.snmp.discovery import (
    DiscoveryError,
    EngineInfo,
    discover_engine,
    silence_reason,
)
from bridge.probes.snmp.shared_udp import NoResponseError
from bridge.probes.snmp.usm_keys import UsmKeys
from bridge.probes.snmp.usm_privacy import Privacy
from bridge.probes.snmp.usm_security import (
    NOT_IN_TIME_WINDOW,
    UNKNOWN_ENGINE_ID,
    Answer,
    Outgoing,
    Refusal,
    reader,
    secure,
)
from bridge.probes.snmp.usm_transport import UsmTransport
from bridge.probes.snmp.v3_memory import EngineClocks

log = logging.getLogger(__name__)

TIMED_OUT = "timed out"
# What a restarted agent causes as well as a misconfigured one: each is checked against
# the agent's discovery Report before it is taken for what it says.
_RESTART_SIGNS = frozenset({TIMED_OUT, NOT_IN_TIME_WINDOW, UNKNOWN_ENGINE_ID,
                            "usmStatsUnknownUserNames", "usmStatsWrongDigests",
                            "usmStatsDecryptionErrors"})
_MSG_IDS = 2**31  # msgIDs and request-ids are non-negative Integer32s


@dataclass
class _Agent:
    """An agent as this client knows it: its address and its engine ID."""

    host: str  # the address, resolved
    engine_id: bytes


class UsmClient:
    """Owns the v3 sockets of one event loop and what it knows of each agent's engine."""

    def __init__(self) -> None:
        self._agents: dict[tuple[str, int], _Agent] = {}
        self._finding: dict[tuple[str, int], asyncio.Task[_Agent]] = {}
        self._keys = UsmKeys()
        self._clocks = EngineClocks()
        self._privacy = Privacy()
        self._transport: UsmTransport[Answer | Refusal] = UsmTransport()
        self._msg_ids = itertools.count(int.from_bytes(os.urandom(4), "big") % _MSG_IDS)

    def close(self) -> None:
        """Close every socket."""
        self._transport.close()
        self._agents.clear()

    async def _agent(self, request: t.Request) -> _Agent:
        key = (request.address, request.access.port)
        agent = self._agents.get(key)
        if agent is not None:
            return agent
        # checks of many devices on one agent start together: one discovery for all
        finding = self._finding.get(key)
        if finding is None:
            finding = self._finding[key] = asyncio.ensure_future(self._find(request))
            finding.add_done_callback(lambda _: self._finding.pop(key, None))
        return await asyncio.shield(finding)

    async def _find(self, request: t.Request) -> _Agent:
        _family, sockaddr = await resolve(request.address)
        host = str(sockaddr[0])
        info = await discover_engine(host, request.access.port, request.timeout_s,
                                     request.retries)
        self._clocks.set(info)
        agent = self._agents[(request.address, request.access.port)] = \
            _Agent(host, info.engine_id)
        return agent

    async def ask(self, request: t.Request, kind: int, oids: Sequence[Oid],
                  max_repetitions: int = 0) -> Answer:
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
        if not isinstance(answer, Refusal):
            return answer
        if answer.name not in _RESTART_SIGNS:
            raise self._error(request, answer)
        agent = self._agents[key]
        try:
            info = await discover_engine(agent.host, request.access.port,
                                         request.diagnosis_timeout_s, 0)
        except DiscoveryError as exc:
            raise self._error(request, answer, silence_reason(request.access, exc)) from None
        sent_to = sent_to or agent.engine_id
        if info.engine_id == sent_to and self._clocks.agrees(info):
            raise self._error(request, answer, silence_reason(request.access, None))
        if agent.engine_id == sent_to:  # else another request forgot the old engine already
            self._forget(request, agent, info)
        # One short try: the check's budget counts it with the discovery probe
        # (SnmpProbe.recovery_budget_s).
        again = replace(request, timeout_s=request.diagnosis_timeout_s, retries=0)
        answer = await self._send(again, kind, oids, max_repetitions)
        if isinstance(answer, Refusal):
            raise self._error(request, answer, silence_reason(request.access, None))
        return answer

    def _forget(self, request: t.Request, agent: _Agent, info: EngineInfo) -> None:
        """Drop what was remembered of the agent's old engine; its users go to `info`'s."""
        old_id = agent.engine_id
        self._clocks.forget(old_id)
        self._clocks.set(info)
        agent.engine_id = info.engine_id
        if old_id != info.engine_id and all(a.engine_id != old_id
                                            for a in self._agents.values()):
            self._keys.forget(old_id)
        log.info("SNMPv3 agent %s:%d is a new engine (engine ID %s, engineBoots %d, "
                 "engineTime %d s; was %s): forgot the old one", request.address,
                 request.access.port, info.engine_id.hex(), info.boots, info.time_s,
                 old_id.hex())

    async def _send(self, request: t.Request, kind: int, oids: Sequence[Oid],
                    max_repetitions: int) -> Answer | Refusal:
        try:
            agent = await self._agent(request)
        except DiscoveryError as exc:
            raise t.SnmpError(str(exc)) from None
        except OSError as exc:
            raise t.SnmpError(f"cannot resolve {request.address!r}: {exc}") from None
        answer = await self._exchange(request, agent, kind, oids, max_repetitions)
        if isinstance(answer, Refusal) and answer.moved_clock:
            # RFC 3414 3.2 step 7: the agent told its boots and time; ask once more with them
            answer = await self._exchange(request, agent, kind, oids, max_repetitions)
        return answer

    async def _exchange(self, request: t.Request, agent: _Agent, kind: int,
                        oids: Sequence[Oid], max_repetitions: int) -> Answer | Refusal:
        a = request.access
        keys = None if a.auth_key is None else self._keys.local(
            a.auth_protocol, a.auth_key.reveal().encode(), a.priv_protocol,
            a.priv_key.reveal().encode() if a.priv_key else None, agent.engine_id)
        outgoing = Outgoing(next(self._msg_ids) % _MSG_IDS, agent.engine_id, a.user.encode(),
                            a.context.encode(), keys, a.priv_protocol)
        packet = secure(outgoing, self._clocks, self._privacy, kind, oids, max_repetitions)
        try:
            return await self._transport.exchange(
                agent.host, a.port, outgoing.msg_id, packet,
                reader(outgoing, self._clocks, self._privacy), request.timeout_s,
                request.retries)
        except NoResponseError as exc:
            return Refusal(TIMED_OUT, f" (a reply could not be decoded: {exc.undecodable})"
                           if exc.undecodable else "")

    @staticmethod
    def _error(request: t.Request, failure: Refusal, silence: str | None = None
               ) -> t.SnmpError:
        """The failure as the operator reads it; `silence`: why a timed-out agent was."""
        if failure.name == TIMED_OUT:
            return t.SnmpError(request.no_response() + failure.text, timed_out=True,
                               silence=silence)
        return t.SnmpError(failure.text)

