"""The key terms of a text: what an offline cloze question blanks out and the poster shows.

A key term is something a student should take away: a subject word ("photosynthesis"), a name
("Magna Carta"), a number ("1215"), or a compound the text uses as one term ("carbon
dioxide"). Without a language model, rarity is the best evidence: a word English seldom uses,
used by the teacher all the same, carries the topic, while words every text uses ("energy",
"thing", "people") say nothing about this one and make blanks anyone can fill. Rarity comes
from wordfreq's small English list, which knows words down to one in a million (4 MiB in
memory, loaded in milliseconds); a word it does not know is rarer than that. A term the text
repeats weighs more: it is what the text is about.

Without a part-of-speech tagger, compounds are recognised by where they stand: two uncommon
lowercase words after a preposition or "called" ("take in carbon dioxide", "called adenosine
triphosphate") are a noun phrase, while the same pair after a subject is likely a noun and its
verb ("chloroplasts capture"). Two or three words the text uses together twice are a term
wherever they stand. Names are runs of capitalised words; the first word of a sentence joins
one only when it is uncommon or capitalised elsewhere too, so "The" and "Plants" do not.

Everything is a pure function of the text, so a text always gives the same terms.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import zipf_frequency

from eduportal.adapters.local.function_words import STOPWORDS

MAX_SENTENCE_WORDS = 40
"""Longer runs (text without punctuation) are cut so a question stays readable."""
MAX_SENTENCE_CHARS = 600
"""Forty words longer than this are not prose (URLs, data); no question is made of them."""
MIN_SENTENCE_WORDS = 3
ANALYSED_TEXTS = 64
"""Texts whose analysis is kept: a few requests' worth (a text is at most 20,000 characters)."""

TRIVIAL_ZIPF = 5.0
"""Words English uses more than 100 times per million words ("energy", "water", "called")."""
RARE_ZIPF = 2.5
"""Where wordfreq's small list stops (3.0), minus a margin: unknown words are rarer still."""
MAX_COMPOUND_WORDS = 3
NAME_BONUS = 1.0
"""Names are answerable: a student either remembers "Runnymede" or not."""
COMPOUND_BONUS = 0.5
"""A compound is more specific than its rarest word: "carbon dioxide", not "dioxide"."""
NUMBER_RARITY = 6.5
SHORT_NUMBER_RARITY = 5.0
"""A year or a measure ("1215", "6,400") is a fact to learn; "2" is mostly a count in passing."""
PARTICIPLE_FACTOR = 0.75
"""Many verbs fit a blank left by "released"; few nouns fit one left by "stomata"."""
REPEAT_BONUS = 1.5
"""What the text says again is what it is about; but "forest" twice is no "rainforest" once."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\S+")
_TOKEN = re.compile(
    r"(?<![\w'\u2019-])(?:\d+(?:[.,]\d+)*(?!\w)|[^\W_]+(?:['\u2019-][^\W_]+)*)(?!\w)"
)
_POSSESSIVE = ("'s", "\u2019s")
_COMPOUND_OPENERS = frozenset(
    {
        "about", "across", "after", "against", "along", "among", "around", "as", "at",
        "before", "behind", "beneath", "beside", "between", "beyond", "by", "called",
        "during", "for", "from", "in", "inside", "into", "known", "like", "named", "near",
        "of", "off", "on", "onto", "out", "outside", "over", "per", "since", "than", "through",
        "throughout", "to", "toward", "towards", "under", "unlike", "until", "upon", "via",
        "with", "within", "without",
    }
)  # fmt: skip
"""Words after which a run of nouns is an object, not a subject and its verb."""
_DETERMINERS = frozenset(
    {
        "a", "an", "the", "its", "their", "his", "her", "our", "your", "my", "this", "that",
        "these", "those", "some", "any", "each", "every",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One key term where it stands in one sentence."""

    term: str
    """Exactly as written (a possessive "'s" left out), so it can be blanked and answered."""
    key: str
    """The term's identity across the text: lower case, plurals folded ("Chloroplasts" and
    "chloroplast" are one term)."""
    start: int
    end: int
    """Offsets in the sentence."""
    score: float
    """Higher is more worth asking about; the same for every occurrence of a term."""
    echoed: bool
    """The sentence says one of the term's words again elsewhere, so a blank on this
    occurrence would show its own answer."""


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    terms: tuple[Occurrence, ...]
    """Best first; ties go to the earlier one."""


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int
    initial: bool
    """The sentence's first word, capitalised whatever it is."""
    joined: bool
    """Only white space separates it from the word before: no comma, dash or bracket."""

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper()

    @property
    def numeric(self) -> bool:
        return self.text[0].isdigit() and not any(char.isalpha() for char in self.text)


@dataclass(frozen=True, slots=True)
class _Span:
    tokens: tuple[_Token, ...]
    kind: str
    """`word`, `name`, `compound` or `number`."""

    @property
    def words(self) -> list[str]:
        return [token.text for token in self.tokens]


