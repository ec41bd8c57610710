"""The offline generators: honest, deterministic stand-ins for the Bedrock models."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduportal.adapters.local.offline_embedder import DIMENSIONS, OfflineEmbedder
from eduportal.adapters.local.offline_suggester import OfflineSuggester
from eduportal.domain.grading import cosine_similarity
from tests.support.other_process import in_another_process

CELL_TEXT = (
    "The mitochondrion is the powerhouse of the cell. It produces energy in the form of ATP. "
    "Cells with high energy demands, such as muscle cells, contain many mitochondria. "
    "Mitochondria have their own DNA, inherited from the mother. The nucleus stores most of "
    "the genetic material of the cell. Photosynthesis happens in chloroplasts, not in "
    "mitochondria."
)


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
    output = in_another_process(script)
    assert output == OfflineEmbedder().embed([CELL_TEXT])


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
