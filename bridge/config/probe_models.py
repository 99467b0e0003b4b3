"""probes/*.toml: one model per probe kind, told apart by `kind`.

Each kind rejects the other kinds' keys. Thresholds and OIDs are compiled when the
config is loaded, so a probe never parses config text.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from bridge.config.base import Array, Strict
from bridge.config.interface_models import InterfaceSelection, interfaces_setting
from bridge.config.oids import ObjectRef, parse_object
from bridge.config.probe_limits import Threshold
from bridge.core.results import Measure

# A problem between a probe's own keys: (the key's path in the probe, the message, and the
# value the message quotes when the operator may have left it to its default).
KeyProblem = tuple[tuple[str, ...], str, float | None]


class ProbeKind(StrEnum):
    """The kinds of probe the daemon can run; bridge.probes maps each to its code."""

    ICMP = "icmp"
    SNMP = "snmp"
    TCP = "tcp"


class ProbeBase(Strict):
    """What every probe kind shares: how often, and when a failing check becomes hard."""

    # What the kind measures (ProbeResult.measurements), with the /metrics gauges they feed.
    MEASURES: ClassVar[tuple[Measure, ...]] = ()
    # Whether a down check of this kind says the device cannot be reached (its children are
    # then unreachable); a device with no such probe is judged by all of its probes.
    REACHABILITY: ClassVar[bool] = False
    # The keys `problems()` and the timing checks read: a key that failed to load skips them.
    TIMING_KEYS: ClassVar[tuple[str, ...]] = ("interval_s", "timeout_s", "retry_interval_s")

    kind: ProbeKind
    interval_s: Annotated[float, Field(gt=0)] = 30.0
    timeout_s: Annotated[float, Field(gt=0)] = 2.0
    retry_interval_s: Annotated[float, Field(gt=0)] = 10.0  # capped at interval_s if unset
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 3
    recover_after: Annotated[int, Field(ge=1, le=100)] = 1

    @model_validator(mode="before")
    @classmethod
    def _retry_follows_a_short_interval(cls, data: Any) -> Any:
        """An unset retry interval never exceeds the check interval."""
        if isinstance(data, dict) and "retry_interval_s" not in data:
            interval = data.get("interval_s", cls.model_fields["interval_s"].default)
            default = cls.model_fields["retry_interval_s"].default
            if isinstance(interval, int | float) and not isinstance(interval, bool):
                return {**data, "retry_interval_s": min(default, interval)}
        return data

    def duration_budget_s(self) -> float:
        """Longest time one check of this probe can take."""
        return self.timeout_s

    def problems(self) -> list[KeyProblem]:
        """What is wrong between this kind's own keys (beyond what every kind shares)."""
        return []


