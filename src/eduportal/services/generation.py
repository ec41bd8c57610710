"""Generation that costs less: illustrations kept and reused, and each teacher's allowance.

**The generation cache.** A generated illustration is kept in the object store under
`generation_cache/{sha256}.png`, the hash of what decides the picture: the normalized prompt
(`normalized_prompt`) and the generator's `fingerprint` (the model and every parameter that
changes what it draws). An identical request gets the kept bytes and calls no model;
"Regenerate" asks the model again, and its picture replaces the entry. An entry holds the
generator's output as it returned it (the PNG, before optimization) with its SHA-256 in the
metadata, so a damaged entry is told from a good one. The model is given the normalized prompt
too, so what the cache serves is what the model would draw for the request: byte for byte for
the offline poster, and for Bedrock, whose seed comes from the prompt, up to the model's own
nondeterminism.

The cache is shared by every teacher: a paragraph of a textbook two teachers paste costs one
model call. It is the portal's own working copy, never a page's: the image origin refuses its
prefix (`is_private_key`), `eduportal storage reconcile` does not list it (no record names an
entry, and none should), and `storage usage` counts it under its own prefix. Entries are
tagged `lifecycle=auto` like every object the portal writes, so on S3 the lifecycle rules age
them and finally expire them; an expired entry is a miss.

Trouble with the cache never costs a teacher a picture: an entry that cannot be read (storage
down, bytes that do not match their hash) is logged and the model asked instead, and an entry
that cannot be written is logged and the picture returned all the same.

**The allowance.** Questions and illustrations are counted apart for each teacher in a moving
window (`GenerationLimits`, from the settings), by the `AttemptCounter` that also counts
failed sign-ins. Past the allowance a request is refused with `RateLimitedError`: a sentence
saying how many were made and when the next one may be, and the seconds to wait (the API's
`Retry-After`). What counts is a model call that answered. A cache hit calls no model and is
served even past the allowance. A failed call is not counted: Bedrock bills the pictures it
returns, and a teacher who retries through an outage must not find the allowance spent when
it ends; the model's own throttling bounds how often a failing call can be tried. Requests of
one teacher that pass the check at the same moment are all counted, so the allowance can be
exceeded by the requests in flight at once. A counter that cannot be read refuses the
generation, as sign-in does: the limit guards the model's cost and quota, shared by every
teacher. A count that cannot be written after the call is logged: the picture is made.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import unicodedata
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from eduportal.domain.accounts import Account, Role
from eduportal.domain.alt_text import ImageContext
from eduportal.domain.assignments import validate_prompt
from eduportal.domain.errors import (
    EduportalError,
    NotFoundError,
    RateLimitedError,
    StorageUnavailableError,
)
from eduportal.domain.keys import generation_cache_key
from eduportal.domain.waits import span_words, wait_words
from eduportal.imaging.picture import Picture
from eduportal.observability.logging import log_context
from eduportal.ports import (
    AttemptCounter,
    ImageDescriber,
    ImageGenerator,
    Metrics,
    ObjectStore,
    PictureGenerator,
    QuestionGenerator,
)
from eduportal.services.accounts import require_role
from eduportal.services.concurrency import submit

log = logging.getLogger(__name__)

CACHE_FORMAT: Final = 1
"""Part of every entry's identity: raising it starts an empty cache, should the way a
request is identified or an entry is written ever change."""
CACHE_CONTROL: Final = "no-store"
"""Entries are never served, and "Regenerate" replaces them under the same key."""
_COUNTER_UNREADABLE = (
    "We couldn't check how much you may generate right now. Please try again in a moment."
)


class Generation(StrEnum):
    """What a teacher generates, each with an allowance of its own: the `generation` label
    of `generation_rate_limited_total`, and part of the counter's key."""

    QUESTIONS = "questions"
    IMAGES = "images"


class CacheMiss(StrEnum):
    """Why the model was asked for an illustration: the `reason` label of
    `image_generation_cache_misses_total`."""

    ABSENT = "absent"
    """No entry: the first request of its kind (or its entry expired)."""
    UNREADABLE = "unreadable"
    """The entry could not be read, or its bytes did not match their hash."""
    REGENERATE = "regenerate"
    """The teacher asked for a new picture: the cache is not read."""


@dataclass(frozen=True, slots=True)
class GenerationLimits:
    """How many generations one teacher may make in a moving window (README: the settings
    `EDUPORTAL_*_GENERATIONS_PER_TEACHER`, `EDUPORTAL_GENERATION_WINDOW_SECONDS`)."""

    questions: int = 60
    """Sets of questions: a teacher trying a text and regenerating a few times makes several
    an assignment; 60 an hour is a busy afternoon, not a script."""
    images: int = 30
    """Illustrations: the costlier call (a Nova Canvas image costs several text calls)."""
    window_seconds: int = 3600

    def allowed(self, generation: Generation) -> int:
        """The allowance for `generation`; 0 means no limit."""
        return self.questions if generation is Generation.QUESTIONS else self.images


