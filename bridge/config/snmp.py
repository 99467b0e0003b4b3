"""Check each device's [snmp] table against its version and probes; resolve its credentials."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.config.errors import ErrorSink, format_key
from bridge.config.secrets import SecretFileMissing, SecretRefError, resolve_ref
from bridge.config.snmp_models import SnmpSettings
from bridge.core.probe_kinds.base import ProbeKind
from bridge.core.probe_kinds.snmp import SecurityLevel, SnmpAccess, SnmpVersion
from bridge.core.secret import Secret

if TYPE_CHECKING:
    from bridge.config.references import Merged, Unloaded
    from bridge.config.source import Source

_V3_KEYS = ("user", "auth_key", "priv_key")
# RFC 3414 section 11.2: pass phrases shorter than 8 characters are not allowed.
_MIN_KEY_CHARS = 8
_REF = "an env:NAME or file:PATH reference"


def _problems(snmp: SnmpSettings) -> list[tuple[tuple[str, ...], str]]:
    """What is inconsistent in one [snmp] table: (key below it, message)."""
    out: list[tuple[tuple[str, ...], str]] = []
    if snmp.version is not SnmpVersion.V3:
        if snmp.community is None:
            out.append(((), f"version {snmp.version} needs community ({_REF})"))
        out += [((key,), f"{key} only applies to version 3; remove it")
                for key in _V3_KEYS if getattr(snmp, key) is not None]
        return out
    if snmp.community is not None:
        out.append((("community",), "community only applies to versions 1 and 2c; "
                                    "version 3 uses user, auth_key and priv_key"))
    if snmp.user is None:
        out.append(((), "version 3 needs user"))
    level = snmp.security_level
    if level is not SecurityLevel.NO_AUTH_NO_PRIV and snmp.auth_key is None:
        out.append(((), f"security_level {level} needs auth_key ({_REF})"))
    if level is SecurityLevel.AUTH_PRIV and snmp.priv_key is None:
        out.append(((), f"security_level authPriv needs priv_key ({_REF})"))
    if level is SecurityLevel.NO_AUTH_NO_PRIV and snmp.auth_key is not None:
        out.append((("auth_key",), "security_level noAuthNoPriv sends no key; "
                                   "remove auth_key or set security_level"))
    if level is not SecurityLevel.AUTH_PRIV and snmp.priv_key is not None:
        out.append((("priv_key",), f"security_level {level} does not encrypt; "
                                   "remove priv_key or set security_level = \"authPriv\""))
    return out


def _from_old_base(ref: str, base_dir: Path) -> Secret | None:
    """A `file:` secret where it was looked for before paths were relative to their file:
    relative to bridge.toml. Still read, with a warning, so an upgrade breaks nothing."""
    try:
        return resolve_ref(ref, base_dir)
    except SecretRefError:
        return None


def _secret(ref: str | None, at: tuple[str, ...], source: Source, base_dir: Path,
            errors: ErrorSink, min_chars: int = 1) -> Secret | None:
    if ref is None:
        return None
    owner = at[:2]  # ("devices", NAME): probing one device needs only its own secrets
    # A `file:` path is relative to the file that names it, as a contract's templates are.
    here = base_dir / Path(source.name).parent
    try:
        secret = resolve_ref(ref, here)
    except SecretFileMissing as exc:
        secret = _from_old_base(ref, base_dir)
        if secret is None:
            errors.add_secret(owner, source.error(at, str(exc)))
            return None
        errors.warn(source.error(at, (
            f"{ref[len('file:'):]} is read relative to bridge.toml's folder, as before; paths "
            f"are relative to the file that names them now: write "
            f"file:{os.path.relpath(base_dir / ref[len('file:'):], here)}")))
    except SecretRefError as exc:
        errors.add_secret(owner, source.error(at, str(exc)))
        return None
    assert secret is not None  # only `create` makes a missing file None
    if len(secret.reveal()) < min_chars:
        errors.add_secret(owner, source.error(
            at, f"must be at least {min_chars} characters long (RFC 3414)"))
        return None
    return secret


def _access(name: str, snmp: SnmpSettings, source: Source, base_dir: Path,
            errors: ErrorSink) -> SnmpAccess | None:
    at = ("devices", name, "snmp")
    problems = _problems(snmp)
    for key, message in problems:
        errors.add(source.error((*at, *key), message))
    community = _secret(snmp.community, (*at, "community"), source, base_dir, errors)
    auth_key = _secret(snmp.auth_key, (*at, "auth_key"), source, base_dir, errors,
                       _MIN_KEY_CHARS)
    priv_key = _secret(snmp.priv_key, (*at, "priv_key"), source, base_dir, errors,
                       _MIN_KEY_CHARS)
    unresolved = [ref for ref, secret in ((snmp.community, community),
                  (snmp.auth_key, auth_key), (snmp.priv_key, priv_key))
                  if ref is not None and secret is None]
    if problems or unresolved:
        return None
    return SnmpAccess(
        version=snmp.version, port=snmp.port, community=community, user=snmp.user or "",
        security_level=(snmp.security_level if snmp.version is SnmpVersion.V3
                        else SecurityLevel.NO_AUTH_NO_PRIV), auth_protocol=snmp.auth_protocol,
        auth_key=auth_key, priv_protocol=snmp.priv_protocol, priv_key=priv_key,
        context=snmp.context,
    )


def build_snmp_access(merged: Merged, base_dir: Path, errors: ErrorSink,
                      unloaded: Unloaded | None = None) -> dict[str, SnmpAccess]:
    """Every device's resolved SNMP access; errors for inconsistent tables and for SNMP
    probes on devices without one."""
    access: dict[str, SnmpAccess] = {}
    for name, device in merged.devices.items():
        source = merged.device_origin[name]
        if unloaded is not None and unloaded.partial.lacks("devices", name, "snmp"):
            continue  # its [snmp] table has errors of its own
        if device.snmp is not None:
            built = _access(name, device.snmp, source, base_dir, errors)
            if built is not None:
                access[name] = built
            continue
        for i, probe_name in enumerate(device.probes):
            probe = merged.probes.get(probe_name)
            if probe is not None and probe.kind is ProbeKind.SNMP:
                errors.add(source.error(
                    ("devices", name, "probes", i),
                    f"probe {probe_name!r} is an SNMP probe; add a "
                    f"[{format_key(('devices', name, 'snmp'))}] table with the agent's version "
                    "and credentials",
                ))
    return access
