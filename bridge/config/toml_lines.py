"""Find the line of a key path in TOML text.

tomllib returns plain values without positions, so error messages would lose the
line an operator has to edit. This scanner reads the same text line by line and
records where each table header, key and array item starts. It understands what
config files use (tables, arrays of tables, dotted and quoted keys, multi-line
arrays and strings); anything deeper falls back to the line of the nearest
enclosing key.
"""

from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]

_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_ARRAY_TABLE = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_TABLE = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=\s*(.*)$")
_PART = re.compile(_KEY)


def _split(dotted: str) -> tuple[str, ...]:
    parts = []
    for m in _PART.finditer(dotted):
        text = m.group(0)
        if text[0] in "\"'":
            text = text[1:-1]
        parts.append(text)
    return tuple(parts)


class _Value:
    """Follows one value across lines; records the line of each item of a top-level array."""

    def __init__(self, path: KeyPath, lines: dict[KeyPath, int]) -> None:
        self.path = path
        self.lines = lines
        self.depth = 0
        self.quote: str | None = None
        self.is_array: bool | None = None
        self.expect_item = False
        self.index = 0

    def feed(self, text: str, number: int) -> bool:
        """Consume one line of the value; True once the value is complete."""
        i = 0
        while i < len(text):
            ch = text[i]
            if self.quote:
                if ch == "\\" and self.quote[0] == '"':
                    i += 2
                elif text.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                else:
                    i += 1
                continue
            if ch == "#":
                break
            if ch in " \t\r":
                i += 1
                continue
            if self.is_array is None:
                self.is_array = ch == "["
            if self.is_array and self.depth == 1 and self.expect_item and ch not in ",]":
                self.lines.setdefault((*self.path, self.index), number)
                self.index += 1
                self.expect_item = False
            if ch in "\"'":
                self.quote = ch * 3 if text.startswith(ch * 3, i) else ch
                i += len(self.quote)
                continue
            if ch in "[{":
                self.depth += 1
                self.expect_item = self.expect_item or (self.depth == 1 and ch == "[")
            elif ch in "]}":
                self.depth -= 1
            elif ch == "," and self.depth == 1:
                self.expect_item = True
            i += 1
        if self.quote in ('"', "'"):  # a one-line string cannot continue; tomllib reports it
            self.quote = None
        return self.depth <= 0 and self.quote is None


def _resolve(name: tuple[str, ...], array_counts: dict[KeyPath, int]) -> KeyPath:
    """A header's path, with the index of the current element of each array of tables in it."""
    out: list[str | int] = []
    for part in name:
        out.append(part)
        count = array_counts.get(tuple(out))
        if count:
            out.append(count - 1)
    return tuple(out)


def _set_prefixes(lines: dict[KeyPath, int], path: KeyPath, start: int, number: int) -> None:
    for i in range(start, len(path) + 1):
        lines.setdefault(path[:i], number)


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map every table header, key path and array item in `text` to its 1-based line."""
    lines: dict[KeyPath, int] = {}
    array_counts: dict[KeyPath, int] = {}
    table: KeyPath = ()
    value: _Value | None = None
    # Split on "\n" only, as tomllib counts lines; str.splitlines would also break
    # at characters such as U+2028 that are legal inside TOML strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if value is not None:
            if value.feed(line, number):
                value = None
            continue
        if m := _ARRAY_TABLE.match(line):
            name = _split(m.group(1))
            base = (*_resolve(name[:-1], array_counts), name[-1])
            index = array_counts.get(base, 0)
            array_counts[base] = index + 1
            table = (*base, index)
            _set_prefixes(lines, base, 1, number)
            lines[table] = number
        elif m := _TABLE.match(line):
            table = _resolve(_split(m.group(1)), array_counts)
            _set_prefixes(lines, table, 1, number)
        elif m := _ASSIGN.match(line):
            path = (*table, *_split(m.group(1)))
            _set_prefixes(lines, path, len(table) + 1, number)
            value = _Value(path, lines)
            if value.feed(m.group(2), number):
                value = None
    return lines


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int:
    """Line of `path`, or of its nearest enclosing key; 1 when nothing matches."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1