def sentences(text: str) -> list[str]:
    """Sentences of at least three words, run-ons cut; spans of the text, so answers are too."""
    pieces: list[str] = []
    for raw in _SENTENCE_END.split(text):
        words = list(_WORD.finditer(raw))
        for start in range(0, len(words), MAX_SENTENCE_WORDS):
            run = words[start : start + MAX_SENTENCE_WORDS]
            piece = raw[run[0].start() : run[-1].end()]
            enough_words = len(_TOKEN.findall(piece)) >= MIN_SENTENCE_WORDS
            if enough_words and len(piece) <= MAX_SENTENCE_CHARS:
                pieces.append(piece)
    return pieces


@lru_cache(maxsize=ANALYSED_TEXTS)
def analyse(text: str) -> tuple[Sentence, ...]:
    """Every sentence of `text` with the key terms it holds.

    Kept for the last few texts: generating an assignment analyses its text twice, for the
    questions and for the poster (1.7 ms each, most of what either costs in Python)."""
    tokenised = [(sentence, _tokens(sentence)) for sentence in sentences(text)]
    named = {
        token.lower
        for _, tokens in tokenised
        for token in tokens
        if token.capitalised and not token.initial
    }
    runs = Counter(_phrase_key(gram) for _, tokens in tokenised for gram in _grams(tokens, named))
    spans = [
        (sentence, tokens, list(_spans(tokens, named, runs))) for sentence, tokens in tokenised
    ]
    scores = _scores([span for _, _, found in spans for span in found])
    analysed = []
    for sentence, tokens, found in spans:
        occurrences = [_occurrence(sentence, tokens, span, scores) for span in found]
        occurrences.sort(key=lambda occurrence: (-occurrence.score, occurrence.start))
        analysed.append(Sentence(sentence, tuple(occurrences)))
    return tuple(analysed)


def key_terms(text: str, limit: int) -> list[str]:
    """The text's `limit` best distinct terms, best first, each as the text writes it (the
    mid-sentence spelling where there is one: "photosynthesis", not "Photosynthesis")."""
    found = [occurrence for sentence in analyse(text) for occurrence in sentence.terms]
    first: dict[str, Occurrence] = {}
    spelling: dict[str, str] = {}
    for occurrence in found:
        first.setdefault(occurrence.key, occurrence)
        if occurrence.start > 0:
            spelling.setdefault(occurrence.key, occurrence.term)
    ranked = sorted(first.values(), key=lambda occurrence: -occurrence.score)
    return [spelling.get(occurrence.key, occurrence.term) for occurrence in ranked[:limit]]


