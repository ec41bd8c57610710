"""The key-term check: does an answer that reuses the reference's words still say the same thing?

No sentence embedding (lexical or a model's) separates "Plants release oxygen" from "Plants
capture oxygen": the words are nearly all shared, so the vectors are nearly equal, and a wrong
near-copy outscores a correct paraphrase (offline-scoring-facts.md measured this for every
model here). What does tell them apart is small and mechanical: a content word of the reference
was replaced by another word, two content words swapped places, a negation came or went, or a
word became its opposite. This module looks for exactly those, in pure Python, and returns one
sentence per finding for the teacher. A finding means "a teacher should look", not "wrong": a
correct synonym the tables below do not know is flagged too.

The check applies only when the answer reuses at least a third of the reference's content words
(`OVERLAP_GATE`); an answer in its own words is left to the embedding, which judges it better.
Spelling is forgiven by edit distance to the reference's word ("respiraton" is "respiration"),
never for numbers ("360" is not "180").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise
from typing import Final

from eduportal.domain.words import NEGATIONS, WORD, canonical

OVERLAP_GATE: Final = 1 / 3
"""Share of the reference's content words an answer must reuse before the check applies."""
FLAG_PENALTY: Final = 0.45
"""Each flag takes this share of the score away. offline-scoring-facts.md used 0.35; on
tests/data/scoring_eval.json 0.45 lifts "paraphrase beats wrong" from 58 % to 73 % for the model
(AUC 0.93 to 0.95), because a wrong near-copy starts near 100 and one flag must bring it below
an honest paraphrase (about 55). `python -m bench.scoring` measures it."""
MAX_PENALISED_FLAGS: Final = 2
"""Flags past this many take nothing more: two findings already say "look at this"."""
MAX_REPLACED_WORDS: Final = 3
"""A longer run of new words in place of the reference's is a rewording, which the embedding
judges better than a word-for-word comparison can (it flagged a third of the paraphrases)."""

FUNCTION_WORDS: Final = frozenset(
    (
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "if",
        "then",
        "than",
        "as",
        "because",
        "since",
        "while",
        "although",
        "though",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "about",
        "through",
        "during",
        "within",
        "without",
        "via",
        "per",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "done",
        "doing",
        "has",
        "have",
        "had",
        "having",
        "can",
        "could",
        "will",
        "would",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "i",
        "me",
        "my",
        "we",
        "us",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "also",
        "just",
        "very",
        "too",
        "quite",
        "really",
        "even",
        "still",
        "each",
        "every",
        "any",
        "some",
        "such",
        "own",
        "same",
        "other",
        "another",
        "both",
        "either",
        "neither",
        "one",
        "ones",
        "thing",
        "things",
        "way",
    )
)
"""Words the check does not compare. Not the generators' list (`adapters/local/function_words`):
that one also drops "before", "more", "not" and the like, which here are the very words whose
change turns a right answer wrong (negations are compared on their own)."""
"""Words whose replacement does not change a claim. Unlike the lexical embedder's stop words,
direction and comparison words (up, down, above, below, more, less, before, after, over,
under, out, off) are content here: "above 7" for "below 7" is exactly what must be seen."""

_ANTONYM_PAIRS: Final = (
    ("increase", "decrease"),
    ("rise", "fall"),
    ("gain", "lose"),
    ("more", "less"),
    ("most", "least"),
    ("high", "low"),
    ("higher", "lower"),
    ("above", "below"),
    ("up", "down"),
    ("over", "under"),
    ("hot", "cold"),
    ("warm", "cool"),
    ("heat", "cool"),
    ("wet", "dry"),
    ("north", "south"),
    ("east", "west"),
    ("left", "right"),
    ("top", "bottom"),
    ("start", "end"),
    ("first", "last"),
    ("before", "after"),
    ("early", "late"),
    ("inside", "outside"),
    ("import", "export"),
    ("inhale", "exhale"),
    ("absorb", "reflect"),
    ("absorb", "release"),
    ("add", "subtract"),
    ("multiply", "divide"),
    ("multiplied", "divided"),
    ("positive", "negative"),
    ("acidic", "alkaline"),
    ("acid", "alkali"),
    ("acid", "base"),
    ("odd", "even"),
    ("maximum", "minimum"),
    ("expand", "contract"),
    ("attract", "repel"),
    ("push", "pull"),
    ("light", "dark"),
    ("fast", "slow"),
    ("long", "short"),
    ("large", "small"),
    ("strong", "weak"),
    ("true", "false"),
    ("always", "never"),
    ("all", "none"),
    ("many", "few"),
    ("win", "lose"),
    ("accept", "reject"),
    ("open", "close"),
    ("evaporate", "condense"),
    ("melt", "freeze"),
    ("sink", "float"),
    ("rich", "poor"),
    ("victory", "defeat"),
    ("ancient", "modern"),
    ("internal", "external"),
    ("natural", "artificial"),
    ("temporary", "permanent"),
    ("temporarily", "permanently"),
    ("regular", "irregular"),
    ("include", "exclude"),
    ("limit", "increase"),
    ("producer", "consumer"),
    ("predator", "prey"),
)
"""A small table of opposites a school answer may swap; both words are folded like any other."""
_ANTONYMS: Final = frozenset(
    pair
    for first, second in _ANTONYM_PAIRS
    for pair in ((canonical(first), canonical(second)), (canonical(second), canonical(first)))
)

