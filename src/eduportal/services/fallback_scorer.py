"""Scoring with the offline model, or with the lexical engine when the model cannot load.

A portal whose model package is missing, or whose weights fail their checksum, must still
score answers; it must also say so once, clearly, and not in every request's log. Each score
names the engine that produced it, so an operator and a teacher can tell the two apart.
"""

from __future__ import annotations

import logging
import threading

from eduportal.domain.errors import ModelUnavailableError
from eduportal.domain.grading import Score
from eduportal.ports import AnswerScorer

log = logging.getLogger(__name__)


class FallbackScorer:
    """`primary` until it raises `ModelUnavailableError`; `fallback` from then on, for good.

    Only that error switches: it says the model cannot be loaded at all, which trying again
    will not change. Any other failure of `primary` is a failure of that one answer and is
    raised as usual.
    """

    def __init__(self, primary: AnswerScorer, fallback: AnswerScorer, *, fallback_engine: str):
        self.primary = primary
        self.fallback = fallback
        self.fallback_engine = fallback_engine
        self._lock = threading.Lock()
        self._primary_failed = False

    def score(self, reference: str, answer: str) -> Score:
        if not self._primary_failed:
            try:
                return self.primary.score(reference, answer)
            except ModelUnavailableError as error:
                self._fall_back(error)
        return self.fallback.score(reference, answer)

    def _fall_back(self, error: ModelUnavailableError) -> None:
        with self._lock:
            if self._primary_failed:
                return
            self._primary_failed = True
        log.error(
            "answer-scoring model unavailable, scoring every answer with the %s engine "
            "from now on: %s",
            self.fallback_engine,
            error.detail,
            extra={"fallback_engine": self.fallback_engine},
        )
