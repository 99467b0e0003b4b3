"""A reply's own words: quoted history and the signature trimmed.

Mail clients quote in three ways: `> ` lines (most), an attribution line ("On Mon, … wrote:")
followed by the quote, and Outlook's "-----Original Message-----" or a "From: … Sent: …"
header block with the whole earlier message below, unquoted. Everything from the first such
marker on is history; a line of "-- " (RFC 3676) starts the signature.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^(On\b.{0,200}\bwrote:|Am\b.{0,200}\bschrieb.{0,40}:|Le\b.{0,200}\ba écrit\s*:"
    r"|El\b.{0,200}\bescribió:)\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Forwarded message)"
                       r"\s*-{2,}\s*$", re.IGNORECASE)
_HEADER_BLOCK = re.compile(r"^(From|Von|De):\s+\S", re.IGNORECASE)
_NEXT_HEADER = re.compile(r"^(Sent|Gesendet|Envoyé|Date|To|An|Subject|Betreff):\s", re.IGNORECASE)


def _history_starts(lines: list[str], i: int) -> bool:
    line = lines[i].strip()
    if line.startswith(">") or _ORIGINAL.match(line):
        return True
    # an attribution may wrap onto a second line ("On Mon, 1 Dec 2026, Jane\n<j@x> wrote:")
    joined = line if i + 1 >= len(lines) else f"{line} {lines[i + 1].strip()}"
    if line.lower().startswith(("on ", "am ", "le ", "el ")) and (
            _ATTRIBUTION.match(line) or _ATTRIBUTION.match(joined)):
        return True
    if _HEADER_BLOCK.match(line):  # Outlook: From: …, then Sent:/To:/Subject: lines
        return any(_NEXT_HEADER.match(n.strip()) for n in lines[i + 1:i + 4])
    return False


def trim_reply(text: str) -> str:
    """The text above the quoted history and the signature, blank lines at the ends removed."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if line.rstrip("\r") in ("-- ", "--") or _history_starts(lines, i):
            break
        kept.append(line.rstrip())
    return "\n".join(kept).strip("\n")
