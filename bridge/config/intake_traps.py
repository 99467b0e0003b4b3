"""An snmp_trap intake source's `[sources.NAME.traps]`: where it listens, the community and
SNMPv3 users it accepts, and the rules that make a trap a firing or resolving alert."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field

from bridge.config.errors import ErrorSink
from bridge.config.secrets import SecretRefError, resolve_ref
from bridge.config.source import Source
from bridge.config.toml_lines import KeyPath
from bridge.core.probe_kinds.oids import Oid
from bridge.core.probe_kinds.snmp import AuthProtocol, PrivProtocol
from bridge.core.probe_kinds.trap_oids import trap_oid
from bridge.core.secret import Secret
from bridge.core.strict import Array, Choice, Strict

_FIELD = re.compile(r"\{([^{}\s]+)\}")  # a varbind in a key or summary template: {ifIndex}
AGENT = "agent"  # the label (and template field) of the sender's address


class TrapState(StrEnum):
    """What a matching trap says of its alert."""

    FIRING = "firing"
    RESOLVED = "resolved"


Text = Annotated[str, Field(min_length=1, max_length=200)]


class TrapRuleEntry(Strict):
    """Traps with this OID (and these varbind values) fire or resolve the alert `key`."""

    trap: Text  # a name bridge knows (linkDown, upsOnBattery …) or a numeric OID
    # varbind (name or numeric OID prefix) = "value" exactly, or "~regex" on the whole value
    varbinds: dict[Text, str] = Field(default_factory=dict)
    state: Choice[TrapState] = TrapState.FIRING
    # the alert's key on its device, from varbinds: "link {ifIndex}"; "" for the trap's name
    key: Annotated[str, Field(max_length=200)] = ""
    severity: Text | None = None  # the severity label the routes' `severities` read
    summary: Annotated[str, Field(max_length=500)] | None = None  # a template like `key`


class TrapUserEntry(Strict):
    """An SNMPv3 user whose authPriv traps and INFORMs are accepted."""

    name: Annotated[str, Field(min_length=1, max_length=32)]
    auth_protocol: Choice[AuthProtocol] = AuthProtocol.SHA256
    auth_key: str  # a secret reference
    priv_protocol: Choice[PrivProtocol] = PrivProtocol.AES128
    priv_key: str  # a secret reference


class TrapsEntry(Strict):
    """Where an snmp_trap source listens and what it accepts."""

    listen: Annotated[str, Field(min_length=3, max_length=100)]  # "127.0.0.1:10162"
    community: str | None = None  # a secret reference; absent: v1/v2c are refused
    users: Array[TrapUserEntry] = ()
    # bridge's own SNMP engine ID for INFORMs (hex); absent: one made from the source's name
    engine_id: Annotated[str, Field(pattern=r"^(0x)?([0-9A-Fa-f]{2}){5,32}$")] | None = None
    rules: Array[TrapRuleEntry] = ()


@dataclass(frozen=True)
class VarbindMatch:
    """One varbind's condition: the first varbind under `oid` equals `value` (or matches)."""

    oid: Oid
    value: str
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class TrapRule:
    """A compiled trap rule."""

    trap: Oid
    name: str  # as written
    varbinds: tuple[VarbindMatch, ...]
    firing: bool
    key: str
    fields: tuple[tuple[str, Oid | None], ...]  # the templates' fields: None for {agent}
    severity: str | None
    summary: str | None


@dataclass(frozen=True)
class TrapUser:
    """An SNMPv3 user with its passwords resolved."""

    name: bytes
    auth_protocol: AuthProtocol
    auth_key: Secret
    priv_protocol: PrivProtocol
    priv_key: Secret


@dataclass(frozen=True)
class TrapSource:
    """An snmp_trap source's listener and rules."""

    host: str
    port: int
    community: Secret | None
    users: tuple[TrapUser, ...]
    engine_id: bytes
    rules: tuple[TrapRule, ...]
    by_trap: dict[Oid, tuple[TrapRule, ...]] = dataclasses.field(init=False, repr=False,
                                                                 compare=False)

    def __post_init__(self) -> None:
        # compiled once: a trap finds its few candidate rules by OID, in the file's order
        by_trap: dict[Oid, list[TrapRule]] = {}
        for rule in self.rules:
            by_trap.setdefault(rule.trap, []).append(rule)
        object.__setattr__(self, "by_trap", {oid: tuple(r) for oid, r in by_trap.items()})


