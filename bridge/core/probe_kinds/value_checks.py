"""An SNMP threshold or counter as config writes it: the object, its limits, and how its
value is derived (a percentage, an average, a sensor's scale, TimeTicks in minutes) and
which rows it judges (`where`) under which names (`named_by`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bridge.core.probe_kinds.limits import (
    Check,
    Comparison,
    Equality,
    ValueThreshold,
    parse_check,
)
from bridge.core.probe_kinds.oids import OID_VALUES, ObjectRef, parse_object
from bridge.core.strict import Array, Choice, Strict


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


def _objects(value: Any) -> Any:
    """One object or a list of them (summed)."""
    return [value] if isinstance(value, str | ObjectRef) else value


def _checked(ref: ObjectRef, check: ValueThreshold) -> ValueThreshold:
    if isinstance(check, Comparison) and ref.holds_text:
        raise ValueError(f"{ref} holds text, not a number; compare it with a pattern "
                         "(\"~ 'text'\") or use a numeric object (such as laLoadInt, "
                         "ifInErrors or hrStorageUsed)")
    return _resolved(ref, check) if isinstance(check, Equality) else check


def _resolved(ref: ObjectRef, check: Equality) -> Equality:
    """`!= onLine` against upsBasicOutputStatus: the enumeration's number for the name."""
    named = ref.named_values()
    if (oids := OID_VALUES.get(ref.name)) is not None:
        dotted = oids.get(check.expected, check.expected)
        if dotted not in oids.values():
            raise ValueError(f"{check.expected!r} is not a value of {ref.name}; its values "
                             "are " + ", ".join(oids))
        return Equality(check.op, dotted)
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


@dataclass(frozen=True)
class RowFilter:
    """`where = "entPhySensorType == celsius"`: the rows whose cell in another column of the
    same table (same index) holds the condition; the others are not this check's."""

    column: ObjectRef
    condition: Check
    text: str

    def __str__(self) -> str:
        return self.text


def _row_filter(value: Any) -> Any:
    if isinstance(value, RowFilter) or value is None:
        return value
    name, _, condition = value.strip().partition(" ") if isinstance(value, str) else ("", "", "")
    if not condition.strip():
        raise ValueError("expected 'COLUMN CONDITION' such as \"entPhySensorType == celsius\" "
                         f"or 'jnxOperatingDescr ~ \"Routing Engine\"', got {value!r}")
    column = _walkable(parse_object(name))
    return RowFilter(column, _checked(column, parse_check(condition)), value.strip())


class TicksUnit(StrEnum):
    """What a TimeTicks value (1/100 s) is judged and shown in."""

    SECONDS = "seconds"
    MINUTES = "minutes"


ObjectName = Annotated[ObjectRef, BeforeValidator(_object)]
InstanceName = Annotated[ObjectRef, BeforeValidator(_object), AfterValidator(_instance)]
WalkName = Annotated[ObjectRef, BeforeValidator(_object), AfterValidator(_walkable)]


# Keys that derive a value or choose and name rows: thresholds take them, counters do not.
THRESHOLD_ONLY_KEYS = ("percent_of", "average", "where", "named_by", "named_via", "scale_by",
                       "precision_by", "ticks_as")


class ValueCheck(Strict):
    """Thresholds on an object; on a column, every row is checked. A comparison (`> 80`)
    needs a number, a value (`!= onLine`) a named or numeric one, a pattern (`~ "x"`) any."""

    oid: ObjectName
    warning: ValueThreshold | None = None
    critical: ValueThreshold | None = None  # crossing it fails the check
    percent_of: Annotated[Array[ObjectName], BeforeValidator(_objects)] = ()
    average: bool = False  # judge a column's rows (or their percentages) as their average
    where: Annotated[RowFilter | None, BeforeValidator(_row_filter)] = None
    named_by: WalkName | None = None  # rows named by this column's cell, else by index
    named_via: WalkName | None = None  # named_by's row: this column's cell (an entity index)
    scale_by: WalkName | None = None  # an ENTITY-SENSOR SensorDataScale column (kilo, milli)
    precision_by: WalkName | None = None  # a column of decimal places
    ticks_as: Choice[TicksUnit] | None = None

    def derives(self) -> bool:
        """Whether the value judged is computed from what the agent sent."""
        return self.average or bool(self.percent_of) or self.ticks_as is not None \
            or self.scale_by is not None or self.precision_by is not None

    def row_columns(self) -> list[ObjectRef]:
        """The other columns walked for each row: wholes, filter, name, scale."""
        refs = [*(p for p in self.percent_of if p.walk),
                self.where.column if self.where else None, self.named_by, self.named_via,
                self.scale_by, self.precision_by]
        return [ref for ref in refs if ref is not None]

    @model_validator(mode="after")
    def _derived_needs_numbers(self) -> ValueCheck:
        by_row = [key for key in ("where", "named_by", "named_via", "scale_by", "precision_by")
                  if getattr(self, key) is not None]
        if by_row and not self.oid.walk:
            raise ValueError(f"{', '.join(by_row)} needs a column; {self.oid} is one value")
        if self.named_via is not None and self.named_by is None:
            raise ValueError(f"named_via {self.named_via} points at the row of named_by; "
                             "give named_by too (such as entPhysicalName)")
        if not self.derives():
            return self
        if any(c is not None and not isinstance(c, Comparison)
               for c in (self.warning, self.critical)) or self.oid.holds_text:
            raise ValueError("percent_of, average, scale_by, precision_by and ticks_as judge "
                             "numbers: compare them with a number (\"> 90\") on a numeric "
                             "object")
        for whole in self.percent_of:
            if whole.walk != self.oid.walk or whole.holds_text:
                raise ValueError(f"percent_of {whole} must be a numeric "
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
        return _checked(ref, check)
