"""The offline generators: honest, deterministic stand-ins for the Bedrock models."""

from __future__ import annotations

import io
import json
import os
import re
import string
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from eduportal.adapters.local.offline_embedder import DIMENSIONS, OfflineEmbedder
from eduportal.adapters.local.offline_images import OfflineImageGenerator
from eduportal.adapters.local.offline_questions import OfflineQuestionGenerator
from eduportal.adapters.local.offline_suggester import OfflineSuggester
from eduportal.domain.assignments import QUESTIONS_PER_ASSIGNMENT, numbered
from eduportal.domain.errors import ValidationError
from eduportal.domain.grading import cosine_similarity

CELL_TEXT = (
    "The mitochondrion is the powerhouse of the cell. It produces energy in the form of ATP. "
    "Cells with high energy demands, such as muscle cells, contain many mitochondria. "
    "Mitochondria have their own DNA, inherited from the mother. The nucleus stores most of "
    "the genetic material of the cell. Photosynthesis happens in chloroplasts, not in "
    "mitochondria."
)


# --- questions --------------------------------------------------------------------------------


def assert_valid(pairs: list[tuple[str, str]], text: str, count: int) -> None:
    assert len(pairs) == count
    assert len({question for question, _ in pairs}) == count
    for question, answer in pairs:
        assert answer.strip() and answer in text
        assert not re.search(rf"\b{re.escape(answer)}\b", question, re.IGNORECASE)
    numbered(pairs)  # the domain accepts them as an assignment's questions


def test_five_distinct_questions_whose_answers_come_from_the_text() -> None:
    pairs = OfflineQuestionGenerator().generate(CELL_TEXT, QUESTIONS_PER_ASSIGNMENT)
    assert_valid(pairs, CELL_TEXT, QUESTIONS_PER_ASSIGNMENT)
    assert ("What is the mitochondrion?", "the powerhouse of the cell") in pairs
    assert len({answer.lower() for _, answer in pairs}) == QUESTIONS_PER_ASSIGNMENT


def test_the_same_text_always_gives_the_same_questions() -> None:
    first = OfflineQuestionGenerator().generate(CELL_TEXT, 5)
    assert OfflineQuestionGenerator().generate(CELL_TEXT, 5) == first


def test_blanks_prefer_numbers_and_names_to_ordinary_words() -> None:
    generator = OfflineQuestionGenerator()
    text = "The French Revolution began in 1789."
    assert {answer for _, answer in generator.generate(text, 3)} == {"French", "Revolution", "1789"}
    assert generator.generate("Water boils at 100 degrees.", 1)[0][1] == "100"


def test_narration_is_not_mistaken_for_a_definition() -> None:
    text = "King Louis XVI was executed in 1793 by the revolutionaries in Paris."
    questions = [q for q, _ in OfflineQuestionGenerator().generate(text, 3)]
    assert not any(question.startswith("What") for question in questions)


def test_a_short_text_reuses_its_sentences_with_other_blanks() -> None:
    text = "Water boils at 100 degrees Celsius at sea level."
    assert_valid(OfflineQuestionGenerator().generate(text, 5), text, 5)


def test_a_text_without_punctuation_gives_readable_questions() -> None:
    text = " ".join(f"word{index} topic{index % 7}" for index in range(400))
    pairs = OfflineQuestionGenerator().generate(text, 5)
    assert_valid(pairs, text, 5)
    assert all(len(question.split()) <= 45 for question, _ in pairs)


def test_a_stretch_that_is_not_prose_is_left_out() -> None:
    text = f"{CELL_TEXT} See https://example.org/{'x' * 3000} for more about cells."
    pairs = OfflineQuestionGenerator().generate(text, 5)
    assert_valid(pairs, text, 5)
    assert not any("example.org" in question for question, _ in pairs)


@pytest.mark.parametrize(
    "text", ["", "   \n ", "Photosynthesis.", "It is what it is.", "Cells divide."]
)
def test_too_little_text_asks_for_a_longer_one(text: str) -> None:
    with pytest.raises(ValidationError, match="Please give a longer text"):
        OfflineQuestionGenerator().generate(text, 5)


def test_more_questions_than_the_text_holds_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 5 sentences"):
        OfflineQuestionGenerator().generate("Cats purr softly.", 5)


_WORDS = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=10)


@st.composite
def texts_of_sentences(draw: st.DrawFn) -> str:
    """Five to ten sentences of three to twelve words, no word used twice."""
    lengths = draw(st.lists(st.integers(3, 12), min_size=5, max_size=10))
    words = draw(st.lists(_WORDS, min_size=sum(lengths), max_size=sum(lengths), unique=True))
    sentences = []
    for length in lengths:
        sentence, words = words[:length], words[length:]
        sentences.append(" ".join(sentence).capitalize() + draw(st.sampled_from(".!?")))
    return " ".join(sentences)


# Portal property (offline generators): any text of five sentences gives an assignment's five
# questions, each answered by words of the text that the question leaves out.
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


# --- embeddings -------------------------------------------------------------------------------