class PingLimits(Strict):
    """One of check_ping's RTT,loss% pairs: `-w 100.0,20%` is { rtt_ms = 100, loss_pct = 20 }.

    A check whose average RTT or loss reaches either limit has crossed it.
    """

    rtt_ms: Annotated[float, Field(gt=0)] | None = None
    loss_pct: Annotated[float, Field(gt=0, le=100)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_check_ping(cls, data: Any) -> Any:
        """check_ping's own "100.0,20%" is not a table here: say how to write it."""
        if isinstance(data, str):
            rtt, _, loss = data.partition(",")
            example = f"{{ rtt_ms = {rtt.strip() or 100}, loss_pct = " \
                      f"{loss.strip().rstrip('%') or 20} }}"
            raise ValueError(f"expected a table such as {example} (check_ping's {data!r})")
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> PingLimits:
        if self.rtt_ms is None and self.loss_pct is None:
            raise ValueError("give rtt_ms, loss_pct or both, e.g. { rtt_ms = 100, loss_pct = 20 }")
        return self


class IcmpProbe(ProbeBase):
    """ICMP echo: several packets per check; up when any is answered and no critical limit
    is reached, warning when a warning limit is."""

    MEASURES: ClassVar[tuple[Measure, ...]] = (
        Measure("rtt_avg_s", "bridge_probe_rtt_seconds",
                "Average round-trip time of the last check."),
        Measure("rtt_min_s"), Measure("rtt_max_s"),
        Measure("loss_ratio", "bridge_probe_loss_ratio",
                "Share of packets lost in the last check."),
        Measure("jitter_s", "bridge_probe_jitter_seconds",
                "Mean difference between consecutive round trips of the last check."))
    REACHABILITY: ClassVar[bool] = True
    TIMING_KEYS: ClassVar[tuple[str, ...]] = (*ProbeBase.TIMING_KEYS, "count",
                                              "packet_interval_s", "warning", "critical")

    kind: Literal[ProbeKind.ICMP]
    count: Annotated[int, Field(ge=1, le=100)] = 3
    packet_interval_s: Annotated[float, Field(ge=0.001)] = 0.2
    warning: PingLimits | None = None
    critical: PingLimits | None = None

    def duration_budget_s(self) -> float:
        """Longest time one check of this probe can take."""
        return (self.count - 1) * self.packet_interval_s + self.timeout_s

    def problems(self) -> list[KeyProblem]:
        """Packets that do not fit in interval_s, and what is wrong between the limits and
        the other keys: a warning above its critical limit (as check_ping refuses), or an
        RTT limit that no reply can reach because a later one counts as lost."""
        problems: list[KeyProblem] = []
        if self.timeout_s < self.interval_s <= self.duration_budget_s():
            problems.append((("count",), (
                f"{self.count} packets {self.packet_interval_s:g} s apart plus timeout_s take "
                f"{self.duration_budget_s():g} s, which must be < interval_s "
                f"({self.interval_s:g})"), None))
        levels = {"warning": self.warning, "critical": self.critical}
        if self.warning is not None and self.critical is not None:
            for key in ("rtt_ms", "loss_pct"):
                low, high = getattr(self.warning, key), getattr(self.critical, key)
                if low is not None and high is not None and low > high:
                    problems.append((("warning", key), f"must be <= critical.{key} "
                                                       f"(got {low:g} > {high:g})", None))
        timeout_ms = self.timeout_s * 1000
        for level, limits in levels.items():
            if limits is not None and limits.rtt_ms is not None and limits.rtt_ms >= timeout_ms:
                problems.append(((level, "rtt_ms"), (
                    f"must be < timeout_s in ms (got {limits.rtt_ms:g} >= {timeout_ms:g}); a "
                    "later reply counts as lost, so raise timeout_s or lower rtt_ms"), None))
        return problems


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


def _numeric(ref: ObjectRef) -> ObjectRef:
    if ref.holds_text:
        raise ValueError(f"{ref} holds text, not a number; thresholds and counters need a "
                         "numeric object (such as laLoadInt, ifInErrors or hrStorageUsed)")
    return ref


InstanceName = Annotated[ObjectRef, BeforeValidator(_object), AfterValidator(_instance)]
WalkName = Annotated[ObjectRef, BeforeValidator(_object), AfterValidator(_walkable)]
NumericName = Annotated[ObjectRef, BeforeValidator(_object), AfterValidator(_numeric)]


class ValueCheck(Strict):
    """Thresholds on a numeric object; on a column, every row is checked."""

    oid: NumericName
    warning: Threshold | None = None
    critical: Threshold | None = None  # crossing it fails the check


# Without walk_timeout_s a walk may use this share of interval_s (less the GET's budget).
_WALK_SHARE = 0.8


class SnmpProbe(ProbeBase):
    """SNMP GET and GETBULK walks: values, interface status, thresholds, counter rates.

    timeout_s and retries apply to each request; a check sends one GET and, when it
    reads columns, one walk (a series of GETBULK requests).
    """

    TIMING_KEYS: ClassVar[tuple[str, ...]] = (*ProbeBase.TIMING_KEYS, "retries", "walk",
                                              "interfaces", "thresholds", "counters")

    kind: Literal[ProbeKind.SNMP]
    timeout_s: Annotated[float, Field(gt=0)] = 1.0
    retries: Annotated[int, Field(ge=0, le=10)] = 1
    get: Array[InstanceName] = ()
    walk: Array[WalkName] = ()
    interfaces: Annotated[InterfaceSelection | None,
                          BeforeValidator(interfaces_setting)] = None
    thresholds: Array[ValueCheck] = ()
    counters: Array[ValueCheck] = ()
    max_repetitions: Annotated[int, Field(ge=1, le=200)] = 25
    walk_timeout_s: Annotated[float, Field(gt=0)] | None = None

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


class TcpProbe(ProbeBase):
    """A TCP connect to `port` and, with `tls`, a TLS handshake: up when both succeed within
    timeout_s (and the certificate is valid); warning when the certificate expires within
    cert_warn_days, down within cert_fail_days."""

    MEASURES: ClassVar[tuple[Measure, ...]] = (
        Measure("connect_s", "bridge_probe_connect_seconds",
                "Time the last check took to open its TCP connection."),
        Measure("tls_handshake_s"),
        Measure("cert_days_left", "bridge_probe_cert_days_left",
                "Days until the certificate the last check was shown expires (negative: "
                "expired)."))

    kind: Literal[ProbeKind.TCP]
    port: Annotated[int, Field(ge=1, le=65535)]
    tls: bool = False
    server_name: Annotated[str, Field(min_length=1)] | None = None  # SNI; else the address
    verify: bool = True  # the chain against the system's CAs (or ca_file) and the name
    ca_file: Annotated[str, Field(min_length=1)] | None = None  # an absolute path, PEM
    cert_warn_days: Annotated[float, Field(ge=0)] = 14.0
    cert_fail_days: Annotated[float, Field(ge=0)] | None = None

    def problems(self) -> list[KeyProblem]:
        """TLS keys without tls, a CA file that cannot be read, or a warning that would come
        after the failure."""
        problems: list[KeyProblem] = [
            ((key,), "is for TLS checks; add tls = true or remove it", None)
            for key in ("server_name", "ca_file", "cert_fail_days")
            if not self.tls and getattr(self, key) is not None]
        if problems:
            return problems
        if self.ca_file is not None and not self.verify:
            problems.append((("ca_file",), "is not read with verify = false; remove one", None))
        elif self.ca_file is not None and not Path(self.ca_file).is_absolute():
            problems.append((("ca_file",), f"must be an absolute path (got {self.ca_file})",
                             None))
        elif self.ca_file is not None and not Path(self.ca_file).is_file():
            problems.append((("ca_file",), f"no such file: {self.ca_file}", None))
        if self.cert_fail_days is not None and self.cert_fail_days >= self.cert_warn_days:
            problems.append((("cert_fail_days",), (
                f"must be < cert_warn_days (got {self.cert_fail_days:g} >= "
                f"{self.cert_warn_days:g}): a certificate must warn before it fails"), None))
        return problems


# Every kind's model: the kinds a config may name (tests check bridge.probes has code for each).
Probe = Annotated[IcmpProbe | SnmpProbe | TcpProbe, Field(discriminator="kind")]


def probe_models() -> tuple[type[ProbeBase], ...]:
    """The model of every kind in `Probe`, in its order."""
    models: tuple[type[ProbeBase], ...] = get_args(get_args(Probe)[0])
    return models

