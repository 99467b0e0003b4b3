"""What every entry of the action table must have; tests/desk runs this on the real table.

An action that lacks a part (a label, an OpenAPI summary, a CLI verb that fills its body,
a template for its notice in every language ...) would surface as a silent gap: a button
with no text, a verb that cannot take the action, a change nobody is told of.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bridge.core.audience import NOTE
from bridge.desk.actions import DeskAction
from bridge.desk.bodies import Body, RecordBody
from bridge.notify.templates import BUILTIN_DIR

TAKEN_VERBS = frozenset({"create", "list", "show"})  # the CLI's other `incidents` verbs
LABEL_MAX = 20  # a portal button's text


def _languages(templates_dir: Path) -> list[Path]:
    return sorted(p for p in templates_dir.iterdir() if p.is_dir())


def _body_problems(spec: DeskAction) -> list[str]:
    fields = spec.body.model_fields
    problems = [f"{spec.name}: the CLI argument {arg.name} fills no body field {arg.target!r}"
                for arg in spec.cli.args if arg.target not in fields]
    filled = {arg.target for arg in spec.cli.args} | ({"message"} if spec.cli.message else set())
    problems += [f"{spec.name}: the CLI has no argument for the required field {name!r}"
                 for name, info in fields.items() if info.is_required() and name not in filled]
    if spec.cli.message and "message" not in fields:
        problems.append(f"{spec.name}: the CLI takes -m but the body has no message")
    if spec.move.is_record != (spec.update is not None):
        problems.append(f"{spec.name}: a record action needs an update (and only it has one)")
    if spec.move.is_record != issubclass(spec.body, RecordBody):
        problems.append(f"{spec.name}: a record action's body is a RecordBody (and only its)")
    if spec.update is not None and not (issubclass(spec.update.body, RecordBody)
                                        and spec.update.summary):
        problems.append(f"{spec.name}: its update needs a RecordBody and an OpenAPI summary")
    return problems


def _notice_problems(spec: DeskAction, templates_dir: Path) -> list[str]:
    if spec.notice is None:
        if spec.audience or spec.to_other_side:
            return [f"{spec.name}: an audience but no notice to tell it"]
        return []
    problems = []
    if not spec.audience and not spec.to_other_side:
        problems.append(f"{spec.name}: notice {spec.notice} has nobody to tell")
    problems += [f"{spec.name}: notice {spec.notice} has no template "
                 f"{lang.name}/{spec.notice}.txt"
                 for lang in _languages(templates_dir)
                 if not (lang / f"{spec.notice}.txt").is_file()]
    return problems


def entry_problems(spec: DeskAction, templates_dir: Path = BUILTIN_DIR) -> list[str]:
    """What one entry lacks."""
    problems = []
    if not re.fullmatch(r"[a-z][a-z_]*", spec.name) or spec.name in TAKEN_VERBS:
        problems.append(f"{spec.name!r}: a name is a free CLI verb and API path segment "
                        "(lowercase letters)")
    if not spec.allowed_from:
        problems.append(f"{spec.name}: allowed from no state")
    if not spec.timeline_kind or spec.timeline_kind == NOTE:
        problems.append(f"{spec.name}: needs a timeline kind of its own")
    for part in ("summary", "label"):
        if not getattr(spec, part).strip():
            problems.append(f"{spec.name}: no {part}")
    if len(spec.label) > LABEL_MAX:
        problems.append(f"{spec.name}: label over {LABEL_MAX} characters")
    if not spec.cli.help.strip():
        problems.append(f"{spec.name}: no CLI help")
    if not issubclass(spec.body, Body):
        problems.append(f"{spec.name}: its body is no Body")
        return problems
    return problems + _body_problems(spec) + _notice_problems(spec, templates_dir)


def table_problems(specs: Iterable[DeskAction], templates_dir: Path = BUILTIN_DIR) -> list[str]:
    """What the table lacks: each entry's gaps, and names or timeline kinds used twice."""
    specs = list(specs)
    problems = [p for spec in specs for p in entry_problems(spec, templates_dir)]
    for what, values in (("name", [s.name for s in specs]),
                         ("timeline kind", [s.timeline_kind for s in specs])):
        problems += [f"{what} {value!r} is used by {count} actions"
                     for value, count in Counter(values).items() if count > 1]
    return problems
