"""Config errors an operator reads: `file:line: key.path: message`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, order=True)
class ConfigError:
    """One problem in one file, located as precisely as the file allows."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        key = f" {self.key}:" if self.key else ""
        return f"{self.file}:{self.line}:{key} {self.message}"


class ConfigErrors(Exception):
    """All errors found while loading a config; never only the first (and its warnings)."""

    def __init__(self, errors: list[ConfigError], warnings: list[ConfigError] | None = None,
                 ) -> None:
        self.errors = sorted(errors)
        self.warnings = sorted(warnings or [])
        super().__init__("\n".join(str(e) for e in self.errors))


def as_warning(error: ConfigError) -> ConfigError:
    """The same problem, worded as a warning: accepted, but likely not what was meant."""
    return ConfigError(error.file, error.line, error.key, f"warning: {error.message}")


class Errors(Protocol):
    """Where checks put what they find."""

    def add(self, error: ConfigError) -> None:
        """Record an error in the files themselves."""

    def warn(self, warning: ConfigError) -> None:
        """Record something accepted that likely does not do what was meant."""


class ErrorSink(Errors, Protocol):
    """Where stages that resolve secrets put what they find."""

    def add_secret(self, owner: tuple[str | int, ...], error: ConfigError) -> None:
        """Record a secret that cannot be resolved (or is unfit), for the entry using it."""


def format_key(path: tuple[str | int, ...]) -> str:
    """Render a key path the way it is written in TOML: `devices.web-1.probes[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if _is_bare(part) else f'"{part}"'
            out += f".{text}" if out else text
    return out


def _is_bare(key: str) -> bool:
    return bool(key) and all(c.isalnum() or c in "-_" for c in key)
