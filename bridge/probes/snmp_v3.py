"""SNMPv3 with the User-based Security Model (RFC 3414) on bridge's own BER codec.

Each agent's engine ID is discovered once (bridge/probes/snmp_discovery.py); each user's
keys are localised once per engine (usm_keys.py); the agent's boots and time are tracked
on the monotonic clock (snmp_v3_memory.py). A request is then one datagram out and one
in: encode, encrypt, HMAC, and back. What the agent refuses comes as a Report naming a
usmStats counter, which becomes the failure the operator reads; an agent that restarted
is told from a misconfigured one by its discovery Report, and then forgotten and asked
again. pysnmp did all this at ~3.6 ms of CPU per 3-object GET (bench/README.md).
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bridge.config.oids import Oid
from bridge.probes import snmp_types as t
from bridge.probes.pinger import resolve
from bridge.probes.snmp_ber import RESPONSE, BerError, encode_pdu
from bridge.probes.snmp_discovery import (
    DiscoveryError,
    EngineInfo,
    discover_engine,
    silence_reason,
)
from bridge.probes.snmp_v3_memory import EngineClocks
from bridge.probes.usm_keys import LocalKeys, UsmKeys
from bridge.probes.usm_message import (
    AUTH,
    PRIV,
    REPORT,
    REPORTABLE,
    Incoming,
    ScopedPdu,
    Security,
    ciphertext,
    encode_message,
    encode_scoped,
    encrypted_data,
    read_scoped,
    without_mac,
)
from bridge.probes.usm_privacy import DecryptionError, Privacy
from bridge.probes.usm_transport import AgentLink, NoReplyError

log = logging.getLogger(__name__)

_USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)  # SNMP-USER-BASED-SM-MIB::usmStats
TIMED_OUT = "timed out"
NOT_IN_TIME_WINDOW = "usmStatsNotInTimeWindows"
UNKNOWN_ENGINE_ID = "usmStatsUnknownEngineIDs"
# What an operator reads for each Report the agent may send instead of an answer.
_REPORTS: dict[Oid, tuple[str, str]] = {
    (*_USM_STATS, 1, 0): ("usmStatsUnsupportedSecLevels", "security level not supported by "
                          "the agent for this user (usmStatsUnsupportedSecLevels)"),
    (*_USM_STATS, 2, 0): (NOT_IN_TIME_WINDOW, "not in time window (usmStatsNotInTimeWindows: "
                          "the agent's engineBoots or engineTime is not what it said a moment "
                          "before)"),
    (*_USM_STATS, 3, 0): ("usmStatsUnknownUserNames", "unknown user name "
                          "(usmStatsUnknownUserNames: the agent has no such v3 user)"),
    (*_USM_STATS, 4, 0): (UNKNOWN_ENGINE_ID, "unknown engine ID (usmStatsUnknownEngineIDs: "
                          "the agent's engine ID changed a moment ago)"),
    (*_USM_STATS, 5, 0): ("usmStatsWrongDigests", "authentication failure "
                          "(usmStatsWrongDigests: wrong auth_key or auth_protocol)"),
    (*_USM_STATS, 6, 0): ("usmStatsDecryptionErrors", "decryption error "
                          "(usmStatsDecryptionErrors: wrong priv_key or priv_protocol)"),
}
# What a restarted agent causes as well as a misconfigured one: each is checked against
# the agent's discovery Report before it is taken for what it says.
_RESTART_SIGNS = frozenset({TIMED_OUT, NOT_IN_TIME_WINDOW, UNKNOWN_ENGINE_ID,
                            "usmStatsUnknownUserNames", "usmStatsWrongDigests",
                            "usmStatsDecryptionErrors"})
_MSG_IDS = 2**31  # msgIDs and request-ids are non-negative Integer32s

Answer = tuple[int, int, list[t.VarBind]]  # error-status, error-index, varbinds


@dataclass(frozen=True)
class _Failure:
    """A request the agent refused (a Report, by its counter's name) or never answered."""

    name: str
    text: str  # timed out: why a reply that came was not taken, if one came
    moved_clock: bool = False  # an authenticated Report moved the engine's clock forward


@dataclass
class _Agent:
    """An agent as this client knows it: its address, its engine ID, the socket to it."""

    host: str  # the address, resolved
    engine_id: bytes
    link: AgentLink


class UsmClient:
    """Owns the v3 sockets of one event loop and what it knows of each agent's engine."""

    def __init__(self) -> None:
        self._agents: dict[tuple[str, int], _Agent] = {}
        self._finding: dict[tuple[str, int], asyncio.Task[_Agent]] = {}
        self._keys = UsmKeys()
        self._clocks = EngineClocks()
        self._privacy = Privacy()
        self._msg_ids = itertools.count(int.from_bytes(os.urandom(4), "big") % _MSG_IDS)

    def close(self) -> None:
        """Close every socket."""
        for agent in self._agents.values():
            agent.link.close()
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
        link = await AgentLink.open(host, request.access.port)
        agent = self._agents[(request.address, request.access.port)] = \
            _Agent(host, info.engine_id, link)
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
        if not isinstance(answer, _Failure):
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
        if isinstance(answer, _Failure):
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
                    max_repetitions: int) -> Answer | _Failure:
        try:
            agent = await self._agent(request)
        except DiscoveryError as exc:
            raise t.SnmpError(str(exc)) from None
        except OSError as exc:
            raise t.SnmpError(f"cannot resolve {request.address!r}: {exc}") from None
        answer = await self._exchange(request, agent, kind, oids, max_repetitions)
        if isinstance(answer, _Failure) and answer.moved_clock:
            # RFC 3414 3.2 step 7: the agent told its boots and time; ask once more with them
            answer = await self._exchange(request, agent, kind, oids, max_repetitions)
        return answer

    async def _exchange(self, request: t.Request, agent: _Agent, kind: int,
                        oids: Sequence[Oid], max_repetitions: int) -> Answer | _Failure:
        a = request.access
        engine_id = agent.engine_id
        keys = None if a.auth_key is None else self._keys.local(
            a.auth_protocol, a.auth_key.reveal().encode(), a.priv_protocol,
            a.priv_key.reveal().encode() if a.priv_key else None, engine_id)
        msg_id = next(self._msg_ids) % _MSG_IDS
        boots, time_s = self._clocks.now(engine_id) if keys else (0, 0)
        security = Security(engine_id, boots, time_s, a.user.encode())
        scoped = encode_scoped(engine_id, a.context.encode(),
                               encode_pdu(kind, msg_id, oids, 0, max_repetitions))
        flags, salt, mac_bytes = REPORTABLE, b"", 0
        if keys is not None:
            flags, mac_bytes = flags | AUTH, keys.auth.mac_bytes
            if keys.priv_key is not None:
                flags |= PRIV
                encrypted, salt = self._privacy.encrypt(a.priv_protocol, keys.priv_key, boots,
                                                        time_s, scoped)
                scoped = encrypted_data(encrypted)
        message, mac_at = encode_message(msg_id, flags, security, mac_bytes, salt, scoped)
        if keys is not None:
            mac = hmac.digest(keys.auth_key, message, keys.auth.name)[:mac_bytes]
            message = message[:mac_at] + mac + message[mac_at + mac_bytes:]
        try:
            return await agent.link.exchange(
                msg_id, message, self._reader(request, engine_id, keys, msg_id),
                request.timeout_s, request.retries)
        except NoReplyError as exc:
            return _Failure(TIMED_OUT, f" (a reply could not be decoded: {exc.undecodable})"
                            if exc.undecodable else "")

    def _reader(self, request: t.Request, engine_id: bytes, keys: LocalKeys | None,
                msg_id: int) -> Callable[[bytes, Incoming], Answer | _Failure]:
        """What makes of a datagram with our msgID an answer, or BerError to drop it."""
        a = request.access

        def read(data: bytes, incoming: Incoming) -> Answer | _Failure:
            security = incoming.security
            authentic = bool(incoming.flags & AUTH)
            if authentic:
                if keys is None or security.engine_id != engine_id \
                        or security.user != a.user.encode():
                    raise BerError("an authenticated reply for another engine or user")
                digest = hmac.digest(keys.auth_key, without_mac(data, incoming),
                                     keys.auth.name)[:keys.auth.mac_bytes]
                if not hmac.compare_digest(digest, incoming.mac):
                    raise BerError("a reply with a wrong HMAC")
            scoped = self._scoped(request, keys, data, incoming)
            moved = authentic and self._clocks.learn(engine_id, security.boots,
                                                     security.time_s)
            if scoped.pdu_type == REPORT:
                return _report(scoped, moved)
            if scoped.pdu_type != RESPONSE or scoped.request_id != msg_id:
                raise BerError(f"PDU 0x{scoped.pdu_type:02x} with request-id "
                               f"{scoped.request_id}, not a Response to {msg_id}")
            if keys is not None and not authentic:
                raise BerError("an unauthenticated Response to an authenticated request")
            if authentic and not self._clocks.in_window(engine_id, security.boots,
                                                        security.time_s):
                return _Failure(NOT_IN_TIME_WINDOW, _REPORTS[(*_USM_STATS, 2, 0)][1])
            return scoped.error_status, scoped.error_index, scoped.varbinds

        return read

    def _scoped(self, request: t.Request, keys: LocalKeys | None, data: bytes,
                incoming: Incoming) -> ScopedPdu:
        if not incoming.flags & PRIV:
            return read_scoped(data, incoming.data_at, padded=False)
        if keys is None or keys.priv_key is None or not incoming.flags & AUTH:
            raise BerError("an encrypted reply to a request that was not")
        security = incoming.security
        try:
            plaintext = self._privacy.decrypt(request.access.priv_protocol, keys.priv_key,
                                              security.boots, security.time_s, incoming.salt,
                                              ciphertext(data, incoming))
            return read_scoped(plaintext, 0, padded=True)
        except (DecryptionError, BerError) as exc:
            raise BerError(f"a reply that does not decrypt ({exc})") from None

    @staticmethod
    def _error(request: t.Request, failure: _Failure, silence: str | None = None
               ) -> t.SnmpError:
        """The failure as the operator reads it; `silence`: why a timed-out agent was."""
        if failure.name == TIMED_OUT:
            return t.SnmpError(request.no_response() + failure.text, timed_out=True,
                               silence=silence)
        return t.SnmpError(failure.text)


def _report(scoped: ScopedPdu, moved_clock: bool) -> _Failure:
    """What a Report says went wrong, by the counter it carries."""
    oid: Oid = scoped.varbinds[0][0] if scoped.varbinds else ()
    number = ".".join(map(str, oid))
    name, text = _REPORTS.get(oid, (number, f"the agent refused the request: Report of {number}"))
    return _Failure(name, text, moved_clock and name == NOT_IN_TIME_WINDOW)
