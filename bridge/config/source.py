"""A parsed config file and how to point at a key in it."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.config.errors import ConfigError, format_key
from bridge.config.toml_lines import KeyPath, line_of


@dataclass(frozen=True)
class Source:
    """A parsed file: its display name and where each key is."""

    name: str
    lines: dict[KeyPath, int]

    def has(self, path: KeyPath) -> bool:
        """Whether the file writes `path` itself (rather than leaving it to a default)."""
        return path in self.lines

    def error(self, path: KeyPath, message: str) -> ConfigError:
        """An error located at `path` in this file."""
        return ConfigError(self.name, line_of(self.lines, path), format_key(path), message)
