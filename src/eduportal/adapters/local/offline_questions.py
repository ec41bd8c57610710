"""`QuestionGenerator` without a model: cloze questions on the key terms of the text.

Without a language model the only honest source of answers is the text itself, so each
question is one of the teacher's sentences with one key term blanked out (see `key_terms`:
rare words, names, numbers, compounds), and the answer is exactly the blanked term. Each
question comes from a different sentence, so five questions test five things the text says
rather than one sentence five times; the sentences with the strongest terms win, and two
questions share an answer only when the text leaves no other choice. A term the sentence
repeats elsewhere is never blanked, since the question would show its own answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eduportal.adapters.local.key_terms import Occurrence, Sentence, analyse
from eduportal.domain.errors import ValidationError

BLANK = "____"
PREFIX = "Fill in the blank: "


@dataclass(frozen=True, slots=True)
class _Cloze:
    sentence: int
    occurrence: Occurrence


class OfflineQuestionGenerator:
    def generate(self, text: str, count: int) -> list[tuple[str, str]]:
        if count < 1:
            raise ValidationError("Please ask for at least one question.")
        analysed = _distinct(analyse(text))
        chosen = _choose(analysed, count)
        if len(chosen) < count:
            raise _too_short(count, _askable(analysed))
        chosen.sort(key=lambda cloze: cloze.sentence)
        return [_question(analysed[cloze.sentence], cloze.occurrence) for cloze in chosen]


def _distinct(analysed: Sequence[Sentence]) -> list[Sentence]:
    """A sentence the text says twice is still one sentence to ask about."""
    return list({sentence.text: sentence for sentence in analysed}.values())


def _choose(analysed: list[Sentence], count: int) -> list[_Cloze]:
    """The best blank of the best sentences, one per sentence: by score over all sentences,
    first with distinct answers, then (a text that keeps naming one term) with any."""
    options = sorted(
        (
            _Cloze(index, occurrence)
            for index, sentence in enumerate(analysed)
            for occurrence in sentence.terms
            if not occurrence.echoed
        ),
        key=lambda cloze: (-cloze.occurrence.score, cloze.sentence, cloze.occurrence.start),
    )
    chosen: list[_Cloze] = []
    for distinct_answers in (True, False):
        for option in options:
            if len(chosen) == count:
                return chosen
            if _fits(option, chosen, distinct_answers=distinct_answers):
                chosen.append(option)
    return chosen


def _fits(option: _Cloze, chosen: list[_Cloze], *, distinct_answers: bool) -> bool:
    return all(
        option.sentence != other.sentence
        and not (distinct_answers and option.occurrence.key == other.occurrence.key)
        for other in chosen
    )


def _askable(analysed: list[Sentence]) -> int:
    return sum(any(not occurrence.echoed for occurrence in sentence.terms) for sentence in analysed)


def _question(sentence: Sentence, occurrence: Occurrence) -> tuple[str, str]:
    text = sentence.text
    cloze = text[: occurrence.start] + BLANK + text[occurrence.end :]
    if cloze[-1] not in ".!?":
        cloze += "."
    return PREFIX + cloze, occurrence.term


def _too_short(count: int, found: int) -> ValidationError:
    has = "none" if found == 0 else f"only {found}"
    return ValidationError(
        f"Please give a longer text: {count} questions need at least {count} sentences that "
        f"each hold a key term (a subject word, a name or a number), and this text has {has}."
    )
