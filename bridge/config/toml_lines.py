"""Find the line of a key path in TOML text.

tomllib returns plain values without positions, so error messages would lose the
line an operator has to edit. This scanner reads the same text line by line and
records where each table header and key starts. It understands what config files
use (tables, arrays of tables, dotted and quoted keys, multi-line arrays and
strings); anything deeper falls back to the line of the nearest enclosing key.
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


def _opens_multiline(value: str) -> str | None:
    """Return the closing token if `value` starts a construct spanning lines."""
    stripped = value.strip()
    for quote in ('"""', "'''"):
        if stripped.startswith(quote) and stripped.count(quote) == 1:
            return quote
    if stripped.startswith("[") and _bracket_depth(stripped) > 0:
        return "]"
    return None


def _bracket_depth(text: str) -> int:
    depth = 0
    in_str: str | None = None
    for ch in text:
        if in_str:
            if ch == in_str:
                in_str = None
        elif ch in "\"'":
            in_str = ch
        elif ch == "#":
            break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map every table header and key path in `text` to its 1-based line."""
    lines: dict[KeyPath, int] = {}
    array_counts: dict[tuple[str, ...], int] = {}
    table: KeyPath = ()
    closing: str | None = None
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if closing == "]":
            depth += _bracket_depth(line)
            if depth <= 0:
                closing = None
            continue
        if closing:
            if closing in line:
                closing = None
            continue
        if m := _ARRAY_TABLE.match(line):
            name = _split(m.group(1))
            index = array_counts.get(name, 0)
            array_counts[name] = index + 1
            table = (*name, index)
            lines.setdefault(name, number)
            lines[table] = number
        elif m := _TABLE.match(line):
            table = _split(m.group(1))
            lines.setdefault(table, number)
        elif m := _ASSIGN.match(line):
            path = (*table, *_split(m.group(1)))
            for i in range(len(table) + 1, len(path) + 1):
                lines.setdefault(path[:i], number)
            closing = _opens_multiline(m.group(2))
            if closing == "]":
                depth = _bracket_depth(m.group(2))
    return lines


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int:
    """Line of `path`, or of its nearest enclosing key; 1 when nothing matches."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1
