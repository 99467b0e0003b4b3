"""Every page word in each of the six languages: the same keys as English, a name for every
timeline kind a customer sees and for every action a customer may take."""

from __future__ import annotations

import re

import pytest

from bridge.availability.words import LANGUAGES
from bridge.core.timeline_texts import ASSIGNED, BY_KIND, ETA_SET, SLA_BREACHED
from bridge.desk.actions import Action
from bridge.desk.telling import PUBLIC_KINDS
from bridge.portal.words import page_words

FIELD = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_language_says_everything_english_says(language: str) -> None:
    words, english = page_words(language), page_words("en")
    assert words.language == language
    assert set(words.own) - {"actions"} == set(english.own)
    assert set(words.own["kinds"]) == set(PUBLIC_KINDS)
    if language != "en":  # English buttons are the table's labels
        assert set(words.own["actions"]) == {a.value for a in Action if a.spec.customer_may}
    assert words.direction == ("rtl" if language == "fa" else "ltr")


def test_english_buttons_are_the_action_tables_labels() -> None:
    words = page_words("en")
    for action in Action:
        assert words.action(action.value) == action.spec.label


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_language_says_every_sentence_the_desk_writes_on_a_timeline(language: str) -> None:
    """Each of the desk's own timeline sentences has a phrase with the same parts."""
    timeline = page_words(language).own["timeline_texts"]
    texts = {text for kind in BY_KIND.values() for text in kind}
    assert set(timeline) == {text.key for text in texts}
    for text in texts:
        assert set(FIELD.findall(timeline[text.key])) == set(FIELD.findall(text.english))


@pytest.mark.parametrize(("kind", "message", "finnish"), [
    ("assigned", ASSIGNED.write(assignee="Olga Operator"),
     "käsittelijäksi nimetty Olga Operator"),
    ("eta_set", ETA_SET.write(eta="2030-01-02 15:30 +02:00"),
     "arvioitu ratkaisuaika 2030-01-02 15:30 +02:00"),
    ("sla_breach", SLA_BREACHED.write(clock="reaction", at="2030-01-02 15:30 +02:00"),
     "Reagointi: tavoiteaika ylittyi 2030-01-02 15:30 +02:00"),
    ("closed", "closed: no answer from the customer 72 h after resolution",
     "suljettu: ei vastausta 72 tuntiin ratkaisun jälkeen"),
    # a person's own words stay as written, even when they begin as the desk's do
    ("eta_set", "ETA tomorrow, once the part arrives", "ETA tomorrow, once the part arrives"),
    ("assigned", "Olga takes this one", "Olga takes this one"),
    ("comment", "assigned to the wrong team?", "assigned to the wrong team?"),
])
def test_the_desks_sentences_read_in_the_customers_language(kind: str, message: str,
                                                            finnish: str) -> None:
    assert page_words("fi").entry(kind, message) == finnish


def test_a_time_in_a_persian_sentence_stays_left_to_right() -> None:
    said = page_words("fa").entry("eta_set", ETA_SET.write(eta="2030-01-02 15:30 +03:30"))
    assert said == "زمان تخمینی حل: \u20662030-01-02 15:30 +03:30\u2069"
