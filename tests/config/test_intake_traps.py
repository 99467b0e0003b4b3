"""intake/*.toml's snmp_trap sources: compiled rules and users, and `bridge check`'s
file:line errors for what cannot work."""

from __future__ import annotations

from pathlib import Path

from bridge.config import load_config
from bridge.core.probe_kinds.snmp import AuthProtocol
from tests.config.test_intake import _deployment, _errors

GOOD = '''
[sources.snmp]
kind = "snmp_trap"

[sources.snmp.traps]
listen = "[::1]:10162"
community = "file:secrets/am.token"
engine_id = "0x800000000102030405"
users = [{ name = "u1", auth_protocol = "sha", auth_key = "file:secrets/am.token", \
priv_key = "file:secrets/am.token" }]

[[sources.snmp.traps.rules]]
trap = "linkDown"
varbinds = { ifAdminStatus = "1", "1.3.6.1.2.1.2.2.1.2" = "~eth.*" }
key = "link {ifIndex}"

[[sources.snmp.traps.rules]]
trap = "1.3.6.1.4.1.318.0.9"
state = "resolved"
key = "power"
'''


def test_a_trap_source_compiles(tmp_path: Path) -> None:
    traps = load_config(_deployment(tmp_path, GOOD)).intake.sources["snmp"].traps
    assert traps is not None
    assert (traps.host, traps.port) == ("::1", 10162)
    assert traps.community is not None
    assert traps.community.matches("am-secret")
    assert traps.engine_id == bytes.fromhex("800000000102030405")
    [user] = traps.users
    assert (user.name, user.auth_protocol) == (b"u1", AuthProtocol.SHA)
    down, restored = traps.rules
    assert down.trap == (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
    assert down.firing
    assert [m.oid for m in down.varbinds] == [(1, 3, 6, 1, 2, 1, 2, 2, 1, 7),
                                              (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)]
    assert down.fields == (("ifIndex", (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)),)
    assert restored.trap == (1, 3, 6, 1, 4, 1, 318, 0, 9)
    assert not restored.firing


def test_trap_errors_name_file_line_and_key(tmp_path: Path) -> None:
    bad = '''
[sources.snmp]
kind = "snmp_trap"

[sources.snmp.traps]
listen = "localhost"

[[sources.snmp.traps.rules]]
trap = "linkSideways"
varbinds = { ifColour = "1" }
key = "link {ifIndex} {nonsense}"

[sources.tok]
kind = "snmp_trap"
token = "file:secrets/am.token"
traps = { listen = "127.0.0.1:10162", community = "file:secrets/am.token" }
'''
    errors = _errors(_deployment(tmp_path, bad))
    assert any(e.startswith("intake/sources.toml:") and "sources.snmp.traps.listen" in e
               and "expected HOST:PORT" in e for e in errors), errors
    assert any("sources.snmp.traps: an snmp_trap source accepts a community" in e
               for e in errors), errors
    assert any("sources.snmp.traps.rules[0].trap" in e and "unknown trap 'linkSideways'" in e
               for e in errors), errors
    assert any("unknown varbind 'ifColour'" in e for e in errors), errors
    assert any("unknown varbind 'nonsense'" in e for e in errors), errors
    assert any("sources.tok" in e and "has no token" in e for e in errors), errors
