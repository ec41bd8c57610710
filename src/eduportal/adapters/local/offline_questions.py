"""`QuestionGenerator` without a model: questions cut from the teacher's own sentences.

Without a language model the only honest source of answers is the text itself, so every answer
is a span copied from it: a salient word blanked out of a key sentence (cloze), or the
predicate of a simple definition ("X is Y" asks "What is X?"). Key sentences are the ones
dense in the text's recurring terms, with a slight preference for early ones, which is where
textbooks put definitions. Everything is a pure function of the text, so the same text always
yields the same assignment.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from eduportal.domain.errors import ValidationError

BLANK = "____"
MAX_SENTENCE_WORDS = 40
"""Longer runs (text without punctuation) are cut so a question stays readable."""
MAX_SENTENCE_CHARS = 600
"""Forty words longer than this are not prose (URLs, data); no question is made of them."""
MIN_SENTENCE_WORDS = 3
MIN_KEY_WORDS = 3

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "else",
        "etc",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "least",
        "less",
        "let",
        "many",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "often",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "quite",
        "rather",
        "same",
        "shall",
        "she",
        "should",
        "since",
        "so",
        "some",
        "still",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
    ]
)
_SUBJECT_REJECTS = STOPWORDS - {"a", "an", "the"}
"""A definition's subject may open with an article, never with a pronoun or conjunction."""
_PARTICIPLES = frozenset(
    [
        "born",
        "made",
        "known",
        "found",
        "called",
        "used",
        "given",
        "taken",
        "seen",
        "built",
        "written",
        "held",
        "led",
        "left",
    ]
)
_VERBAL = ("ed", "en", "ing", "ly")

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\S+")
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*|\d+(?:[.,]\d+)*")
_DEFINITION = re.compile(
    r"^(?P<subject>[^,;:()]{2,80}?)\s+(?P<verb>is|are|was|were)\s+(?P<rest>[^;]+?)[\s.!?]*$"
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    sentence: int
    position: int
    question: str
    answer: str


class OfflineQuestionGenerator:
    def generate(self, text: str, count: int) -> list[tuple[str, str]]:
        if count < 1:
            raise ValidationError("Please ask for at least one question.")
        sentences = _sentences(text)
        frequency = Counter(
            token.group().lower()
            for sentence in sentences
            for token in _TOKEN.finditer(sentence)
            if _is_content(token.group())
        )
        if len(frequency) < MIN_KEY_WORDS:
            raise _too_short(count)
        order = sorted(
            range(len(sentences)),
            key=lambda index: -_sentence_score(sentences[index], index, len(sentences), frequency),
        )
        options = [_options(index, sentences[index], frequency, text) for index in order]
        chosen = _choose(options, count)
        if len(chosen) < count:
            raise _too_short(count)
        chosen.sort(key=lambda candidate: (candidate.sentence, candidate.position))
        return [(candidate.question, candidate.answer) for candidate in chosen]


def _too_short(count: int) -> ValidationError:
    return ValidationError(
        f"Please give a longer text: at least {count} sentences with a few key words each, "
        f"so that {count} different questions can be drawn from it."
    )


def _sentences(text: str) -> list[str]:
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


def _is_content(word: str) -> bool:
    return word[0].isdigit() or (len(word) >= 3 and word.lower() not in STOPWORDS)


def _sentence_score(sentence: str, index: int, total: int, frequency: Counter[str]) -> float:
    """Density of the text's recurring terms, nudged towards the beginning of the text."""
    top = max(frequency.values())
    weights = [
        frequency[token.lower()] / top for token in _TOKEN.findall(sentence) if _is_content(token)
    ]
    density = sum(weights) / math.sqrt(len(weights)) if weights else 0.0
    return density + 0.3 * (1 - index / total)


def _options(index: int, sentence: str, frequency: Counter[str], text: str) -> list[_Candidate]:
    """The questions one sentence can give, best first: its definition, then its blanks."""
    options = []
    definition = _definition(index, sentence, text)
    if definition is not None:
        options.append(definition)
    tokens = list(_TOKEN.finditer(sentence))
    repeated = Counter(token.group().lower() for token in tokens)
    blanks = [
        token
        for token in tokens
        if _is_content(token.group()) and repeated[token.group().lower()] == 1
    ]
    blanks.sort(key=lambda token: -_salience(token, frequency))
    for token in blanks:
        cloze = sentence[: token.start()] + BLANK + sentence[token.end() :]
        if cloze[-1] not in ".!?":
            cloze += "."
        options.append(
            _Candidate(index, token.start(), f"Fill in the blank: {cloze}", token.group())
        )
    return options


def _salience(token: re.Match[str], frequency: Counter[str]) -> float:
    """Numbers, names and long terms make answerable blanks; "thing" or "made" do not."""
    word = token.group()
    score = min(len(word), 12) / 4 + 0.5 * min(frequency[word.lower()], 3)
    if word[0].isdigit():
        score += 2.5
    elif word[0].isupper() and token.start() > 0:
        score += 1.5
    return score


def _definition(index: int, sentence: str, text: str) -> _Candidate | None:
    match = _DEFINITION.match(sentence)
    if match is None:
        return None
    subject, rest = match.group("subject").split(), match.group("rest")
    if len(subject) > 6 or subject[0].lower() in _SUBJECT_REJECTS or not _describes(rest):
        return None
    first = subject[0]
    if first.lower() in STOPWORDS or re.search(rf"\b{re.escape(first.lower())}\b", text):
        subject[0] = first.lower()
    return _Candidate(index, -1, f"What {match.group('verb')} {' '.join(subject)}?", rest)


def _describes(predicate: str) -> bool:
    """A definition ("is a gas") describes; "was executed in 1793" narrates, and "is very old"
    qualifies: neither answers "What is X?"."""
    words = predicate.split()
    if len(words) < 2:
        return False
    head = words[0].lower()
    if head in {"a", "an", "the"}:
        return True
    return head not in STOPWORDS and head not in _PARTICIPLES and not head.endswith(_VERBAL)


def _choose(options: list[list[_Candidate]], count: int) -> list[_Candidate]:
    """In rounds, each key sentence's next usable question, so that the questions spread over
    the text; distinct questions always, distinct answers unless the text has too few."""
    chosen: list[_Candidate] = []
    for distinct_answers in (True, False):
        pending = [list(choices) for choices in options]
        while len(chosen) < count and any(pending):
            for choices in pending:
                while choices and len(chosen) < count:
                    candidate = choices.pop(0)
                    if _usable(candidate, chosen, distinct_answers=distinct_answers):
                        chosen.append(candidate)
                        break
    return chosen


def _usable(candidate: _Candidate, chosen: list[_Candidate], *, distinct_answers: bool) -> bool:
    return all(
        candidate.question != other.question
        and not (distinct_answers and candidate.answer.lower() == other.answer.lower())
        for other in chosen
    )
