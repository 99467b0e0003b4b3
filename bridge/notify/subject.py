"""How a subject is written into a mail header so that every reader reads it back exactly.

Python's own folding splits a long non-ASCII subject into several RFC 2047 encoded words
and leaves the spaces between words *between* encoded words, where RFC 2047 tells readers
to ignore them ("سرور کند" arrives as "سرورکند"); it may also fold right after
`Subject:`, which some readers keep as a leading space. So bridge writes the header itself:
a plain ASCII subject stays as it is (folded only before a space, which unfolding keeps),
and any other is a run of UTF-8 base64 encoded words that carry every character, spaces
included, each on its own line short enough for RFC 2047 (76) and RFC 5322 (998).
"""

from __future__ import annotations

import base64
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy, default
from typing import Any

# A line holding encoded words is at most 76 characters (RFC 2047 2); `Subject: ` plus a
# word of 39 UTF-8 bytes (12 + 52 characters) fits, and so does each continuation line.
_WORD_BYTES = 39
_LINE = 78  # RFC 5322 2.1.1: SHOULD be no longer than 78 characters
_PREFIX = len("Subject: ")


def _encoded_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode('ascii')}?="


def encoded_words(text: str) -> list[str]:
    """`text` as UTF-8 base64 encoded words, split between characters, never inside one."""
    words: list[str] = []
    chunk, size = "", 0
    for char in text:
        width = len(char.encode())
        if chunk and size + width > _WORD_BYTES:
            words.append(_encoded_word(chunk))
            chunk, size = "", 0
        chunk, size = chunk + char, size + width
    if chunk or not words:
        words.append(_encoded_word(chunk))
    return words


def _plain(text: str) -> bool:
    """Whether the text can stand in a header as it is: printable ASCII that no reader
    mistakes for an encoded word, with no space a reader would strip at either end."""
    return (text.isascii() and text.isprintable() and "=?" not in text
            and text == text.strip() and "  " not in text)


def _fold_plain(text: str) -> list[str] | None:
    """Lines of a plain subject, each break before a single space; None if a word is too
    long for a line (998) so the subject must be encoded instead."""
    lines: list[str] = []
    line, room = "", _LINE - _PREFIX
    for word in text.split(" "):
        piece = f" {word}" if line else word
        if line and len(line) + len(piece) > room:
            lines.append(line)
            line, room, piece = "", _LINE, f" {word}"
        line += piece
        if len(line) > 998 - _PREFIX:
            return None
    return [*lines, line]


def subject_lines(text: str) -> list[str]:
    """The header's value as lines: the first follows `Subject: `, the others are
    continuation lines (each starts with whitespace)."""
    if _plain(text):
        lines = _fold_plain(text)
        if lines is not None:
            return lines
    first, *rest = encoded_words(text)
    return [first, *(f" {word}" for word in rest)]


class SubjectHeader(UnstructuredHeader, BaseHeader):
    """A Subject header folded by `subject_lines`, whatever policy writes the message."""

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        """Keep the text as given: a subject bridge writes is never RFC 2047 already, so
        `=?…?=` in it is text, not an encoded word to decode."""
        super().parse(value, kwds)
        kwds["decoded"] = value

    def fold(self, *, policy: EmailPolicy) -> str:  # type: ignore[override]
        """The header as it goes on the wire."""
        lines = subject_lines(str(self))
        return f"{self.name}: {policy.linesep.join(lines)}{policy.linesep}"


def mail_policy() -> EmailPolicy[EmailMessage]:
    """The default policy, with bridge's Subject header."""
    registry = HeaderRegistry()
    registry.map_to_type("subject", SubjectHeader)
    return default.clone(header_factory=registry)
