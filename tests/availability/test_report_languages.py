"""A report in the contract's language, in every format: the six languages notices speak
(fa right to left); the JSON keeps its English keys, as an API does."""

from __future__ import annotations

import csv
import io
import re
import shutil
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import markupsafe
import pytest

from bridge.availability.html import as_html
from bridge.availability.monthly import month_report
from bridge.availability.render import CSV_COLUMNS, as_csv, as_table
from bridge.availability.words import LANGUAGES
from bridge.store import Database
from tests.availability.test_reports import NOW, seed
from tests.kits.engine import build_config, device

TITLES = {"en": "Availability report", "fi": "Käytettävyysraportti",
          "cs": "Zpráva o dostupnosti", "ru": "Отчёт о доступности",  # noqa: RUF001
          "it": "Rapporto di disponibilità", "fa": "گزارش دسترس‌پذیری"}


def report_in(tmp_path: Path, language: str, templates: str = "") -> dict[str, Any]:
    config = build_config(
        tmp_path, device("router", description="Edge router")
        + device("switch", parents=["router"]),
        extra=f'\n[customers.acme.contract]\navailability_target_pct = 99.5\n'
              f'language = "{language}"\n'
              + (f'templates = "{templates}"\n' if templates else ""))
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    seed(db)
    try:
        return month_report(db.reader, config, "acme", "2026-03", NOW)
    finally:
        db.dispose()


def test_every_language_has_every_phrase() -> None:
    def keys(text: dict[str, Any], prefix: str = "") -> set[str]:
        return {k for key, value in text.items()
                for k in (keys(value, f"{prefix}{key}.") if isinstance(value, dict)
                          else {f"{prefix}{key}"})}

    english = tomllib.loads((files("bridge.availability.words") / "en.toml").read_text("utf-8"))
    for language in LANGUAGES:
        text = tomllib.loads((files("bridge.availability.words") / f"{language}.toml")
                             .read_text("utf-8"))
        assert keys(text) == keys(english), language
        assert len(text["definitions"]) == len(english["definitions"]), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_report_comes_in_the_contracts_language(tmp_path: Path, language: str) -> None:
    report = report_in(tmp_path, language)
    assert report["language"] == language
    english = report_in(tmp_path / "en", "en")
    # the JSON is an API: the same keys in every language, the same figures
    assert report.keys() == english.keys()
    assert report["devices"] == english["devices"]
    assert (language == "en") == (report["definitions"] == english["definitions"])
    page = as_html(report)
    direction = "rtl" if language == "fa" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert f"<h1>{TITLES[language]}: Acme</h1>" in page
    assert str(markupsafe.escape(report["definitions"][0])) in page
    assert as_table(report).startswith(f"{TITLES[language]}: Acme (acme)")
    header, *rows = csv.reader(io.StringIO(as_csv(report)))
    assert len(header) == len(CSV_COLUMNS)
    assert (header == list(CSV_COLUMNS)) == (language == "en")
    # values, the total row's marker among them, read the same in every language
    assert rows == list(csv.reader(io.StringIO(as_csv(english))))[1:]
    assert rows[-1][2] == "TOTAL"


def test_finnish_reads_finnish_words_and_numbers(tmp_path: Path) -> None:
    report = report_in(tmp_path, "fi")
    text = as_table(report)
    assert "Käytettävyys: 99,809 % (Tavoite 99,50 %, saavutettu)" in text
    assert re.search(r"2026-03-31 23:00 +yhä poissa käytöstä +switch +ei tavoitettavissa: "
                     r"router oli poissa käytöstä +1 h", text), text
    assert "30 vrk 23 h" in text
    rows = list(csv.reader(io.StringIO(as_csv(report))))
    assert rows[0][:4] == ["asiakas", "kuukausi", "laite", "käytettävyys_%"]
    assert rows[-1][2] == "TOTAL"
    assert rows[1][3] == "99.7981"  # values stay machine-readable


def test_a_language_reports_do_not_speak_reads_english(tmp_path: Path) -> None:
    """A contract may speak a language of its own notice templates; its report reads English."""
    shutil.copytree(files("bridge.notify") / "templates" / "en",  # type: ignore[arg-type]
                    tmp_path / "config" / "own" / "pt-BR")
    report = report_in(tmp_path, "pt-BR", templates="own")
    assert report["language"] == "en"
    assert '<html lang="en" dir="ltr">' in as_html(report)


PERSIAN_DIGITS = re.compile("[\u06f0-\u06f9\u0660-\u0669\u066a\u066b]")
PERSIAN_LETTER = "[\u0600-\u06ff]"
TICKET = {"id": "INC-2026-000412", "priority": "P2", "status": "closed", "device": "switch",
          "opened": "2026-03-17T11:41:05+00:00", "reaction_s": 901, "reaction_target_s": 1800,
          "resolution_s": 2880, "resolution_target_s": 1800,
          "breached": "reaction, resolution"}


def page_text(page: str) -> str:
    """What a reader sees of a page: its text and its chart's labels, not its styles."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", page, flags=re.S))


def test_persian_writes_numbers_one_way_and_persian_punctuation(tmp_path: Path) -> None:
    """fa: Western digits with '.' and '%' everywhere (as the dates and names beside them
    are written), the sign joined to its number (a space would move it to the number's
    left in a right-to-left line), Persian commas and semicolons in running text."""
    report = report_in(tmp_path, "fa")
    report["tickets"] = [TICKET]
    table, page = as_table(report), as_html(report)
    assert "دسترس‌پذیری: 99.809% (هدف 99.50%، محقق شد)" in table
    assert "(خود دستگاه 1 ساعت 50 دقیقه، به‌سبب دستگاه بالادست 1 ساعت)؛ کسرشده" in table
    assert "محور از 90% تا 100%؛" in page  # the chart's caption
    assert ">92%</text>" in page  # a gridline's label
    assert "هدف 99.50%: محقق شد" in page
    assert "واکنش، حل" in table  # the breached clocks, listed
    for text in (table, page_text(page)):
        assert not PERSIAN_DIGITS.findall(text)
        assert not re.findall(r"\d %", text)
        # no Latin comma or semicolon next to Persian words
        assert not re.findall(f"{PERSIAN_LETTER}[,;]|[,;] ?{PERSIAN_LETTER}", text)


def test_the_persian_table_lines_up_around_direction_marks(tmp_path: Path) -> None:
    """A date in a right-to-left line is wrapped in invisible isolates, and Persian words
    carry zero-width non-joiners: neither takes a column of the terminal."""
    report = report_in(tmp_path, "fa")
    report["tickets"] = [TICKET]
    lines = as_table(report).splitlines()
    invisible = re.compile("[\u200c\u2066-\u2069]")

    def columns(line: str) -> list[int]:
        """Where each cell starts on the screen."""
        shown = invisible.sub("", line)
        return [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", shown)]

    header = next(i for i, line in enumerate(lines) if line.startswith("تیکت  "))
    assert columns(lines[header + 1])[:6] == columns(lines[header])[:6], lines[header:]
    assert "\u2066" in lines[header + 1]  # the date is isolated
    devices = next(i for i, line in enumerate(lines) if line.startswith("دستگاه  "))
    assert columns(lines[devices + 1]) == columns(lines[devices]), lines[devices:]