_NEGATION_WORDS: Final = NEGATIONS | {"without"}
""""with"/"without" flips a claim as "has"/"has not" does ("compares ... without using")."""
_PASSIVE: Final = re.compile(
    r"\b(?:is|are|was|were|be|been|being)(?:\s+\w+)?\s+\w+(?:ed|en)\b.*\bby\b"
)
"""A passive clause with its agent ("is produced by"), which puts the doer after the deed."""


@dataclass(frozen=True, slots=True)
class _Term:
    surface: str
    """The word as the student or teacher wrote it, for the teacher's sentence."""
    key: str
    """What two words must share to count as the same word: the folded stem, or the number."""
    position: int
    """Where the word stands among all the text's words, function words included."""


def check_key_terms(reference: str, answer: str) -> tuple[str, ...]:
    """Sentences for the teacher about what in `answer` may contradict `reference`; empty when
    nothing was found or when the answer does not reuse enough of the reference to judge."""
    expected = _content_terms(reference)
    given = _aligned(expected, _content_terms(answer))
    expected_keys = {term.key for term in expected}
    given_keys = {term.key for term in given}
    if not expected or len(expected_keys & given_keys) < OVERLAP_GATE * len(expected_keys):
        return ()
    flags, reported = _replacements(expected, given)
    flags += _opposites_elsewhere(expected, given, reported)
    flags += _swaps(expected, given, passive=_passive(reference) != _passive(answer))
    flags += _negations_changed(reference, answer)
    return tuple(flags)


SHORT_REFERENCE_TERMS: Final = 3
"""A reference of at most this many content words is a term: a cloze's blank, a name, a date."""
SHORT_ANSWER_WORDS: Final = 12
SHORT_ANSWER_SCORE: Final = 90.0
"""What an answer that states a short reference in a sentence of its own scores at least."""


def states_the_short_answer(reference: str, answer: str) -> bool:
    """`answer` says every word of a term-sized `reference` ("Veins") in a short sentence
    ("The veins carry it back"). An embedding compares a sentence with one word poorly (that
    answer scored 30 with both engines) where a teacher gives full marks; the floor is 90, not
    100, because the sentence may say more than the term, which the teacher can look at."""
    expected = _content_terms(reference)
    if not expected or len(expected) > SHORT_REFERENCE_TERMS:
        return False
    if len(WORD.findall(answer)) > SHORT_ANSWER_WORDS:
        return False
    given = {term.key for term in _aligned(expected, _content_terms(answer))}
    return {term.key for term in expected} <= given


def penalised(value: float, flags: tuple[str, ...]) -> float:
    """`value` less `FLAG_PENALTY` of it per flag, for at most `MAX_PENALISED_FLAGS` flags."""
    return value * max(0.0, 1.0 - FLAG_PENALTY * min(len(flags), MAX_PENALISED_FLAGS))


def _content_terms(text: str) -> list[_Term]:
    terms = []
    for position, surface in enumerate(WORD.findall(text.replace("\u2019", "'"))):
        word = surface.lower().removesuffix("'s")
        if word in FUNCTION_WORDS or word in NEGATIONS:
            continue
        terms.append(_Term(surface, word if word[0].isdigit() else canonical(word), position))
    return terms


def _aligned(expected: list[_Term], given: list[_Term]) -> list[_Term]:
    """`given` with each misspelling of a reference word keyed as that word."""
    keys = {term.key for term in expected}
    return [
        term
        if term.key in keys
        else next(
            (
                _Term(term.surface, known.key, term.position)
                for known in expected
                if _misspelling(known, term)
            ),
            term,
        )
        for term in given
    ]


def _misspelling(known: _Term, term: _Term) -> bool:
    """True when `term` is `known` misspelled: close in letters, not a number, not its opposite."""
    if known.key[0].isdigit() or term.key[0].isdigit() or (known.key, term.key) in _ANTONYMS:
        return False
    word, written = known.surface.lower(), term.surface.lower()
    if len(word) <= 3:
        # One letter makes another short word ("sun", "son"); only a letter too many or too
        # few ("od", "lead") is a slip.
        return abs(len(word) - len(written)) == 1 and _edit_distance(word, written) == 1
    allowed = 1 if len(word) <= 7 else 2
    return min(_edit_distance(word, written), _edit_distance(known.key, term.key)) <= allowed


