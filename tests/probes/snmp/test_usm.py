"""bridge's own USM: keys against RFC 3414's test vectors and RFC 7860's method, and every
authentication and privacy protocol against a real net-snmp snmpd."""

from __future__ import annotations

import asyncio
import hashlib
import sys
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
from bridge.core.secret import Secret
from bridge.probes.registry import Probers, Target, run_probe
from bridge.probes.snmp.usm_keys import AUTH_HASHES, localize, password_to_key
from tests.conftest import REPO
from tests.kits.snmp_agents import Agent, start_snmpd

RFC3414_ENGINE_ID = bytes.fromhex("000000000000000000000002")


# RFC 3414 A.3.1 and A.3.2: password "maplesyrup", engine ID 00..02
@pytest.mark.parametrize(("hash_name", "ku", "kul"), [
    ("md5", "9faf3283884e92834ebc9847d8edd963", "526f5eed9fcce26f8964c2930787d82b"),
    ("sha1", "9fb5cc0381497b3793528939ff788d5d79145211",
     "6695febc9288e36282235fc7151f128497b38f3f"),
])
def test_keys_are_rfc_3414s_test_vectors(hash_name: str, ku: str, kul: str) -> None:
    key = password_to_key(hash_name, b"maplesyrup")
    assert key.hex() == ku
    assert localize(hash_name, key, RFC3414_ENGINE_ID).hex() == kul


