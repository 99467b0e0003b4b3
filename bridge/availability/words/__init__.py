"""A report's words in the contract's language: one TOML file per language, the same six as
notices (fa is written right to left). An unknown language reads English."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

LANGUAGES = ("en", "fi", "cs", "ru", "it", "fa")
FALLBACK = "en"


@dataclass(frozen=True)
class Words:
    """What a report says in one language."""

    language: str
    text: Mapping[str, Any]

    def __call__(self, key: str, **values: object) -> str:
        """A phrase, its {placeholders} filled in."""
        phrase: str = self.text[key]
        return phrase.format(**values) if values else phrase

    @property
    def direction(self) -> str:
        """"ltr", or "rtl" for a language written right to left."""
        return str(self.text["direction"])

    @property
    def definitions(self) -> list[str]:
        """How the report's figures are counted, one sentence group per item."""
        return list(self.text["definitions"])

    def ltr(self, text: str) -> str:
        """Text written left to right (a date, a time) kept whole in a right-to-left line:
        isolated, or '2026-03-04 09:12' reads '09:12 2026-03-04'."""
        return f"\u2066{text}\u2069" if self.direction == "rtl" else text

    def status(self, status: str) -> str:
        """A ticket's status as a customer reads it."""
        return str(self.text["statuses"].get(status, status))

    def csv_header(self, column: str) -> str:
        """A CSV column's header."""
        return str(self.text["csv"][column])


def language_of(tag: str) -> str:
    """The report language for a contract's language tag: 'fi-FI' is fi, 'de' English."""
    base = tag.split("-")[0].lower()
    return base if base in LANGUAGES else FALLBACK


@cache
def words_for(tag: str) -> Words:
    """The words for a contract's language tag (read once per language)."""
    language = language_of(tag)
    text = (files(__package__) / f"{language}.toml").read_text(encoding="utf-8")
    return Words(language, tomllib.loads(text))
