"""An SNMP probe's config (GETs, walks, interfaces, thresholds, counters) and how a device's
agent is reached (version, credentials resolved).

Thresholds and OIDs are compiled when the config is loaded, so a probe never parses config text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bridge.core.probe_kinds.base import KeyProblem, ProbeBase, ProbeKind
from bridge.core.probe_kinds.interfaces import InterfaceSelection, interfaces_setting
from bridge.core.probe_kinds.limits import Comparison, Equality, ValueThreshold
from bridge.core.probe_kinds.oids import ObjectRef, parse_object
from bridge.core.probe_kinds.snmp_templates import known_template, with_templates
from bridge.core.secret import Secret
from bridge.core.strict import Array, Strict


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


def _object(value: Any) -> Any:
    if isinstance(value, ObjectRef):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected an OID string such as \"sysUpTime\" or "
                         f"\"1.3.6.1.2.1.1.3.0\", got {value!r}")
    return parse_object(value)


def _instance(ref: ObjectRef) -> ObjectRef:
    if ref.walk:
        raise ValueError(f"{ref} has rows; GET one of them ({ref}.1) or put it in walk")
    return ref


def _walkable(ref: ObjectRef) -> ObjectRef:
    if ref.scalar:
        raise ValueError(f"{ref} is a single value, not a column or table; list it under get")
    return ref


InstanceName = Annotated[ObjectRef, BeforeValidator(_object), AfterValidator(_instance)]
WalkName = Annotated[ObjectRef, BeforeValidator(_object), AfterValidator(_walkable)]
ObjectName = Annotated[ObjectRef, BeforeValidator(_object)]


def _resolved(ref: ObjectRef, check: Equality) -> Equality:
    """`!= onLine` against upsBasicOutputStatus: the enumeration's number for the name."""
    named = ref.named_values()
    if check.number is not None and named is not None:  # == 5 reads as == battery
        label = next((k for k, n in named.items() if n == check.number), check.expected)
        return Equality(check.op, label, check.number)
    if check.number is not None or (named is None and (ref.holds_text or not ref.name)):
        return check  # a number, or a text compared as text
    if named is None:
        raise ValueError(f"{ref.name} has no named values; compare it with a number "
                         f"(\"{check.op} 2\") or a pattern (\"~ 'text'\")")
    if check.expected not in named:
        raise ValueError(f"{check.expected!r} is not a value of {ref.name}; its values are "
                         + ", ".join(f"{label} ({n})" for label, n in named.items()))
    return Equality(check.op, check.expected, named[check.expected])


class ValueCheck(Strict):
    """Thresholds on an object; on a column, every row is checked. A comparison (`> 80`)
    needs a number, a value (`!= onLine`) a named or numeric one, a pattern (`~ "x"`) any."""

    oid: ObjectName
    warning: ValueThreshold | None = None
    critical: ValueThreshold | None = None  # crossing it fails the check
    percent_of: ObjectName | None = None  # judge 100 * oid / percent_of, row by row
    average: bool = False  # judge a column's rows (or their percentages) as their average

    @model_validator(mode="after")
    def _derived_needs_numbers(self) -> ValueCheck:
        if not (self.average or self.percent_of):
            return self
        if any(c is not None and not isinstance(c, Comparison)
               for c in (self.warning, self.critical)) or self.oid.holds_text:
            raise ValueError("percent_of and average judge numbers: compare them with a "
                             "number (\"> 90\") on a numeric object")
        if self.percent_of is not None and (self.percent_of.walk != self.oid.walk
                                            or self.percent_of.holds_text):
            raise ValueError(f"percent_of {self.percent_of} must be a numeric "
                             f"{'column' if self.oid.walk else 'value'}, as {self.oid} is")
        if self.average and not self.oid.walk:
            raise ValueError(f"average needs a column; {self.oid} is one value")
        return self

    @field_validator("warning", "critical")
    @classmethod
    def _fits_the_object(cls, check: ValueThreshold | None,
                         info: ValidationInfo) -> ValueThreshold | None:
        ref = info.data.get("oid")
        if check is None or not isinstance(ref, ObjectRef):
            return check
        if isinstance(check, Comparison) and ref.holds_text:
            raise ValueError(f"{ref} holds text, not a number; compare it with a pattern "
                             "(\"~ 'text'\") or use a numeric object (such as laLoadInt, "
                             "ifInErrors or hrStorageUsed)")
        if isinstance(check, Equality):
            return _resolved(ref, check)
        return check