def normalized_prompt(text: str) -> str:
    """The prompt as the cache and the model see it: Unicode NFC (an "é" typed as one
    character or as "e" and an accent is one text), every run of whitespace (line breaks and
    tabs included) one space, trimmed. Such variants say the same thing and would draw the
    same picture, so they share an entry.

    Case is kept: the offline poster prints the text's terms as they are written ("DNA", not
    "dna"), and a model may read "Turkey" and "turkey", or "US" and "us", as different
    things, so folding case would serve one text's picture for another's.
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


def cache_key(prompt: str, fingerprint: str) -> str:
    """The key of the entry for `prompt` (normalized) drawn by the generator `fingerprint`."""
    identity = json.dumps(
        {"format": CACHE_FORMAT, "generator": fingerprint, "prompt": prompt},
        ensure_ascii=False,
        sort_keys=True,
    )
    return generation_cache_key(hashlib.sha256(identity.encode()).hexdigest())


class GenerationService:
    """The generators as teachers use them: within each teacher's allowance, illustrations
    through the generation cache (module docstring)."""

    def __init__(
        self,
        questions: QuestionGenerator,
        illustrator: ImageGenerator,
        cache: ObjectStore,
        attempts: AttemptCounter,
        metrics: Metrics,
        *,
        describer: ImageDescriber,
        limits: GenerationLimits | None = None,
    ) -> None:
        self.question_generator = questions
        self.illustrator = illustrator
        self.describer = describer
        self.cache = cache
        self.attempts = attempts
        self.metrics = metrics
        self.limits = limits or GenerationLimits()
        self._workers = ThreadPoolExecutor(thread_name_prefix="generation-cache")

    @property
    def image_source(self) -> str:
        """What made generated images, in words a page shows under one."""
        return self.illustrator.source

    def questions(self, teacher: Account, text: str, count: int) -> list[tuple[str, str]]:
        """`count` (question, answer) pairs from `text`, within the teacher's allowance."""
        require_role(teacher, Role.TEACHER)
        prompt = validate_prompt(text)
        with log_context(user=teacher.username):
            self._refuse_past_allowance(teacher, Generation.QUESTIONS)
            pairs = self.question_generator.generate(prompt, count)
            self._count(teacher, Generation.QUESTIONS)
        return pairs

    def image(self, teacher: Account, text: str, *, regenerate: bool = False) -> bytes:
        """The illustration of `text` as the generator's PNG: the kept one unless
        `regenerate`, else the model's (within the allowance), kept for the next request."""
        prompt, key = self._identify(teacher, text)
        with log_context(user=teacher.username):
            found = self._lookup(key, regenerate=regenerate)
            if isinstance(found, bytes):
                return found
            self._ask(teacher, key, found)
            data = self.illustrator.generate(prompt)
            self._count(teacher, Generation.IMAGES)
            self._keep(key, data)
        return data

    @contextmanager
    def illustration(
        self, teacher: Account, text: str, *, regenerate: bool = False
    ) -> Iterator[bytes | Picture]:
        """`image` for a block that optimizes and stores the illustration at once (creating
        an assignment): when the model is asked and draws in this process, the block gets
        the undecoded `Picture`, and its PNG is encoded and kept on another thread while the
        block runs. The block's end waits for that write, so a request leaves nothing running
        and the next identical request finds the entry."""
        prompt, key = self._identify(teacher, text)
        with log_context(user=teacher.username):
            found = self._lookup(key, regenerate=regenerate)
            if isinstance(found, bytes):
                made: bytes | Picture = found
                keeping: Future[None] | None = None
            else:
                self._ask(teacher, key, found)
                made, keeping = self._draw(key, prompt)
                self._count(teacher, Generation.IMAGES)
        try:
            yield made
        finally:
            if keeping is not None:
                wait([keeping])

    def describe(self, teacher: Account, image: bytes, context: ImageContext) -> str:
        """Alt text for an image a teacher is adding. Not counted against an allowance: it
        comes with an image already made or chosen, and is bounded by those."""
        require_role(teacher, Role.TEACHER)
        with log_context(user=teacher.username):
            return self.describer.describe(image, context)

    # -- the cache ------------------------------------------------------------------------------

    def _identify(self, teacher: Account, text: str) -> tuple[str, str]:
        """The prompt the model is given and the key of its entry, for a teacher."""
        require_role(teacher, Role.TEACHER)
        prompt = normalized_prompt(validate_prompt(text))
        return prompt, cache_key(prompt, self.illustrator.fingerprint)

    def _lookup(self, key: str, *, regenerate: bool) -> bytes | CacheMiss:
        """The kept bytes, or why there are none to use."""
        if regenerate:
            return CacheMiss.REGENERATE
        try:
            kept = self.cache.get(key)
        except NotFoundError:
            return CacheMiss.ABSENT
        except EduportalError:
            log.warning(
                "generation cache unreadable; the model is asked instead",
                extra={"key": key},
                exc_info=True,
            )
            return CacheMiss.UNREADABLE
        if kept.metadata.get("sha256") != hashlib.sha256(kept.data).hexdigest():
            log.warning(
                "generation cache entry damaged; the model is asked instead",
                extra={"key": key, "bytes": len(kept.data)},
            )
            return CacheMiss.UNREADABLE
        self.metrics.increment("image_generation_cache_hits_total")
        log.info("illustration from the generation cache", extra={"key": key})
        return kept.data

    def _ask(self, teacher: Account, key: str, reason: CacheMiss) -> None:
        """Clear the way for a model call: the allowance first, then the miss recorded."""
        self._refuse_past_allowance(teacher, Generation.IMAGES)
        self.metrics.increment("image_generation_cache_misses_total", reason=reason.value)
        log.info("illustration asked of the model", extra={"key": key, "reason": reason.value})

    def _draw(self, key: str, prompt: str) -> tuple[bytes | Picture, Future[None]]:
        """The model's illustration, and its entry being written on another thread. A
        picture's pixels are copied first: whoever stores the picture may close its image."""
        if isinstance(self.illustrator, PictureGenerator):
            picture = self.illustrator.picture(prompt)
            copy = Picture(picture.image.copy(), picture.format, picture.encode)
            return picture, submit(self._workers, self._keep_drawn, key, copy)
        data = self.illustrator.generate(prompt)
        return data, submit(self._workers, self._keep, key, data)

    def _keep_drawn(self, key: str, picture: Picture) -> None:
        try:
            data = picture.data()
        except Exception:  # an encoder's own error as much as ours: only the entry is lost
            log.warning("illustration not encoded for the generation cache", exc_info=True)
            return
        self._keep(key, data)

    def _keep(self, key: str, data: bytes) -> None:
        """Write the entry (replacing one a regeneration supersedes). A failure is logged,
        never raised: the picture is made, and the next identical request asks again."""
        try:
            self.cache.put(
                key,
                data,
                content_type="image/png",
                cache_control=CACHE_CONTROL,
                metadata={"sha256": hashlib.sha256(data).hexdigest()},
            )
        except EduportalError:
            log.warning(
                "illustration not kept in the generation cache", extra={"key": key}, exc_info=True
            )

    # -- the allowance --------------------------------------------------------------------------

    def _refuse_past_allowance(self, teacher: Account, generation: Generation) -> None:
        allowed = self.limits.allowed(generation)
        if allowed == 0:
            return
        try:
            seconds = self.attempts.retry_after(
                _counter_key(teacher, generation),
                limit=allowed,
                window_seconds=self.limits.window_seconds,
            )
        except EduportalError as exc:
            raise StorageUnavailableError(
                _COUNTER_UNREADABLE,
                detail=f"{generation.value} allowance of {teacher.username}: {exc.detail}",
            ) from exc
        if seconds <= 0:
            return
        self.metrics.increment("generation_rate_limited_total", generation=generation.value)
        log.warning(
            "generation refused past the allowance",
            extra={
                "generation": generation.value,
                "allowed": allowed,
                "retry_after_s": math.ceil(seconds),
            },
        )
        raise RateLimitedError(
            refusal(generation, allowed, self.limits.window_seconds, seconds),
            retry_after_seconds=math.ceil(seconds),
            detail=f"{teacher.username}: {allowed} {generation.value} "
            f"in {self.limits.window_seconds} s",
        )

    def _count(self, teacher: Account, generation: Generation) -> None:
        allowed = self.limits.allowed(generation)
        if allowed == 0:
            return
        try:
            self.attempts.add(
                _counter_key(teacher, generation),
                limit=allowed,
                window_seconds=self.limits.window_seconds,
            )
        except EduportalError:
            log.warning(
                "generation not counted against the allowance",
                extra={"generation": generation.value},
                exc_info=True,
            )


def refusal(generation: Generation, allowed: int, window_seconds: int, seconds: float) -> str:
    """What a teacher past the allowance reads: "You have generated 30 illustrations in the
    last hour, the most allowed. You can generate another in 12 minutes." """
    if generation is Generation.IMAGES:
        made = f"{allowed} illustration" if allowed == 1 else f"{allowed} illustrations"
        next_one = "another"
    else:
        made = f"{allowed} set of questions" if allowed == 1 else f"{allowed} sets of questions"
        next_one = "more"
    return (
        f"You have generated {made} in the last {span_words(window_seconds)}, the most "
        f"allowed. You can generate {next_one} in {wait_words(seconds)}."
    )


def _counter_key(teacher: Account, generation: Generation) -> str:
    """Apart from sign-in's keys (`account:`, `address:`), which share the counter."""
    return f"generation:{generation.value}:{teacher.username}"
