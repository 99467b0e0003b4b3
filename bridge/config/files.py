"""Read config files: TOML with the line of every key, validated file by file."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bridge.config.errors import ConfigError, as_warning, format_key
from bridge.config.explain import explain, walk_loc
from bridge.config.main_file import MainFile, PathsSection
from bridge.config.references import Unloaded
from bridge.config.salvage import salvage
from bridge.config.source import Source
from bridge.config.toml_lines import KeyPath

M = TypeVar("M", bound=BaseModel)

# tomllib puts the position at the end of its message: "Invalid value (at line 2, column 5)".
_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")
_DECLARED_TWICE = re.compile(r"^Cannot declare (\(.*\)) twice$")


class Collector:
    """Gathers errors from every stage so `bridge check` can print them all.

    With `defer_secrets`, a secret that cannot be resolved is not an error of the load but
    of the entry that uses it (a device, a token, a channel): a verb that needs only some
    entries looks up theirs in `unresolved`.
    """

    def __init__(self, *, defer_secrets: bool = False) -> None:
        self.errors: list[ConfigError] = []
        self.warnings: list[ConfigError] = []
        self.unresolved: dict[KeyPath, list[ConfigError]] = {}
        self._defer_secrets = defer_secrets

    def add(self, error: ConfigError) -> None:
        """Record one error."""
        self.errors.append(error)

    def warn(self, warning: ConfigError) -> None:
        """Record one warning."""
        self.warnings.append(as_warning(warning))

    def add_secret(self, owner: KeyPath, error: ConfigError) -> None:
        """Record a secret of `owner` that cannot be resolved or is unfit."""
        if self._defer_secrets:
            self.unresolved.setdefault(owner, []).append(error)
        else:
            self.errors.append(error)


def _syntax_error(name: str, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(exc)
    line, where = 1, ""
    if m := _POSITION.search(message):
        message = message[: m.start()]
        if m.group(1):
            line, where = int(m.group(1)), f" (column {m.group(2)})"
        else:
            line, where = text.rstrip("\n").count("\n") + 1, " (at end of file)"
    if m := _DECLARED_TWICE.match(message):
        message = f"table [{format_key(ast.literal_eval(m.group(1)))}] is declared twice"
    elif message == "Cannot overwrite a value":
        message = "this key is already defined earlier in the file"
    else:
        message = message[:1].lower() + message[1:]
    return ConfigError(name, line, "", f"invalid TOML: {message}{where}")


def read_toml(path: Path, name: str, errors: Collector) -> tuple[dict[str, Any], Source] | None:
    """Parse one file; None (with the error recorded) if impossible."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        errors.add(ConfigError(name, 1, "", f"cannot read file: {reason}"))
        return None
    try:
        return tomllib.loads(text), Source(name, text)
    except tomllib.TOMLDecodeError as exc:
        errors.add(_syntax_error(name, text, exc))
        return None


def validate(
    schema: type[M], data: dict[str, Any], source: Source, errors: Collector,
    homes: dict[str, str],
) -> M | None:
    """Validate one file. `homes` says where each top-level table belongs, for misplaced ones."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        report(schema, exc, source, errors, homes)
        return None


def report(schema: type[M], exc: ValidationError, source: Source, errors: Collector,
           homes: dict[str, str]) -> None:
    """Record every error of a file's validation."""
    items = exc.errors()
    for item in items:
        if item["type"] == "too_short" and _has_item_error(item["loc"], items):
            continue  # pydantic counts only the valid items: the list is not empty
        path: KeyPath = walk_loc(schema, tuple(item["loc"]))[0]
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, "kind")
        message = explain(schema, item)
        if item["type"] == "extra_forbidden" and len(path) == 1 and str(path[0]) in homes:
            message = f"unknown key here; [{path[0]}] tables belong in {homes[str(path[0])]}"
        errors.add(source.error(path, message))


def _has_item_error(loc: tuple[int | str, ...], items: list[ErrorDetails]) -> bool:
    return any(len(other["loc"]) > len(loc) and other["loc"][:len(loc)] == loc
               for other in items)


def paths_of(data: dict[str, Any]) -> PathsSection | None:
    """The folder settings, even when another part of bridge.toml is invalid."""
    try:
        return PathsSection.model_validate(data.get("paths", {}))
    except ValidationError:
        return None  # reported by the validation of bridge.toml


def homes_of(paths: PathsSection, main_name: str) -> dict[str, str]:
    """Where each top-level table belongs, to point at misplaced ones."""
    return {"customers": f"{paths.config}/", "devices": f"{paths.config}/",
            "maintenance": f"{paths.config}/", "calendars": f"{paths.config}/",
            "probes": f"{paths.probes}/", "rules": f"{paths.rules}/",
            "escalations": f"{paths.rules}/",
            **dict.fromkeys(MainFile.model_fields, main_name)}


class Folders:
    """Loads the drop-in folders, remembering what rejected files declared."""

    def __init__(self, base_dir: Path, main_source: Source, paths: PathsSection,
                 errors: Collector) -> None:
        self.base_dir = base_dir
        self.main_source = main_source
        self.errors = errors
        self.unloaded = Unloaded()
        self.homes = homes_of(paths, main_source.name)

    def load(self, key: str, folder: str, schema: type[M]) -> list[tuple[M, Source]]:
        """Every *.toml file of one folder, in file-name order; a file with errors
        contributes the entries that are valid on their own."""
        sections = list(schema.model_fields)
        directory = self.base_dir / folder
        if not directory.is_dir():
            self.errors.add(self.main_source.error(
                ("paths", key),
                f"folder {folder}/ does not exist; create it or set paths.{key}",
            ))
            self.unloaded.sections.update(sections)
            return []
        loaded = []
        for path in sorted(directory.glob("*.toml")):
            if path.name.startswith("."):  # editor lock and swap files
                continue
            # Named as paths.* names the folder: relative to bridge.toml, like the
            # issue's `probes/core.toml:7`, and free of this host's layout in API replies.
            parsed = read_toml(path, str(Path(folder) / path.name), self.errors)
            if parsed is None:
                self.unloaded.sections.update(sections)
                continue
            data, source = parsed
            try:
                loaded.append((schema.model_validate(data), source))
            except ValidationError as exc:
                report(schema, exc, source, self.errors, self.homes)
                model, dropped = salvage(schema, data, exc.errors())
                self._note(data, dropped)
                loaded.append((model, source))
        return loaded

    def _note(self, data: dict[str, Any], dropped: set[KeyPath]) -> None:
        """Remember what a rejected file meant to define, so that references to it are
        not reported as unknown, and which entries lost which keys."""
        for path in dropped:
            section = str(path[0])
            if len(path) == 1:
                table = data.get(section)
                if isinstance(table, dict):
                    self.unloaded.names.setdefault(section, set()).update(table)
                else:  # not even a table: it may have meant to define anything
                    self.unloaded.sections.add(section)
            elif len(path) == 2:
                self.unloaded.names.setdefault(section, set()).add(str(path[1]))
            else:
                self.unloaded.partial.dropped.setdefault(
                    (section, str(path[1])), set()).add(path[2:])
