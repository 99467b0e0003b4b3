"""An action's form, derived from its request body (desk/bodies.py): one input per field,
its kind from the field's type; and the posted form read back into that body."""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, ValidationError
from pydantic.fields import FieldInfo

from bridge.desk.bodies import Body


@dataclass(frozen=True)
class Input:
    """One form input."""

    name: str
    kind: str  # text, textarea, number, checkbox, datetime-local, select
    required: bool
    choices: tuple[str, ...] = ()
    default: str = ""
    max_length: int | None = None

    @property
    def label(self) -> str:
        """What the person reads: the field's name in words ("scheduled_at": "Scheduled at")."""
        return self.name.replace("_", " ").capitalize()


def _bare(annotation: Any) -> Any:
    """The type under Annotated and `| None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            others = [a for a in get_args(annotation) if a is not type(None)]
            annotation = others[0] if len(others) == 1 else str
        else:
            return annotation


def _limits(field: FieldInfo) -> dict[str, int]:
    """The bounds the body declares (ge, le, max_length), from the field and its Annotated."""
    found: dict[str, int] = {}
    metadata = list(field.metadata)
    annotation = field.annotation
    while True:  # `Annotated[str, Field(max_length=…)] | None` keeps them inside the union
        origin = get_origin(annotation)
        if origin is Annotated:
            metadata.extend(get_args(annotation)[1:])
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            others = [a for a in get_args(annotation) if a is not type(None)]
            if len(others) != 1:
                break
            annotation = others[0]
        else:
            break
    for item in metadata:
        for part in getattr(item, "metadata", [item]):
            for key in ("ge", "le", "max_length"):
                value = getattr(part, key, None)
                if isinstance(value, int):
                    found[key] = value
    return found


_MAX_CHOICES = 12  # a whole-number field with at most this many values is a choice


def _input(name: str, field: FieldInfo) -> Input:
    bare = _bare(field.annotation)
    default = "" if field.default in (None, ...) or field.is_required() else str(field.default)
    if get_origin(bare) is Literal:
        return Input(name, "select", field.is_required(), tuple(str(a) for a in get_args(bare)),
                     default)
    if isinstance(bare, type) and issubclass(bare, Enum):
        return Input(name, "select", field.is_required(),
                     tuple(str(m.value) for m in bare), default)
    limits = _limits(field)
    if bare is int and "ge" in limits and "le" in limits \
            and limits["le"] - limits["ge"] < _MAX_CHOICES:
        return Input(name, "select", field.is_required(),
                     tuple(str(n) for n in range(limits["ge"], limits["le"] + 1)), default)
    kind = ("checkbox" if bare is bool else "number" if bare is int
            else "datetime-local" if bare in (datetime, AwareDatetime)
            or (isinstance(bare, type) and issubclass(bare, datetime))
            else "textarea" if name in ("message", "note") else "text")
    return Input(name, kind, field.is_required(), (), default, limits.get("max_length"))


def inputs_of(model: type[Body]) -> tuple[Input, ...]:
    """The inputs of a body's form, in the body's field order."""
    return tuple(_input(name, field) for name, field in model.model_fields.items())


class FormError(ValueError):
    """A posted form that is not a valid body; the message says what to fix."""


def read_form(model: type[Body], form: Mapping[str, Any], zone: str) -> Body:
    """The posted form as the body (times typed in `zone`); FormError if it is not one."""
    data: dict[str, Any] = {}
    for spec in inputs_of(model):
        raw = form.get(spec.name)
        if spec.kind == "checkbox":
            if raw is not None:
                data[spec.name] = True
            continue
        if not isinstance(raw, str) or raw.strip() == "":
            continue
        if spec.kind == "datetime-local":
            try:
                data[spec.name] = datetime.fromisoformat(raw).replace(tzinfo=ZoneInfo(zone))
            except ValueError:
                raise FormError(f"{spec.name}: expected a date and time") from None
        else:
            data[spec.name] = raw
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormError("; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}"
            for e in exc.errors())) from None
