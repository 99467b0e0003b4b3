"""SNMPv3 (USM, SHA-256 + AES-128), restarted and dead agents, against Debian's net-snmp snmpd."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bridge.core.probe_kinds.snmp import (
    AuthProtocol,
    PrivProtocol,
    SecurityLevel,
    SnmpAccess,
    SnmpProbe,
    SnmpVersion,
)
from bridge.core.results import ProbeResult
from bridge.core.secret import Secret
from bridge.probes.registry import Probers, Target, run_probe
from bridge.probes.snmp.discovery import EngineInfo, discover_engine
from tests.kits.snmp_agents import Agent, start_snmpd

TIME_WINDOW_S = 150  # RFC 3414 3.2.7

PROBE = SnmpProbe.model_validate({"kind": "snmp", "interval_s": 10, "timeout_s": 0.5,
                                  "get": ["sysName", "sysLocation"], "walk": ["ifDescr"]})
KEYS_A = ("auth-key-of-agent-a", "priv-key-of-agent-a")
KEYS_B = ("auth-key-of-agent-b", "priv-key-of-agent-b")


@pytest.fixture(scope="module")
def agents() -> Iterator[tuple[Agent, Agent]]:
    """Two agents, each with a v3 user "monitor" of its own keys."""
    a = start_snmpd({"monitor": KEYS_A, "authonly": (KEYS_A[0], None),
                     "guest": (None, None)}, engine_id="bridge-test-a")
    b = start_snmpd({"monitor": KEYS_B}, engine_id="bridge-test-b")
    yield a, b
    a.close()
    b.close()


def v3(agent: Agent, keys: tuple[str, str], level: SecurityLevel = SecurityLevel.AUTH_PRIV,
       user: str = "monitor") -> SnmpAccess:
    return SnmpAccess(
        version=SnmpVersion.V3, port=agent.port, user=user, security_level=level,
        auth_protocol=AuthProtocol.SHA256,
        auth_key=Secret(keys[0]) if level is not SecurityLevel.NO_AUTH_NO_PRIV else None,
        priv_protocol=PrivProtocol.AES128,
        priv_key=Secret(keys[1]) if level is SecurityLevel.AUTH_PRIV else None)


async def poll(probers: Probers, device: str, access: SnmpAccess) -> ProbeResult:
    return await run_probe(probers, Target("127.0.0.1", device, "snmp", access), PROBE,
                           datetime.now(UTC))


async def test_auth_priv_with_sha256_and_aes(agents: tuple[Agent, Agent]) -> None:
    probers = Probers()
    try:
        result = await poll(probers, "a", v3(agents[0], KEYS_A))
    finally:
        probers.close()
    assert result.ok, result.output
    assert dict(result.values)["sysName"] == "bridge-test-snmpd"
    assert dict(result.values)["sysLocation"] == "loopback"
    for secret in KEYS_A:
        assert secret not in repr(result)


@pytest.mark.parametrize(("user", "level"), [("authonly", SecurityLevel.AUTH_NO_PRIV),
                                             ("guest", SecurityLevel.NO_AUTH_NO_PRIV)])
async def test_lower_security_levels(
    agents: tuple[Agent, Agent], user: str, level: SecurityLevel
) -> None:
    probers = Probers()
    try:
        result = await poll(probers, user, v3(agents[0], KEYS_A, level, user))
    finally:
        probers.close()
    assert result.ok, result.output
    assert dict(result.values)["sysName"] == "bridge-test-snmpd"


async def test_same_user_name_with_different_keys_on_two_agents(
    agents: tuple[Agent, Agent]
) -> None:
    """pysnmp keeps one USM entry per user and engine ID: each agent's keys must stay its own,
    whether the agents are polled one after the other or at the same time."""
    a, b = agents
    probers = Probers()
    try:
        sequential = [await poll(probers, name, v3(agent, keys))
                      for _ in range(3) for name, agent, keys in (("a", a, KEYS_A),
                                                                  ("b", b, KEYS_B))]
        concurrent = await asyncio.gather(*(
            poll(probers, f"{name}{i}", v3(agent, keys))
            for i in range(5) for name, agent, keys in (("a", a, KEYS_A), ("b", b, KEYS_B))))
    finally:
        probers.close()
    assert [r.output for r in [*sequential, *concurrent] if not r.ok] == []


@pytest.mark.parametrize(("keys", "expected"), [
    (("wrong-auth-key-here", KEYS_A[1]),
     "authentication failure (usmStatsWrongDigests: wrong auth_key or auth_protocol)"),
    ((KEYS_A[0], "wrong-priv-key-here"),
     "no response to 2 requests of 0.5 s: the agent is up but ignores the encrypted request: "
     "decryption error (wrong priv_key or priv_protocol?)"),
])
async def test_wrong_keys_say_which(
    agents: tuple[Agent, Agent], keys: tuple[str, str], expected: str
) -> None:
    probers = Probers()
    try:
        result = await poll(probers, "a", v3(agents[0], keys))
        # the right keys still work afterwards in the same engine
        after = await poll(probers, "a", v3(agents[0], KEYS_A))
    finally:
        probers.close()
    assert (result.ok, result.output) == (False, expected)
    assert after.ok, after.output


async def test_unknown_user(agents: tuple[Agent, Agent]) -> None:
    probers = Probers()
    try:
        result = await poll(probers, "a", v3(agents[0], KEYS_A, user="nobody-here"))
    finally:
        probers.close()
    assert (result.ok, result.output) == (
        False, "unknown user name (usmStatsUnknownUserNames: the agent has no such v3 user)")


async def test_a_stopped_agent_is_a_clear_failure_within_the_budget() -> None:
    agent = await asyncio.to_thread(start_snmpd, {"monitor": KEYS_A})
    access = v3(agent, KEYS_A)
    probers = Probers()
    try:
        before = await poll(probers, "gone", access)
        await asyncio.to_thread(agent.stop)
        after = await poll(probers, "gone", access)
    finally:
        probers.close()
        agent.close()
    assert before.ok, before.output
    assert (after.ok, after.output) == (
        False, "no response to 2 requests of 0.5 s: port unreachable (agent not running?)")


async def engine_of(agent: Agent) -> EngineInfo:
    return await discover_engine("127.0.0.1", agent.port, 1.0, 2)


# How an agent comes back: how it is run first, how it restarts, and what that does
# to its engine (same engine ID?, engineBoots up by).
RESTARTS = {
    "RFC-compliant: same engine ID, engineBoots + 1": ({}, {}, (True, 1)),
    "lost its state: a new engine ID": ({}, {"new_engine_id": True}, (False, -1)),
    "lost count: same engine ID, engineBoots from 2 back to 1": (
        {}, {"engine_boots": 0}, (True, -1)),
    "lost count: same engine ID and engineBoots 1, engineTime back from minutes to 0": (
        {"engine_boots": 0, "clock_speed": 300}, {"engine_boots": 0}, (True, 0)),
}


@pytest.mark.parametrize("case", RESTARTS)
async def test_the_first_poll_after_the_agent_restarted_is_ok(case: str) -> None:
    """However the agent comes back, the next poll through the same long-lived prober
    reads it: nothing the prober remembers of the old engine (its ID, boots and time, the
    keys localized to it) keeps it out."""
    first_run, restart, expected = RESTARTS[case]
    agent = await asyncio.to_thread(start_snmpd, {"monitor": KEYS_A})
    access = v3(agent, KEYS_A)
    probers = Probers()
    try:
        await asyncio.to_thread(agent.restart, **first_run)  # engineBoots 2 (or 1 again)
        if "clock_speed" in first_run:
            await asyncio.to_thread(agent.wait_for_engine_time, 2 * TIME_WINDOW_S)
        before = (await poll(probers, "restarts", access), await engine_of(agent))
        await asyncio.to_thread(agent.restart, **restart)
        after = [await poll(probers, "restarts", access) for _ in range(2)]
        engine = await engine_of(agent)
    finally:
        probers.close()
        agent.close()
    assert before[0].ok, before[0].output
    # the restart did to the engine what this case is about
    assert (engine.engine_id == before[1].engine_id, engine.boots - before[1].boots) == expected
    assert engine.time_s < TIME_WINDOW_S  # a fresh engine, whatever its clock said before
    assert [r.output for r in after if not r.ok] == []


async def test_v2c_and_v1_on_snmpd(agents: tuple[Agent, Agent]) -> None:
    probers = Probers()
    try:
        results = [await poll(probers, f"d{version}", SnmpAccess(
            version=version, port=agents[0].port, community=Secret("public")))
            for version in (SnmpVersion.V1, SnmpVersion.V2C)]
    finally:
        probers.close()
    assert [r.output for r in results if not r.ok] == []
