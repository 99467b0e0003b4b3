"""Every page word in each of the six languages: the same keys as English, a name for every
timeline kind a customer sees and for every action a customer may take."""

from __future__ import annotations

import pytest

from bridge.availability.words import LANGUAGES
from bridge.desk.actions import Action
from bridge.desk.telling import PUBLIC_KINDS
from bridge.portal.words import page_words


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