def _edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _phrase(terms: list[_Term]) -> str:
    return " ".join(term.surface for term in terms)


def _replacements(expected: list[_Term], given: list[_Term]) -> tuple[list[str], set[str]]:
    """Reference words the answer has replaced in place, by other words or by their opposite,
    and the keys of the reference words reported.

    Words that only moved (present on both sides, elsewhere) are left to `_swaps`; words left
    out or added are what a partial or a fuller answer does, and the embedding weighs them.
    """
    expected_keys = {term.key for term in expected}
    given_keys = {term.key for term in given}
    matcher = SequenceMatcher(
        None, [term.key for term in expected], [term.key for term in given], autojunk=False
    )
    flags: list[str] = []
    reported: set[str] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = expected[i1:i2], given[j1:j2]
        if (
            tag != "replace"
            or max(len(old), len(new)) > MAX_REPLACED_WORDS
            or (
                all(term.key in expected_keys for term in new)
                and all(term.key in given_keys for term in old)
            )
        ):
            continue
        reported.update(term.key for term in old)
        if any((a.key, b.key) in _ANTONYMS for a in old for b in new):
            flags.append(f"needs a look: '{_phrase(old)}' became its opposite, '{_phrase(new)}'")
        else:
            flags.append(f"needs a look: '{_phrase(old)}' became '{_phrase(new)}'")
    return flags, reported


def _opposites_elsewhere(
    expected: list[_Term], given: list[_Term], reported: set[str]
) -> list[str]:
    """Opposites the alignment did not pair up, e.g. because the sentence was rearranged."""
    expected_keys = {term.key for term in expected}
    given_keys = {term.key for term in given}
    found = []
    for old in expected:
        for new in given:
            if (
                (old.key, new.key) in _ANTONYMS
                and old.key not in given_keys | reported
                and new.key not in expected_keys
            ):
                reported.add(old.key)
                found.append(f"needs a look: '{old.surface}' became its opposite, '{new.surface}'")
    return found


def _swaps(expected: list[_Term], given: list[_Term], *, passive: bool) -> list[str]:
    """Two parts of the reference that traded places ("from the lungs to the body" as "from
    the body to the lungs"), which changes who does what to whom.

    Parts are runs of words, each once in both sentences, that stay together in both. Only an
    exchange of two parts, among three or more, with words between them in both sentences,
    counts: with two parts, putting one first ("During photosynthesis, plants ...") is
    ordinary rephrasing. A sentence turned passive reverses its roles on purpose ("energy is
    produced by the mitochondria"), so is not judged.
    """
    if passive:
        return []
    in_reference = Counter(term.key for term in expected)
    in_answer = Counter(term.key for term in given)
    once = {key for key, count in in_reference.items() if count == 1 and in_answer[key] == 1}
    reference_order = [term for term in expected if term.key in once]
    answer_order = [term.key for term in given if term.key in once]
    follows = dict(pairwise(answer_order))
    parts: list[list[_Term]] = []
    for term in reference_order:
        if parts and follows.get(parts[-1][-1].key) == term.key:
            parts[-1].append(term)
        else:
            parts.append([term])
    part_of = {term.key: index for index, part in enumerate(parts) for term in part}
    order = list(dict.fromkeys(part_of[key] for key in answer_order))
    moved = [index for index, part in enumerate(order) if part != index]
    if len(parts) < 3 or len(moved) != 2 or order[moved[0]] != moved[1]:
        return []
    first, second = (parts[index] for index in moved)
    where = {term.key: term.position for term in given}
    if (
        second[0].position - first[-1].position < 2
        or where[first[0].key] - where[second[-1].key] < 2
    ):
        # Nothing stands between them in one of the sentences: "word that names" and "naming
        # words" say the same thing; a swap keeps a frame ("from X to Y") around what it swaps.
        return []
    return [f"needs a look: '{_phrase(first)}' and '{_phrase(second)}' swapped places"]


def _passive(text: str) -> bool:
    return _PASSIVE.search(text.lower()) is not None


def _negations_changed(reference: str, answer: str) -> list[str]:
    """A negation added or dropped, or a "No." answered "Yes.", flips the whole claim."""
    said, says = (next(iter(WORD.findall(text.lower())), "") for text in (reference, answer))
    if {said, says} == {"yes", "no"}:
        return [f"needs a look: the answer says '{says}' where the reference says '{said}'"]
    expected, given = _negations(reference), _negations(answer)
    if len(given) > len(expected):
        return [f"needs a look: the answer says '{given[0]}' where the reference does not"]
    if len(given) < len(expected):
        return [f"needs a look: the answer leaves out the reference's '{expected[0]}'"]
    return []


def _negations(text: str) -> list[str]:
    words = [word.lower() for word in WORD.findall(text.replace("\u2019", "'"))]
    return [word for word in words if word in _NEGATION_WORDS or word.endswith("n't")]
