"""A parsed config file and how to point at a key in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from bridge.config.errors import ConfigError, format_key
from bridge.config.toml_lines import KeyPath, key_lines, line_of


@dataclass(frozen=True)
class Source:
    """A parsed file: its display name and where each key is.

    The lines are found only when first asked for (an error, a warning, a check whether a
    key is written): a valid config needs few or none of them, and the index of a file of
    50,000 devices is ~50 MiB and ~1.4 s of CPU while the config loads.
    """

    name: str
    text: str = field(repr=False)

    @cached_property
    def lines(self) -> dict[KeyPath, int]:
        """Every table header, key path and array item of the file, by path: its line."""
        return key_lines(self.text)

    def has(self, path: KeyPath) -> bool:
        """Whether the file writes `path` itself (rather than leaving it to a default)."""
        return path in self.lines

    def error(self, path: KeyPath, message: str) -> ConfigError:
        """An error located at `path` in this file."""
        return ConfigError(self.name, line_of(self.lines, path), format_key(path), message)
