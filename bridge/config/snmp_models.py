"""How a device's SNMP agent is reached: the [devices.X.snmp] table and its resolved form."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from bridge.config.base import Choice, Strict
from bridge.config.secrets import Secret


class SnmpVersion(StrEnum):
    """SNMP protocol versions."""

    V1 = "1"
    V2C = "2c"
    V3 = "3"


class SecurityLevel(StrEnum):
    """SNMPv3 USM security levels."""

    NO_AUTH_NO_PRIV = "noAuthNoPriv"
    AUTH_NO_PRIV = "authNoPriv"
    AUTH_PRIV = "authPriv"


class AuthProtocol(StrEnum):
    """SNMPv3 authentication (HMAC) protocols."""

    MD5 = "md5"
    SHA = "sha"
    SHA224 = "sha224"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"


class PrivProtocol(StrEnum):
    """SNMPv3 privacy (encryption) protocols."""

    DES = "des"
    AES128 = "aes128"
    AES192 = "aes192"
    AES256 = "aes256"


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


@dataclass(frozen=True)
class SnmpAccess:
    """A device's SNMP agent with its credentials resolved. Secrets never print."""

    version: SnmpVersion
    port: int
    community: Secret | None = None
    user: str = ""
    security_level: SecurityLevel = SecurityLevel.NO_AUTH_NO_PRIV
    auth_protocol: AuthProtocol = AuthProtocol.SHA256
    auth_key: Secret | None = None
    priv_protocol: PrivProtocol = PrivProtocol.AES128
    priv_key: Secret | None = None
    context: str = ""