# Without walk_timeout_s a walk may use this share of interval_s (less the GET's budget).
_WALK_SHARE = 0.8


class SnmpProbe(ProbeBase):
    """SNMP GET and GETBULK walks: values, interface status, thresholds, counter rates.

    timeout_s and retries apply to each request; a check sends one GET and, when it
    reads columns, one walk (a series of GETBULK requests).
    """

    TIMING_KEYS: ClassVar[tuple[str, ...]] = (*ProbeBase.TIMING_KEYS, "retries", "walk",
                                              "interfaces", "use", "thresholds",
                                              "counters")

    kind: Literal[ProbeKind.SNMP]
    timeout_s: Annotated[float, Field(gt=0)] = 1.0
    retries: Annotated[int, Field(ge=0, le=10)] = 1
    get: Array[InstanceName] = ()
    walk: Array[WalkName] = ()
    interfaces: Annotated[InterfaceSelection | None,
                          BeforeValidator(interfaces_setting)] = None
    use: Array[Annotated[str, AfterValidator(known_template)]] = ()
    thresholds: Array[ValueCheck] = ()
    counters: Array[ValueCheck] = ()
    max_repetitions: Annotated[int, Field(ge=1, le=200)] = 25
    walk_timeout_s: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _templates(cls, data: Any) -> Any:
        """The thresholds of the templates in `use`, after the probe's own."""
        return with_templates(data) if isinstance(data, dict) else data

    @field_validator("counters")
    @classmethod
    def _counts_numbers(cls, checks: tuple[ValueCheck, ...]) -> tuple[ValueCheck, ...]:
        for check in checks:
            if check.oid.holds_text:
                raise ValueError(f"{check.oid} holds text, not a number; counters need a "
                                 "numeric object (such as ifInErrors or ifHCInOctets)")
            for limit in (check.warning, check.critical):
                if limit is not None and not isinstance(limit, Comparison):
                    raise ValueError(f"a counter's rate is compared with a number (\"> 100\"), "
                                     f"not {str(limit)!r}")
        return checks

    def walks(self) -> bool:
        """Whether a check reads any column or table."""
        return (self.interfaces is not None or bool(self.walk)
                or any(c.oid.walk for c in (*self.thresholds, *self.counters)))

    def request_budget_s(self) -> float:
        """Longest time one request (with its retries) can take."""
        return (self.retries + 1) * self.timeout_s

    def diagnosis_budget_s(self) -> float:
        """The engine ID probe that tells a dead agent from one ignoring our credentials."""
        return min(self.timeout_s, 0.5)

    def recovery_budget_s(self) -> float:
        """After a failed request: the discovery probe, and (SNMPv3, when it shows the agent
        restarted as another engine) one short retry."""
        return 2 * self.diagnosis_budget_s()

    def walk_budget_s(self) -> float:
        """Longest time one walk can take. Each of its requests has its own budget (the
        transport's timeout_s and retries), so a large table gets the requests it needs;
        this caps them all: walk_timeout_s, else what interval_s leaves after the GET and
        a recovery, with some slack (at least one request's budget)."""
        if self.walk_timeout_s is not None:
            return self.walk_timeout_s
        left_s = _WALK_SHARE * self.interval_s - self.request_budget_s() - self.recovery_budget_s()
        return max(self.request_budget_s(), left_s)

    def duration_budget_s(self) -> float:
        """Longest time one check can take: the GET, the walk, and the diagnosis of a
        silent agent or the recovery from a restarted one."""
        walk_s = self.walk_budget_s() if self.walks() else 0.0
        return self.request_budget_s() + walk_s + self.recovery_budget_s()

    def problems(self) -> list[KeyProblem]:
        """Requests that do not fit in interval_s."""
        if self.timeout_s >= self.interval_s or self.duration_budget_s() < self.interval_s:
            return []
        if self.walk_timeout_s is not None:
            return [(("walk_timeout_s",), (
                f"a GET of (retries + 1) x timeout_s, a walk of up to walk_timeout_s and a "
                f"discovery probe take up to {self.duration_budget_s():g} s, which must be "
                f"< interval_s ({self.interval_s:g}); lower walk_timeout_s"), None)]
        requests = "a GET and a walk" if self.walks() else "a GET"
        return [(("retries",), (
            f"{requests} of (retries + 1) x timeout_s each, and a discovery probe with one "
            f"short retry, take up to {self.duration_budget_s():g} s, which must be "
            f"< interval_s ({self.interval_s:g})"), self.retries)]
