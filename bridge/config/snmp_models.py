"""The [devices.X.snmp] table as written: how to reach a device's SNMP agent.

bridge.config.snmp checks it and resolves it into core's SnmpAccess.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bridge.core.probe_kinds.snmp import AuthProtocol, PrivProtocol, SecurityLevel, SnmpVersion
from bridge.core.strict import Choice, Strict


class SnmpSettings(Strict):
    """How to reach a device's SNMP agent. Credentials are `env:NAME` / `file:PATH` references."""

    version: Choice[SnmpVersion] = SnmpVersion.V2C
    port: Annotated[int, Field(ge=1, le=65535)] = 161
    community: str | None = None  # versions 1 and 2c
    user: Annotated[str, Field(min_length=1, max_length=32)] | None = None  # version 3 from here
    security_level: Choice[SecurityLevel] = SecurityLevel.AUTH_PRIV
    auth_protocol: Choice[AuthProtocol] = AuthProtocol.SHA256
    auth_key: str | None = None
    priv_protocol: Choice[PrivProtocol] = PrivProtocol.AES128
    priv_key: str | None = None
    context: str = ""
