"""A page's words in the reader's language: the portal's own (one TOML file per language,
the six of notices and reports), with the report's for what they share (statuses, units,
priority, reaction, resolution, the direction of writing). Actions read as the action table
labels them, or as the language's `[actions]` names them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from bridge.availability.text import duration, local_time, pct
from bridge.availability.words import Words, language_of, words_for
from bridge.core.timeline_texts import read_entry
from bridge.desk.actions import action_named


@dataclass(frozen=True)
class PageWords:
    """What a page says, in one language."""

    language: str
    own: dict[str, Any]
    report: Words

    def __call__(self, key: str, **values: object) -> str:
        """A phrase, its {placeholders} filled in."""
        phrase = self.own.get(key)
        if not isinstance(phrase, str):
            return self.report(key, **values)
        return phrase.format(**values) if values else phrase

    @property
    def direction(self) -> str:
        """"ltr", or "rtl" (fa)."""
        return self.report.direction

    def status(self, status: str) -> str:
        """A ticket's status as the reader reads it."""
        return self.report.status(status)

    def action(self, name: str) -> str:
        """An action's button: the language's name for it, else the table's label."""
        named = self.own.get("actions", {}).get(name)
        if isinstance(named, str):
            return named
        action = action_named(name)
        return action.spec.label if action is not None else name

    def kind(self, kind: str) -> str:
        """A timeline entry's kind as the reader reads it (the desk's own kinds as stored)."""
        named = self.own.get("kinds", {}).get(kind)
        return named if isinstance(named, str) else kind

    def entry(self, kind: str, message: str) -> str:
        """A timeline entry's text: the desk's own sentence (core/timeline_texts.py) in the
        reader's language, its names and times as written; a person's words as written."""
        found = read_entry(kind, message)
        phrase = self.own.get("timeline_texts", {}).get(found[0].key) if found else None
        if found is None or not isinstance(phrase, str):
            return message
        parts = {name: self.report.ltr(value) if name in ("eta", "at") else value
                 for name, value in found[1].items()}
        if "clock" in parts:
            parts["clock"] = self.report(parts["clock"])
        return phrase.format(**parts)

    def duration(self, seconds: float | None) -> str:
        """'2 h 5 min' in the reader's units."""
        return duration(seconds, self.report)

    def pct(self, value: float | None) -> str:
        """A percentage the report's way ('99.832 %'); '-' for none."""
        return pct(value, self.report)

    def time(self, text: str | None, zone: str) -> str:
        """An ISO instant as wall-clock time in `zone`, kept left to right in an rtl line."""
        return self.report.ltr(local_time(text, zone)) if text else self("none")


@cache
def page_words(tag: str) -> PageWords:
    """The words for a contract's language tag (read once per language)."""
    language = language_of(tag)
    text = (files(__package__) / f"{language}.toml").read_text(encoding="utf-8")
    return PageWords(language, tomllib.loads(text), words_for(language))