def _tokens(sentence: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(sentence):
        gap = sentence[tokens[-1].end : match.start()] if tokens else ""
        joined = bool(tokens) and gap.isspace()
        tokens.append(_Token(match.group(), match.start(), match.end(), not tokens, joined))
    return tokens


def _spans(tokens: list[_Token], named: set[str], runs: Counter[str]) -> Iterator[_Span]:
    """The sentence's key terms, left to right, none overlapping."""
    index = 0
    while index < len(tokens):
        name = _name_run(tokens, index, named)
        if name:
            yield _Span(tuple(name), "name")
            index += len(name)
            continue
        run = _lowercase_run(tokens, index, named)
        if run:
            yield from _split_run(run, licensed=_after_opener(tokens, index), runs=runs)
            index += len(run)
            continue
        if tokens[index].numeric:
            yield _Span((tokens[index],), "number")
        index += 1


def _name_run(tokens: list[_Token], index: int, named: set[str]) -> list[_Token]:
    """Capitalised words next to each other ("Amazon River"); the sentence's first word only
    when it reads as a name rather than as a capitalised ordinary word."""
    run: list[_Token] = []
    for token in tokens[index:]:
        if run and not token.joined:
            break
        if not (token.capitalised and _is_content(token)):
            break
        run.append(token)
        if _possessive(token):
            break
    ordinary_start = run and run[0].initial and run[0].lower not in named
    if ordinary_start and (len(run) == 1 or _zipf(run[0].lower) >= TRIVIAL_ZIPF):
        return []
    return run


def _lowercase_run(tokens: list[_Token], index: int, named: set[str]) -> list[_Token]:
    """Adjacent uncommon lowercase words: a compound, or single words that follow each other."""
    run: list[_Token] = []
    for token in tokens[index:]:
        if run and (not token.joined or _possessive(run[-1])):
            break
        if not _is_plain_word(token, named):
            break
        run.append(token)
    return run


def _grams(tokens: list[_Token], named: set[str]) -> Iterator[list[_Token]]:
    """Every two or three adjacent words of every run of uncommon lowercase words."""
    index = 0
    while index < len(tokens):
        run = _lowercase_run(tokens, index, named)
        for start in range(len(run)):
            for size in range(2, MAX_COMPOUND_WORDS + 1):
                if start + size <= len(run):
                    yield run[start : start + size]
        index += max(len(run), 1)


def _is_plain_word(token: _Token, named: set[str]) -> bool:
    lowercase = not token.capitalised or (token.initial and token.lower not in named)
    return (
        lowercase
        and not token.numeric
        and _is_content(token)
        and _zipf(token.lower) < TRIVIAL_ZIPF
        and not _is_adverb(token.lower)
    )


def _split_run(run: list[_Token], *, licensed: bool, runs: Counter[str]) -> Iterator[_Span]:
    """A run of uncommon words as compounds where the text repeats them (or where it stands
    as an object of two words), and single words elsewhere."""
    if licensed and len(run) == 2 and not _possessive(run[0]):
        yield _Span(tuple(run), "compound")
        return
    index = 0
    while index < len(run):
        for size in range(MAX_COMPOUND_WORDS, 1, -1):
            gram = run[index : index + size]
            if len(gram) == size and runs[_phrase_key(gram)] > 1:
                yield _Span(tuple(gram), "compound")
                index += size
                break
        else:
            yield _Span((run[index],), "word")
            index += 1


def _after_opener(tokens: list[_Token], index: int) -> bool:
    before = [token.lower for token in tokens[max(index - 2, 0) : index]]
    if before and before[-1] in _DETERMINERS:
        before.pop()
    return bool(before) and before[-1] in _COMPOUND_OPENERS


def _scores(spans: list[_Span]) -> dict[str, float]:
    """One score per term, so that among its occurrences the first, where a text usually
    introduces a term, is asked about: "A noun is a word that..." rather than "...nouns"."""
    repeats = Counter(_span_key(span) for span in spans)
    rarities: dict[str, float] = {}
    for span in spans:
        key = _span_key(span)
        rarities[key] = max(rarities.get(key, 0.0), _rarity(span))
    return {key: rarity + REPEAT_BONUS * math.log(repeats[key]) for key, rarity in rarities.items()}


def _occurrence(
    sentence: str, tokens: list[_Token], span: _Span, scores: dict[str, float]
) -> Occurrence:
    first, last = span.tokens[0], span.tokens[-1]
    end = last.end - 2 if _possessive(last) else last.end
    own = {_key(word) for word in span.words}
    echoed = any(
        _key(token.text) in own
        for token in tokens
        if token.end <= first.start or token.start >= end
    )
    key = _span_key(span)
    return Occurrence(sentence[first.start : end], key, first.start, end, scores[key], echoed)


def _rarity(span: _Span) -> float:
    if span.kind == "number":
        digits = sum(char.isdigit() for char in span.tokens[0].text)
        return NUMBER_RARITY if digits >= 3 else SHORT_NUMBER_RARITY
    phrase = " ".join(_bare(word).lower() for word in span.words)
    rarity = 9 - max(_zipf(phrase), RARE_ZIPF)
    if span.kind == "name":
        rarity += NAME_BONUS
    if len(span.tokens) > 1:
        rarity += COMPOUND_BONUS
    if span.kind == "word" and _is_participle(phrase):
        rarity *= PARTICIPLE_FACTOR
    return rarity


def _span_key(span: _Span) -> str:
    return " ".join(_key(word) for word in span.words)


def _phrase_key(run: list[_Token]) -> str:
    return " ".join(_key(token.text) for token in run)


@lru_cache(maxsize=65536)
def _key(word: str) -> str:
    """The singular a plural most likely stands for, as far as spelling tells: the form
    English uses most among "clauses", "clause" and "claus"."""
    word = _bare(word).lower()
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return word
    forms = [word[:-1]]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    forms.append(word)
    return max(forms, key=_zipf)


def _bare(word: str) -> str:
    return word[:-2] if word.endswith(_POSSESSIVE) else word


def _possessive(token: _Token) -> bool:
    return token.text.endswith(_POSSESSIVE)


def _is_content(token: _Token) -> bool:
    word = token.lower
    return token.numeric or (len(word) >= 3 and word not in STOPWORDS)


def _is_adverb(word: str) -> bool:
    """An adverb such as "quickly" (from "quick"); not "family" or "supply"."""
    if not word.endswith("ly") or len(word) < 6:
        return False
    stems = (word[:-2], word[:-3] + "y", word[:-4])
    return any(len(stem) >= 4 and _zipf(stem) >= 3 for stem in stems)


def _is_participle(word: str) -> bool:
    """A form such as "released" or "growing", whose stem English knows; not "seed"."""
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) > len(ending) + 3:
            stem = word[: -len(ending)]
            if any(_zipf(form) >= 3 for form in (stem, stem + "e", stem[:-1])):
                return True
    return False


@lru_cache(maxsize=65536)
def _zipf(phrase: str) -> float:
    """How common `phrase` is: log10 of its uses per billion words; 0 when unknown."""
    return float(zipf_frequency(phrase, "en", wordlist="small"))