PARAPHRASES = [
    (
        "The mitochondrion produces energy for the cell.",
        "Mitochondria make the cell's energy.",
        "Paris is the capital of France.",
    ),
    (
        "Plants use sunlight to make food through photosynthesis.",
        "Through photosynthesis, plants turn sunlight into food.",
        "The French Revolution began in 1789.",
    ),
    (
        "Water boils at 100 degrees Celsius at sea level.",
        "At sea level water starts boiling at 100 degrees.",
        "Dogs bark at strangers to protect their home.",
    ),
    (
        "The heart pumps blood through the body.",
        "Blood is pumped around the body by the heart.",
        "The moon orbits the earth every 27 days.",
    ),
    (
        "Napoleon was crowned emperor in 1804.",
        "In 1804 Napoleon became emperor.",
        "Volcanoes erupt when magma rises to the surface.",
    ),
    (
        "A large population needs a lot of food.",
        "A big population requires lots of food.",
        "The violin has four strings.",
    ),
    (
        "Gravity pulls objects toward the earth.",
        "Objects are pulled to the earth by gravity.",
        "Shakespeare wrote Hamlet.",
    ),
]


@pytest.mark.parametrize(("reference", "paraphrase", "unrelated"), PARAPHRASES)
def test_a_paraphrase_scores_well_above_an_unrelated_answer(
    reference: str, paraphrase: str, unrelated: str
) -> None:
    ref, para, other = OfflineEmbedder().embed([reference, paraphrase, unrelated])
    assert cosine_similarity(ref, para) > 0.6
    assert cosine_similarity(ref, other) < 0.2


def test_the_opposite_statement_scores_below_a_paraphrase() -> None:
    reference, paraphrase, opposite = OfflineEmbedder().embed(
        [
            "Red blood cells have no nucleus.",
            "Mature red blood cells do not have a nucleus.",
            "Red blood cells have a nucleus.",
        ]
    )
    assert cosine_similarity(reference, opposite) < 0.75
    assert cosine_similarity(reference, paraphrase) > 0.85


def test_identical_text_scores_one_and_vectors_are_unit_length() -> None:
    first, second = OfflineEmbedder().embed([CELL_TEXT, CELL_TEXT])
    assert len(first) == DIMENSIONS
    assert first == second
    assert cosine_similarity(first, second) == pytest.approx(1.0)
    assert sum(value * value for value in first) == pytest.approx(1.0)


def test_function_words_alone_still_embed() -> None:
    (vector,) = OfflineEmbedder().embed(["to be or not to be"])
    assert sum(value * value for value in vector) == pytest.approx(1.0)


def test_empty_text_is_the_zero_vector() -> None:
    assert OfflineEmbedder().embed([""]) == [[0.0] * DIMENSIONS]


def test_vectors_do_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "import json; from eduportal.adapters.local.offline_embedder import OfflineEmbedder; "
        f"print(json.dumps(OfflineEmbedder().embed([{CELL_TEXT!r}])))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        check=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout
    assert json.loads(output) == OfflineEmbedder().embed([CELL_TEXT])


# --- suggestions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "corrected"),
    [
        (
            "i think teh mitochondria is the the powerhouse becuase it makes energy",
            "I think the mitochondria is the powerhouse because it makes energy.",
        ),
        ("  the cell  ,has a nucleus .it stores DNA", "The cell, has a nucleus. It stores DNA."),
        ("i dont recieve a apple", "I don't receive an apple."),
        ("organelles, i.e. parts of cells", "Organelles, i.e. parts of cells."),
        ("Water boils at 100 degrees.", "Water boils at 100 degrees."),
        ("TEH CELL", "THE CELL."),
        ("It is a gas,", "It is a gas."),
    ],
)
def test_spelling_capitals_spacing_and_punctuation_are_fixed(answer: str, corrected: str) -> None:
    assert OfflineSuggester().suggest(answer).corrected == corrected


@pytest.mark.parametrize(
    ("answer", "rephrased"),
    [
        ("it's a big cell", "It is a large cell."),
        ("Water boils at 100 degrees.", "In other words: Water boils at 100 degrees."),
    ],
)
def test_the_rephrasing_says_it_another_way(answer: str, rephrased: str) -> None:
    assert OfflineSuggester().suggest(answer).rephrased == rephrased


def test_an_empty_answer_has_empty_suggestions() -> None:
    suggestions = OfflineSuggester().suggest("  ")
    assert (suggestions.corrected, suggestions.rephrased) == ("", "")


_ANSWERS = st.text(alphabet=st.sampled_from("abcdeiotsh IT.,!?;:'"), max_size=60)


# Portal property (offline generators): a corrected answer is a fixed point of correcting,
# and the rephrasing differs from it.
@given(_ANSWERS)
def test_suggestions_are_stable_and_say_something_new(answer: str) -> None:
    suggestions = OfflineSuggester().suggest(answer)
    assert OfflineSuggester().suggest(suggestions.corrected).corrected == suggestions.corrected
    if suggestions.corrected:
        assert suggestions.rephrased != suggestions.corrected


# --- images -----------------------------------------------------------------------------------


def test_the_illustration_is_a_1024_square_png() -> None:
    data = OfflineImageGenerator().generate("A cell with mitochondria and a nucleus")
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (1024, 1024), "RGB")


def test_one_prompt_one_picture_and_another_prompt_another() -> None:
    generator = OfflineImageGenerator()
    first = generator.generate("The French Revolution in 1789")
    assert OfflineImageGenerator().generate("The French Revolution in 1789") == first
    assert generator.generate("The French Revolution in 1790") != first