def rfc7860_key(hash_name: str, password: bytes, engine_id: bytes) -> bytes:
    """RFC 7860 9.3 as written there: 1,048,576 octets of the password, hashed; then
    H(Ku || engineID || Ku)."""
    stream = (password * (1_048_576 // len(password) + 1))[:1_048_576]
    ku = hashlib.new(hash_name, stream).digest()
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


@pytest.mark.parametrize("protocol", [AuthProtocol.SHA224, AuthProtocol.SHA256,
                                      AuthProtocol.SHA384, AuthProtocol.SHA512])
@pytest.mark.parametrize("password", [b"maplesyrup", b"a-password-of-an-odd-length!", b"x" * 70])
def test_sha2_keys_follow_rfc_7860(protocol: AuthProtocol, password: bytes) -> None:
    spec = AUTH_HASHES[protocol]
    engine_id = bytes.fromhex("80001f8880e9630000d61ff449")
    assert localize(spec.name, password_to_key(spec.name, password), engine_id) \
        == rfc7860_key(spec.name, password, engine_id)
    # RFC 7860 4.2.1: the HMAC on the wire is truncated to half the digest (192 bits for
    # SHA-256), except SHA-224: 128 bits
    assert spec.mac_bytes == {"sha224": 16, "sha256": 24, "sha384": 32, "sha512": 48}[spec.name]


PROBE = SnmpProbe.model_validate({"kind": "snmp", "interval_s": 10, "timeout_s": 0.5,
                                  "get": ["sysName", "sysLocation"], "walk": ["ifDescr"]})
AUTH_PASS, PRIV_PASS = "usm-auth-password", "usm-priv-password"
# our protocols, and what net-snmp's createUser calls them
COMBINATIONS = {
    (AuthProtocol.SHA256, PrivProtocol.AES128): ("SHA-256", "AES"),
    (AuthProtocol.SHA512, PrivProtocol.AES256): ("SHA-512", "AES-256"),
    (AuthProtocol.SHA224, PrivProtocol.AES192): ("SHA-224", "AES-192"),
    (AuthProtocol.SHA384, PrivProtocol.AES256): ("SHA-384", "AES-256"),
    (AuthProtocol.SHA, PrivProtocol.AES128): ("SHA", "AES"),
    # SHA-1 and MD5 give shorter keys than AES-192/256 take: extended (Blumenthal)
    (AuthProtocol.SHA, PrivProtocol.AES256): ("SHA", "AES-256"),
    (AuthProtocol.MD5, PrivProtocol.AES192): ("MD5", "AES-192"),
    (AuthProtocol.MD5, PrivProtocol.DES): ("MD5", "DES"),
    (AuthProtocol.SHA, PrivProtocol.DES): ("SHA", "DES"),
}


def user_of(auth: AuthProtocol, priv: PrivProtocol) -> str:
    return f"u-{auth.value}-{priv.value}"


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    lines = []
    for (auth, priv), (auth_name, priv_name) in COMBINATIONS.items():
        user = user_of(auth, priv)
        lines += [f'createUser {user} {auth_name} "{AUTH_PASS}" {priv_name} "{PRIV_PASS}"',
                  f"rouser {user} priv"]
    running = start_snmpd({}, more=lines)
    yield running
    running.close()


def access(agent: Agent, auth: AuthProtocol, priv: PrivProtocol, user: str | None = None,
           auth_pass: str = AUTH_PASS, priv_pass: str = PRIV_PASS) -> SnmpAccess:
    return SnmpAccess(version=SnmpVersion.V3, port=agent.port,
                      user=user or user_of(auth, priv), security_level=SecurityLevel.AUTH_PRIV,
                      auth_protocol=auth, auth_key=Secret(auth_pass), priv_protocol=priv,
                      priv_key=Secret(priv_pass))


async def poll(agent_access: SnmpAccess) -> tuple[bool, str, dict[str, object]]:
    probers = Probers()
    try:
        result = await run_probe(probers, Target("127.0.0.1", "d", "snmp", agent_access),
                                 PROBE, datetime.now(UTC))
    finally:
        probers.close()
    return result.ok, result.output, dict(result.values)


@pytest.mark.parametrize(("auth", "priv"), COMBINATIONS)
async def test_every_protocol_reads_the_agent(
    agent: Agent, auth: AuthProtocol, priv: PrivProtocol
) -> None:
    ok, output, values = await poll(access(agent, auth, priv))
    assert ok, output
    assert values["sysName"] == "bridge-test-snmpd"
    assert any(str(name).startswith("ifDescr") for name in values), values


@pytest.mark.parametrize(("auth", "priv"), [(AuthProtocol.SHA512, PrivProtocol.AES256),
                                            (AuthProtocol.MD5, PrivProtocol.DES)])
async def test_wrong_secrets_and_users_name_what_is_wrong(
    agent: Agent, auth: AuthProtocol, priv: PrivProtocol
) -> None:
    wrong_auth, wrong_priv, nobody = await asyncio.gather(
        poll(access(agent, auth, priv, auth_pass="not-the-auth-password")),
        poll(access(agent, auth, priv, priv_pass="not-the-priv-password")),
        poll(access(agent, auth, priv, user="nobody-of-that-name")))
    assert wrong_auth[:2] == (
        False, "authentication failure (usmStatsWrongDigests: wrong auth_key or auth_protocol)")
    # net-snmp drops what does not decrypt without a Report: the silence is diagnosed
    assert wrong_priv[:2] == (
        False, "no response to 2 requests of 0.5 s: the agent is up but ignores the encrypted "
               "request: decryption error (wrong priv_key or priv_protocol?)")
    assert nobody[:2] == (
        False, "unknown user name (usmStatsUnknownUserNames: the agent has no such v3 user)")


async def test_v3_polls_without_pysnmp(agent: Agent) -> None:
    """pysnmp costs ~0.5 s of CPU to import and ~3.6 ms per poll: the v3 path needs none of it."""
    code = (
        "import asyncio, sys\n"
        "from tests.probes.snmp.test_usm import access, poll, AuthProtocol, PrivProtocol\n"
        "class A: port = int(sys.argv[1])\n"
        "ok, output, _ = asyncio.run(poll(access(A, AuthProtocol.SHA256, PrivProtocol.AES128)))\n"
        "assert ok, output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pysnmp', 'pyasn1')))\n")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, str(agent.port), cwd=REPO, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await child.communicate()
    assert (child.returncode, out.decode().strip()) == (0, "[]"), err.decode()
