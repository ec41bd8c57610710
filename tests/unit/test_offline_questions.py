"""The offline question generator: cloze questions on the key terms of distinct sentences."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduportal.adapters.local.offline_questions import BLANK, PREFIX, OfflineQuestionGenerator
from eduportal.domain.assignments import QUESTIONS_PER_ASSIGNMENT, numbered
from eduportal.domain.errors import ValidationError
from tests.support.other_process import in_another_process
from tests.support.texts import GEOGRAPHY, HISTORY, LANGUAGE, SCIENCE, TEXT


def sentence_of(question: str, answer: str) -> str:
    """The sentence a cloze question was cut from: its one blank filled with the answer."""
    assert question.startswith(PREFIX) and question.count(BLANK) == 1, question
    return question.removeprefix(PREFIX).replace(BLANK, answer)


def assert_valid(pairs: list[tuple[str, str]], text: str, count: int) -> None:
    """`count` questions, each a sentence of `text` with exactly its answer blanked, each from
    another sentence, none showing its own answer."""
    assert len(pairs) == count
    sentences = [sentence_of(question, answer) for question, answer in pairs]
    assert len(set(sentences)) == count
    for (question, answer), sentence in zip(pairs, sentences, strict=True):
        assert answer.strip() and answer in text
        assert sentence.removesuffix(".") in text
        cloze = question.removeprefix(PREFIX)
        assert not re.search(rf"(?<!\w){re.escape(answer)}(?!\w)", cloze, re.IGNORECASE)
    numbered(pairs)  # the domain accepts them as an assignment's questions


# --- classroom texts --------------------------------------------------------------------------

CLASSROOM = {
    "science": (
        SCIENCE,
        {"Photosynthesis", "carbon dioxide", "chloroplasts", "glucose"},
        {"energy", "process", "air", "water", "food", "green", "make", "simple"},
    ),
    "history": (
        HISTORY,
        {"barons", "Runnymede", "Magna Carta"},
        {"king", "angry", "free", "man", "later", "weeks", "known", "became"},
    ),
    "geography": (
        GEOGRAPHY,
        {"6,400", "Rio Negro", "sloths", "loggers"},
        {"river", "countries", "year", "large", "largest", "areas", "parts", "live", "six"},
    ),
    "language": (
        LANGUAGE,
        {"noun", "verb", "Adverbs"},
        {"word", "thing", "person", "place", "action", "usually", "quickly", "one", "two"},
    ),
}


@pytest.mark.parametrize(("text", "expected", "trivial"), CLASSROOM.values(), ids=CLASSROOM)
def test_blanks_fall_on_the_key_terms_of_distinct_sentences(
    text: str, expected: set[str], trivial: set[str]
) -> None:
    pairs = OfflineQuestionGenerator().generate(text, QUESTIONS_PER_ASSIGNMENT)
    assert_valid(pairs, text, QUESTIONS_PER_ASSIGNMENT)
    answers = {answer for _, answer in pairs}
    assert expected <= answers
    assert not any(set(answer.lower().split()) & trivial for answer in answers), answers
    assert len({answer.lower() for answer in answers}) == QUESTIONS_PER_ASSIGNMENT


def test_a_question_reads_as_its_sentence_with_the_term_blanked() -> None:
    pairs = OfflineQuestionGenerator().generate(SCIENCE, QUESTIONS_PER_ASSIGNMENT)
    assert (
        "Fill in the blank: Plants take in ____ from the air through tiny pores called stomata.",
        "carbon dioxide",
    ) in pairs


def test_a_term_the_sentence_repeats_is_never_blanked() -> None:
    """ "the adjective is scarlet" would answer a blank on "Adjectives" or "scarlet"."""
    pairs = OfflineQuestionGenerator().generate(LANGUAGE, QUESTIONS_PER_ASSIGNMENT)
    answers = {answer.lower() for question, answer in pairs if "scarlet" in question}
    assert answers
    assert not answers & {"adjectives", "adjective", "scarlet"}


def test_a_term_is_asked_where_the_text_introduces_it() -> None:
    pairs = OfflineQuestionGenerator().generate(LANGUAGE, QUESTIONS_PER_ASSIGNMENT)
    assert (
        "Fill in the blank: A ____ is a word that names a person, a place or a thing.",
        "noun",
    ) in pairs


def test_a_compound_named_once_is_blanked_whole() -> None:
    pairs = OfflineQuestionGenerator().generate(TEXT, QUESTIONS_PER_ASSIGNMENT)
    assert_valid(pairs, TEXT, QUESTIONS_PER_ASSIGNMENT)
    assert ("Fill in the blank: The ____ is the powerhouse of the cell.", "mitochondrion") in pairs
    assert (
        "Fill in the blank: This energy is stored in a molecule called ____.",
        "adenosine triphosphate",
    ) in pairs


@pytest.mark.parametrize("text", [SCIENCE, HISTORY, GEOGRAPHY, LANGUAGE, TEXT])
def test_the_same_text_always_gives_the_same_questions(text: str) -> None:
    first = OfflineQuestionGenerator().generate(text, QUESTIONS_PER_ASSIGNMENT)
    assert OfflineQuestionGenerator().generate(text, QUESTIONS_PER_ASSIGNMENT) == first


def test_questions_do_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "import json; from eduportal.adapters.local.offline_questions import "
        "OfflineQuestionGenerator as G; "
        f"print(json.dumps([G().generate(text, 5) for text in {[SCIENCE, LANGUAGE]!r}]))"
    )
    output = in_another_process(script)
    here = [OfflineQuestionGenerator().generate(text, 5) for text in (SCIENCE, LANGUAGE)]
    assert output == [[list(pair) for pair in pairs] for pairs in here]


def test_a_number_or_a_name_beats_an_ordinary_word() -> None:
    generator = OfflineQuestionGenerator()
    assert generator.generate("Water boils at 100 degrees.", 1)[0][1] == "100"
    ((_, answer),) = generator.generate("The French Revolution began in 1789.", 1)
    assert answer in {"1789", "French Revolution"}


# --- texts too short for the questions asked --------------------------------------------------


def test_one_sentence_gives_one_question_not_five() -> None:
    text = "Water boils at 100 degrees Celsius at sea level."
    assert_valid(OfflineQuestionGenerator().generate(text, 1), text, 1)
    with pytest.raises(ValidationError, match=r"at least 5 sentences .* has only 1\."):
        OfflineQuestionGenerator().generate(text, 5)


def test_a_repeated_sentence_counts_once() -> None:
    text = "Water boils at 100 degrees Celsius. " * 5
    with pytest.raises(ValidationError, match="has only 1"):
        OfflineQuestionGenerator().generate(text, 2)


@pytest.mark.parametrize(
    "text", ["", "   \n ", "Photosynthesis.", "It is what it is.", "Cells divide."]
)
def test_too_little_text_asks_for_a_longer_one(text: str) -> None:
    with pytest.raises(ValidationError, match="Please give a longer text") as refused:
        OfflineQuestionGenerator().generate(text, 5)
    assert "this text has none" in refused.value.user_message


def test_sentences_of_common_words_only_hold_no_question() -> None:
    text = "People make things. They want more of them. It is a good thing to have."
    with pytest.raises(ValidationError, match="key term"):
        OfflineQuestionGenerator().generate(text, 1)


def test_a_text_without_punctuation_gives_readable_questions() -> None:
    text = " ".join(f"word{index} topic{index % 7}" for index in range(400))
    pairs = OfflineQuestionGenerator().generate(text, 5)
    assert_valid(pairs, text, 5)
    assert all(len(question.split()) <= 45 for question, _ in pairs)


def test_a_stretch_that_is_not_prose_is_left_out() -> None:
    text = f"{TEXT} See https://example.org/{'x' * 3000} for more about cells."
    pairs = OfflineQuestionGenerator().generate(text, 5)
    assert_valid(pairs, text, 5)
    assert not any("example.org" in question for question, _ in pairs)


_RARE_WORDS = st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=4, max_size=10)
"""No vowels: never an English word, so never a common one and never a function word."""


@st.composite
def texts_of_sentences(draw: st.DrawFn) -> str:
    """Five to ten sentences of three to twelve uncommon words, no word used twice."""
    lengths = draw(st.lists(st.integers(3, 12), min_size=5, max_size=10))
    words = draw(st.lists(_RARE_WORDS, min_size=sum(lengths), max_size=sum(lengths), unique=True))
    sentences = []
    for length in lengths:
        sentence, words = words[:length], words[length:]
        sentences.append(" ".join(sentence).capitalize() + draw(st.sampled_from(".!?")))
    return " ".join(sentences)


# Portal property (offline generators): any text of five sentences with uncommon words gives
# an assignment's five questions, each from another sentence, each answered by the words of
# the text that the question leaves out.
@given(texts_of_sentences())
def test_any_text_of_five_sentences_yields_five_questions(text: str) -> None:
    pairs = OfflineQuestionGenerator().generate(text, QUESTIONS_PER_ASSIGNMENT)
    assert_valid(pairs, text, QUESTIONS_PER_ASSIGNMENT)


# Portal property (offline generators): any text gives valid questions or asks for a longer
# one; nothing else (no crash, no invalid pair).
@given(st.text(max_size=400))
def test_any_text_gives_valid_questions_or_asks_for_a_longer_one(text: str) -> None:
    try:
        pairs = OfflineQuestionGenerator().generate(text, QUESTIONS_PER_ASSIGNMENT)
    except ValidationError as error:
        assert "longer text" in error.user_message
    else:
        assert_valid(pairs, text, QUESTIONS_PER_ASSIGNMENT)