def _listen(text: str) -> tuple[str, int] | None:
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        return None
    return host, int(port)


def _engine_id(entry: TrapsEntry, name: str) -> bytes:
    if entry.engine_id is not None:
        return bytes.fromhex(entry.engine_id.removeprefix("0x"))
    # RFC 3411 SnmpEngineID: enterprise 8072 (net-snmp's) with the format bit, format 4 text
    return b"\x80\x00\x1f\x88\x04" + f"bridge-{name}".encode()[:27]


def _fields(template: str, error: Callable[[str], None]) -> list[tuple[str, Oid | None]]:
    found: list[tuple[str, Oid | None]] = []
    for field in _FIELD.findall(template):
        oid = None if field == AGENT else trap_oid(field)
        if field != AGENT and oid is None:
            error(f"unknown varbind {field!r} in {template!r}: a name bridge knows (such as "
                  f"ifIndex), a numeric OID, or {{{AGENT}}}")
        found.append((field, oid))
    return found


def _rule(rule: TrapRuleEntry, at: KeyPath, source: Source, errors: ErrorSink) -> TrapRule:
    def error(where: str) -> Callable[[str], None]:
        return lambda message: errors.add(source.error((*at, where), message))

    oid = trap_oid(rule.trap)
    if oid is None:
        error("trap")(f"unknown trap {rule.trap!r}: a name bridge knows (such as linkDown) "
                      "or a numeric OID")
    matches = []
    for name, value in rule.varbinds.items():
        varbind = trap_oid(name)
        if varbind is None:
            error("varbinds")(f"unknown varbind {name!r}: a name bridge knows or a numeric OID")
            continue
        pattern = None
        if value.startswith("~"):
            try:
                pattern = re.compile(value[1:])
            except re.error as exc:
                error("varbinds")(f"invalid regular expression {value[1:]!r}: {exc}")
        matches.append(VarbindMatch(varbind, value, pattern))
    fields = _fields(rule.key, error("key")) + _fields(rule.summary or "", error("summary"))
    return TrapRule(oid or (), rule.trap, tuple(matches), rule.state is TrapState.FIRING,
                    rule.key, tuple(dict.fromkeys(fields)), rule.severity, rule.summary)


def compile_traps(entry: TrapsEntry | None, name: str, at: KeyPath, source: Source,
                  base_dir: Path, errors: ErrorSink) -> TrapSource | None:
    """The source's listener and rules; errors name the file and line."""
    if entry is None:
        return None

    def secret(ref: str, where: KeyPath) -> Secret:
        try:
            found = resolve_ref(ref, base_dir)
        except SecretRefError as exc:
            errors.add_secret(at[:2], source.error(where, str(exc)))
            return Secret("")
        return found if found is not None else Secret("")

    listen = _listen(entry.listen)
    if listen is None:
        errors.add(source.error((*at, "listen"), (
            f"expected HOST:PORT such as \"127.0.0.1:10162\" or \"[::1]:162\", "
            f"got {entry.listen!r}")))
    community = secret(entry.community, (*at, "community")) if entry.community else None
    users = tuple(TrapUser(u.name.encode(), u.auth_protocol,
                           secret(u.auth_key, (*at, "users", i, "auth_key")), u.priv_protocol,
                           secret(u.priv_key, (*at, "users", i, "priv_key")))
                  for i, u in enumerate(entry.users))
    if community is None and not users:
        errors.add(source.error(at, "an snmp_trap source accepts a community (v1/v2c), "
                                    "SNMPv3 users, or both: it has neither"))
    rules = tuple(_rule(r, (*at, "rules", i), source, errors) for i, r in enumerate(entry.rules))
    host, port = listen or ("", 0)
    return TrapSource(host, port, community, users, _engine_id(entry, name), rules)
