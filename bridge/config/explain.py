"""Turn pydantic's validation errors into sentences an operator can act on."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

_TOML_TYPES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "an array",
    dict: "a table",
    date: "a date",
    datetime: "a date-time",
}

_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "an array",
    "tuple_type": "an array",
    "dict_type": "a table",
    "date_type": "a date such as 2026-12-24 (unquoted)",
    "model_type": "a table",
    "model_attributes_type": "a table",
}

_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def _toml_type(value: Any) -> str:
    return _TOML_TYPES.get(type(value), type(value).__name__)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional to reach the class (or tagged union) that validates."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) > 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _tags(annotation: Any) -> dict[str, type[BaseModel]]:
    """The models of a union discriminated by `kind`, by tag; empty for anything else."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return {}
    tags: dict[str, type[BaseModel]] = {}
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel) and "kind" in arg.model_fields:
            for tag in typing.get_args(arg.model_fields["kind"].annotation):
                tags[str(tag)] = arg
    return tags


def walk_loc(
    schema: type[BaseModel], loc: tuple[int | str, ...]
) -> tuple[tuple[int | str, ...], type[BaseModel] | None]:
    """The key path as written in TOML (pydantic's union tags removed), and the model
    class that validates the table at its end, if the path leads to one."""
    path, annotation = _annotation_at(schema, loc)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return path, annotation
    return path, None


def _annotation_at(
    schema: type[BaseModel], loc: tuple[int | str, ...]
) -> tuple[tuple[int | str, ...], Any]:
    current: Any = schema
    path: list[int | str] = []
    for part in loc:
        if part == "[key]":  # pydantic marks a dict key that failed validation
            continue
        current = _unwrap(current)
        tags = _tags(current)
        if tags:
            current = tags.get(str(part))
            if current is None:
                return (*path, part), None
            continue
        path.append(part)
        origin = typing.get_origin(current)
        if origin in (dict, list):
            current = typing.get_args(current)[-1]
        elif origin is tuple:
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = None if field is None else field.annotation
        else:
            current = None
    return tuple(path), _unwrap(current)


_SECRET_KEYS = ("secret", "password", "community", "auth_key", "priv_key")


def _shown(item: ErrorDetails) -> str:
    """The offending value as the operator wrote it; a secret's stays hidden."""
    if item["loc"][-1:] and item["loc"][-1] in _SECRET_KEYS:
        return "(value hidden)"
    return repr(item.get("input"))


def _one_of(options: list[str]) -> str:
    quoted = [repr(o) for o in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def explain(schema: type[BaseModel], item: ErrorDetails) -> str:
    """One sentence for one pydantic error, naming what is expected."""
    kind = item["type"]
    ctx = item.get("ctx") or {}
    value = item.get("input")
    shown = _shown(item)
    if kind == "extra_forbidden":
        model = walk_loc(schema, tuple(item["loc"][:-1]))[1]
        allowed = ", ".join(model.model_fields) if model else ""
        return f"unknown key; expected one of: {allowed}" if allowed else "unknown key"
    if kind in ("missing", "union_tag_not_found"):
        return "required key is missing"
    if kind == "union_tag_invalid":
        tags = list(_tags(_annotation_at(schema, tuple(item["loc"]))[1]))
        shown = repr(value.get("kind")) if isinstance(value, dict) else shown
        return f"expected one of {_one_of(tags)}, got {shown}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_toml_type(value)} {shown}"
    if kind == "enum":
        return f"expected one of {ctx.get('expected')}, got {shown}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == _NAME_PATTERN:
            return (
                f"expected a name of letters, digits, '.', '_' or '-' "
                f"(starting with a letter or digit), got {shown}"
            )
        return f"expected a value matching {ctx.get('pattern')}, got {shown}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
              "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        return f"must be {op} {bound}, got {shown}"
    if kind == "too_short":
        if ctx.get("min_length") == 1:
            return "must not be empty"
        return f"must have at least {ctx.get('min_length')} items"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind in ("string_too_short", "string_too_long"):
        return item["msg"].replace("String", "value")
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    return item["msg"]
