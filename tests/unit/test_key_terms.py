"""Key terms: what the offline questions blank out and the offline poster shows."""

from __future__ import annotations

import pytest

from eduportal.adapters.local.key_terms import Occurrence, analyse, key_terms
from tests.support.texts import GEOGRAPHY, HISTORY, LANGUAGE, SCIENCE

TRIVIAL = {
    "energy", "thing", "people", "water", "air", "process", "make", "called", "food", "person",
    "place", "word", "action", "year", "large", "country", "countries", "river", "king", "later",
    "known", "free", "man", "usually", "quickly", "often", "one", "two", "six", "ten",
}  # fmt: skip
"""Words every text uses, and adverbs: blanks anyone could fill."""


def terms(sentence: str) -> list[str]:
    """The terms of a one-sentence text, best first."""
    (analysed,) = analyse(sentence)
    return [occurrence.term for occurrence in analysed.terms]


def occurrences(text: str) -> list[Occurrence]:
    return [occurrence for sentence in analyse(text) for occurrence in sentence.terms]


@pytest.mark.parametrize("text", [SCIENCE, HISTORY, GEOGRAPHY, LANGUAGE])
def test_common_words_are_never_key_terms(text: str) -> None:
    """Names may hold one ("Amazon River"); a term of common words alone is never one."""
    found = [occurrence.key.split() for occurrence in occurrences(text)]
    assert not [words for words in found if set(words) <= TRIVIAL]


def test_a_rare_word_outranks_a_common_one() -> None:
    assert terms("Plants release oxygen through their stomata.")[0] == "stomata"


def test_a_word_the_text_repeats_outranks_one_it_names_once() -> None:
    text = "Mitochondria make energy. Cells need mitochondria. Sloths are slow animals."
    assert key_terms(text, 1) == ["mitochondria"]


def test_a_name_is_one_term_without_the_article_before_it() -> None:
    found = terms("The Amazon River flows into the Atlantic Ocean.")
    assert {"Amazon River", "Atlantic Ocean"} <= set(found)
    assert not any(term.startswith("The") for term in found)


def test_a_name_at_the_start_of_a_sentence_is_still_a_name() -> None:
    assert terms("Magna Carta limited the power of the king.")[0] == "Magna Carta"
    assert "Pope Innocent III" in terms("Pope Innocent III declared the agreement invalid.")


def test_a_name_outranks_an_ordinary_word_as_common() -> None:
    found = terms("The treaty was signed in Paris by the diplomats.")
    assert found.index("Paris") < found.index("treaty")


def test_a_possessive_ends_a_name() -> None:
    found = terms("It was Britain's King Henry who broke with Rome.")
    assert {"Britain", "King Henry", "Rome"} <= set(found)


def test_an_ordinary_first_word_does_not_join_the_name_after_it() -> None:
    assert "John" in terms("King John sealed the charter at Runnymede.")
    assert "King John" not in terms("King John sealed the charter at Runnymede.")


def test_numbers_are_terms_as_written() -> None:
    assert set(terms("The river flows 6,400 kilometres and rose in 1215.")) >= {"6,400", "1215"}


def test_a_number_inside_a_word_is_not_a_term_of_its_own() -> None:
    assert "2" not in terms("Plants turn CO2 into sugar.")


@pytest.mark.parametrize(
    ("sentence", "compound"),
    [
        ("Plants take in carbon dioxide from the air.", "carbon dioxide"),
        ("Energy is stored in a molecule called adenosine triphosphate.", "adenosine triphosphate"),
        ("The cell wall is made of cellulose fibres and other sugars.", "cellulose fibres"),
    ],
)
def test_two_uncommon_words_after_a_preposition_are_one_term(sentence: str, compound: str) -> None:
    assert compound in terms(sentence)


def test_an_article_between_preposition_and_compound_changes_nothing() -> None:
    assert "carbon dioxide" in terms("Animals breathe out the carbon dioxide that plants need.")


def test_three_uncommon_words_in_a_row_are_single_words_unless_repeated() -> None:
    found = terms("More than a thousand tributaries feed the river.")
    assert "tributaries" in found
    assert not any(" " in term for term in found)


def test_a_subject_and_its_verb_are_not_a_compound() -> None:
    found = terms("Inside the leaves, chloroplasts capture sunlight.")
    assert "chloroplasts capture" not in found
    assert "chloroplasts" in found


def test_words_the_text_uses_together_twice_are_one_term_anywhere() -> None:
    text = "Plants take in carbon dioxide. Leaves turn carbon dioxide into sugar."
    assert [occurrence.term for occurrence in occurrences(text)].count("carbon dioxide") == 2


def test_a_term_the_sentence_repeats_is_marked_echoed() -> None:
    (sentence,) = analyse("Adjectives describe nouns: in a scarlet kite, the adjective is scarlet.")
    echoed = {occurrence.term: occurrence.echoed for occurrence in sentence.terms}
    assert echoed["Adjectives"] and echoed["adjective"] and echoed["scarlet"]
    assert not echoed["nouns"]


def test_plurals_and_capitals_are_one_term() -> None:
    keys = {occurrence.term: occurrence.key for occurrence in occurrences(SCIENCE + LANGUAGE)}
    assert keys["chloroplasts"] == "chloroplast"
    assert keys["clauses"] == "clause"
    assert keys["Photosynthesis"] == "photosynthesis"


def test_adverbs_are_not_terms_but_other_words_ending_in_ly_are() -> None:
    found = terms("The assembly walked slowly across the valley to find a supply of water.")
    assert "slowly" not in found
    assert {"assembly", "supply", "valley"} <= set(found)


def test_a_possessive_term_leaves_its_s_out() -> None:
    (sentence,) = analyse("Volcanoes break through the Earth's crust.")
    (earth,) = [occurrence for occurrence in sentence.terms if occurrence.key == "earth"]
    assert earth.term == "Earth"
    assert sentence.text[earth.start : earth.end] == "Earth"


def test_offsets_point_at_the_term_in_its_sentence() -> None:
    for sentence in analyse(SCIENCE + " " + HISTORY):
        for occurrence in sentence.terms:
            assert sentence.text[occurrence.start : occurrence.end] == occurrence.term


def test_key_terms_are_distinct_best_first_and_spelled_as_mid_sentence() -> None:
    found = key_terms(SCIENCE, 8)
    assert len(found) == len({term.lower() for term in found}) == 8
    assert found[0] == "carbon dioxide"
    text = "Photosynthesis feeds plants. Plants depend on photosynthesis."
    assert "photosynthesis" in key_terms(text, 3)


def test_the_same_text_always_gives_the_same_terms() -> None:
    assert analyse(GEOGRAPHY) == analyse(GEOGRAPHY)
    assert key_terms(HISTORY, 9) == key_terms(HISTORY, 9)
