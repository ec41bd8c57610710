"""Generation that costs less, over the embedded default's real adapters: the generation cache
(an identical request is drawn once; "Regenerate" draws again and replaces the entry; a cache
in trouble costs a model call, never the picture) and each teacher's allowances.

The illustrator is the offline poster with its calls counted (`tests/support/generators.py`):
every entry of `prompts` is one model call. The allowances are counted by the real
`LimitsAttemptCounter`, which keeps its moving windows on the system's time (the `limits`
library reads `time.time()` itself), so the one test about a window passing uses a
one-second window and waits for the `retry_after` it was told, as the sign-in API tests do.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from eduportal.adapters.attempt_counter import LimitsAttemptCounter
from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.domain.errors import (
    ForbiddenError,
    GenerationError,
    RateLimitedError,
    StorageUnavailableError,
)
from eduportal.domain.keys import GENERATION_CACHE_PREFIX
from eduportal.imaging.picture import Picture
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.ports import ImageGenerator, ObjectStore
from eduportal.services.generation import (
    CACHE_CONTROL,
    GenerationLimits,
    GenerationService,
    cache_key,
    normalized_prompt,
)
from eduportal.services.storage_usage import measure
from eduportal.wiring import Container, build, build_generators
from tests.support.fixture_types import JsonLog
from tests.support.flaky_store import FlakyReadStore, FlakyStore
from tests.support.generators import CountingIllustrator, CountingPainter, FailingIllustrator
from tests.support.texts import GEOGRAPHY, HISTORY, PASSWORD, SCIENCE, TEXT

LIMITS = {"image_generations_per_teacher": 3, "question_generations_per_teacher": 4}


def portal(
    tmp_path: Path, illustrator: ImageGenerator, **settings: Any
) -> tuple[Container, Account]:
    """The embedded default drawing with `illustrator`, and its teacher1."""
    loaded = load_settings(
        storage="local", data_dir=tmp_path / "data", generators="offline", **settings
    )
    generators = replace(build_generators(loaded), images=illustrator)
    container = build(loaded, generators=generators)
    return container, container.accounts.register("teacher1", PASSWORD, Role.TEACHER)


@pytest.fixture
def painter() -> CountingPainter:
    return CountingPainter()


@pytest.fixture
def drawn(tmp_path: Path, painter: CountingPainter) -> tuple[Container, Account]:
    return portal(tmp_path, painter, **LIMITS)


def metric(container: Container, name: str, **labels: str) -> float:
    metrics = container.metrics
    assert isinstance(metrics, PrometheusMetrics)
    return metrics.value(name, **labels)


def entries(store: ObjectStore) -> list[str]:
    return sorted(store.list_keys(GENERATION_CACHE_PREFIX))


def service(
    store: ObjectStore, illustrator: ImageGenerator, limits: GenerationLimits | None = None
) -> GenerationService:
    """A generation service of its own over `store`, as another process or model would be."""
    offline = build_generators(load_settings(generators="offline"))
    return GenerationService(
        offline.questions,
        illustrator,
        store,
        LimitsAttemptCounter(),
        PrometheusMetrics(),
        describer=offline.describer,
        limits=limits,
    )


# -- the generation cache -------------------------------------------------------------------


def test_an_identical_request_is_drawn_once_then_served_from_the_cache(
    drawn: tuple[Container, Account], painter: CountingPainter
) -> None:
    container, teacher = drawn
    first = container.assignments.generate_image(teacher, TEXT)
    again = container.assignments.generate_image(teacher, TEXT)
    assert again == first
    assert painter.prompts == [normalized_prompt(TEXT)]  # one model call
    (entry,) = entries(container.object_store)
    assert entry == cache_key(normalized_prompt(TEXT), painter.fingerprint)
    kept = container.object_store.get(entry)
    assert kept.data == first  # the generator's bytes, as it returned them
    assert kept.content_type == "image/png" and kept.cache_control == CACHE_CONTROL
    assert kept.metadata["sha256"] == hashlib.sha256(first).hexdigest()
    assert metric(container, "image_generation_cache_hits_total") == 1  # a model call saved
    assert metric(container, "image_generation_cache_misses_total", reason="absent") == 1


def test_creating_from_a_text_draws_once_and_keeps_the_pictures_png(
    drawn: tuple[Container, Account], painter: CountingPainter
) -> None:
    """The picture path (pixels handed over undecoded) keeps the PNG the generator would
    have returned, so a later request, by either path, is served from the cache."""
    container, teacher = drawn
    first = container.assignments.create_from_text(teacher, SCIENCE, with_image=True)
    (entry,) = entries(container.object_store)  # written before create_from_text returned
    assert container.object_store.get(entry).data == painter.generate(normalized_prompt(SCIENCE))
    painter.prompts.clear()
    second = container.assignments.create_from_text(teacher, SCIENCE, with_image=True)
    shown = container.assignments.generate_image(teacher, SCIENCE)
    assert painter.prompts == []
    assert second.image_metadata == first.image_metadata  # the same picture, stored again
    assert container.image_store.fetch(second.s3_image_key).data == (
        container.image_store.fetch(first.s3_image_key).data
    )
    assert shown == container.object_store.get(entry).data
    assert metric(container, "image_generation_cache_hits_total") == 2


def test_a_bytes_answering_model_is_kept_by_create_from_text_too(tmp_path: Path) -> None:
    """A model that answers bytes (as Bedrock does) is kept from those bytes."""
    illustrator = CountingIllustrator()
    container, teacher = portal(tmp_path, illustrator)
    container.assignments.create_from_text(teacher, HISTORY, with_image=True)
    container.assignments.create_from_text(teacher, HISTORY, with_image=True)
    assert illustrator.prompts == [normalized_prompt(HISTORY)]
    (entry,) = entries(container.object_store)
    assert container.object_store.get(entry).data == illustrator.generate(HISTORY)


def test_spacing_and_unicode_forms_share_an_entry_and_case_does_not(
    drawn: tuple[Container, Account], painter: CountingPainter
) -> None:
    container, teacher = drawn
    text = "The café on the river sells crêpes.\nTourists queue at noon."
    container.assignments.generate_image(teacher, text)
    spaced = f"  {text.replace(' ', '   ').replace(chr(10), chr(10) * 2 + chr(9))}  "
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    for variant in (spaced, decomposed, text.replace("\n", " ")):
        container.assignments.generate_image(teacher, variant)
    assert painter.prompts == ["The café on the river sells crêpes. Tourists queue at noon."]
    container.assignments.generate_image(teacher, text.upper())  # case is kept: another text
    assert len(painter.prompts) == 2 and len(entries(container.object_store)) == 2


def test_another_model_or_setting_is_another_entry(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "data")
    teacher = Account("teacher1", Role.TEACHER, "", 0.0)
    nova = CountingIllustrator("model-a:cfg=8")
    other = CountingIllustrator("model-a:cfg=9")
    service(store, nova).image(teacher, TEXT)
    service(store, nova).image(teacher, TEXT)  # another process, the same model: a hit
    service(store, other).image(teacher, TEXT)
    assert (len(nova.prompts), len(other.prompts)) == (1, 1)
    assert len(entries(store)) == 2


def test_regenerate_asks_the_model_and_its_picture_replaces_the_entry(
    drawn: tuple[Container, Account], painter: CountingPainter
) -> None:
    container, teacher = drawn
    key = cache_key(normalized_prompt(TEXT), painter.fingerprint)
    older = painter.generate("An older picture of another text.")
    painter.prompts.clear()
    container.object_store.put(
        key,
        older,
        content_type="image/png",
        cache_control=CACHE_CONTROL,
        metadata={"sha256": hashlib.sha256(older).hexdigest()},
    )
    assert container.assignments.generate_image(teacher, TEXT) == older  # kept: no call
    assert painter.prompts == []
    fresh = container.assignments.generate_image(teacher, TEXT, regenerate=True)
    assert painter.prompts == [normalized_prompt(TEXT)] and fresh != older
    assert container.object_store.get(key).data == fresh
    assert container.assignments.generate_image(teacher, TEXT) == fresh  # the new one kept
    created = container.assignments.create_from_text(
        teacher, TEXT, with_image=True, regenerate=True
    )
    assert len(painter.prompts) == 2 and created.has_image
    assert metric(container, "image_generation_cache_misses_total", reason="regenerate") == 2
    assert metric(container, "image_generation_cache_hits_total") == 2


def test_an_unreadable_cache_falls_back_to_the_model_with_a_warning(
    tmp_path: Path, painter: CountingPainter, json_log: JsonLog
) -> None:
    store = FlakyReadStore(tmp_path / "data", GENERATION_CACHE_PREFIX, failures=0)
    container, teacher = portal(tmp_path, painter)
    container = build(container.settings, object_store=store, generators=container.generators)
    first = container.assignments.generate_image(teacher, TEXT)
    store.failures = 2  # the backend is down for the next two reads
    assert container.assignments.generate_image(teacher, TEXT) == first
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    assert created.has_image
    assert len(painter.prompts) == 3
    assert metric(container, "image_generation_cache_misses_total", reason="unreadable") == 2
    warnings = [
        line for line in json_log() if line["message"].startswith("generation cache unreadable")
    ]
    assert len(warnings) == 2 and all(line["level"] == "WARNING" for line in warnings)
    assert all(line["user"] == "teacher1" for line in warnings)
    assert container.assignments.generate_image(teacher, TEXT) == first  # readable again
    assert len(painter.prompts) == 3


def test_a_damaged_entry_is_drawn_again_and_replaced(
    drawn: tuple[Container, Account], painter: CountingPainter, json_log: JsonLog
) -> None:
    container, teacher = drawn
    good = container.assignments.generate_image(teacher, TEXT)
    (key,) = entries(container.object_store)
    kept = container.object_store.get(key)
    container.object_store.put(  # cut short, under the hash of the whole
        key,
        good[: len(good) // 2],
        content_type="image/png",
        cache_control=CACHE_CONTROL,
        metadata=dict(kept.metadata),
    )
    assert container.assignments.generate_image(teacher, TEXT) == good
    assert len(painter.prompts) == 2
    assert container.object_store.get(key).data == good
    assert any(line["message"].startswith("generation cache entry damaged") for line in json_log())
    assert metric(container, "image_generation_cache_misses_total", reason="unreadable") == 1


def test_a_cache_that_cannot_be_written_still_gives_the_picture(
    tmp_path: Path, painter: CountingPainter, json_log: JsonLog
) -> None:
    store = FlakyStore(tmp_path / "data", GENERATION_CACHE_PREFIX, failures=2)
    container, teacher = portal(tmp_path, painter)
    container = build(container.settings, object_store=store, generators=container.generators)
    shown = container.assignments.generate_image(teacher, TEXT)
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    assert shown and created.has_image and entries(store) == []
    assert len(painter.prompts) == 2  # nothing kept, so asked twice
    unkept = [
        line
        for line in json_log()
        if line["message"] == "illustration not kept in the generation cache"
    ]
    assert len(unkept) == 2 and all(line["level"] == "WARNING" for line in unkept)
    container.assignments.generate_image(teacher, TEXT)  # the store takes it this time
    assert len(entries(store)) == 1


def test_the_cache_is_its_own_heading_in_storage_usage_and_never_served(
    drawn: tuple[Container, Account],
) -> None:
    container, teacher = drawn
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    usage = measure(container.object_store)
    assert usage.by_prefix[GENERATION_CACHE_PREFIX].objects == 1
    assert usage.by_prefix["generated_images/"].objects == len(created.image_keys)
    (entry,) = entries(container.object_store)
    assert container.image_store.read_public(entry).is_placeholder
    assert not container.image_store.read(entry).is_placeholder  # it is there, but private


# -- each teacher's allowances -------------------------------------------------------------


def refused(call: Any) -> RateLimitedError:
    with pytest.raises(RateLimitedError) as caught:
        call()
    return caught.value


def test_past_the_allowance_an_illustration_is_refused_with_a_sentence_and_the_wait(
    drawn: tuple[Container, Account], painter: CountingPainter
) -> None:
    container, teacher = drawn
    for text in (TEXT, SCIENCE, HISTORY):
        container.assignments.generate_image(teacher, text)
    error = refused(lambda: container.assignments.generate_image(teacher, GEOGRAPHY))
    assert 3590 < error.retry_after_seconds <= 3600
    assert re.fullmatch(
        r"You have generated 3 illustrations in the last hour, the most allowed\. "
        r"You can generate another in (59|60) minutes\.",
        error.user_message,
    )
    assert len(painter.prompts) == 3  # the refused one asked no model
    error = refused(
        lambda: container.assignments.create_from_text(teacher, GEOGRAPHY, with_image=True)
    )
    assert "3 illustrations" in error.user_message
    assert container.assignments.list().total == 0
    assert metric(container, "generation_rate_limited_total", generation="images") == 2
    assert metric(container, "image_generation_cache_misses_total", reason="absent") == 3


def test_past_the_allowance_questions_are_refused_and_images_are_not(
    drawn: tuple[Container, Account],
) -> None:
    container, teacher = drawn
    for _ in range(4):
        container.assignments.generate_questions(teacher, TEXT)
    error = refused(lambda: container.assignments.generate_questions(teacher, TEXT))
    assert error.user_message.startswith(
        "You have generated 4 sets of questions in the last hour, the most allowed. "
        "You can generate more in "
    )
    assert container.assignments.generate_image(teacher, TEXT)  # its own allowance
    assert metric(container, "generation_rate_limited_total", generation="questions") == 1


def test_past_the_image_allowance_questions_are_still_generated(
    drawn: tuple[Container, Account],
) -> None:
    container, teacher = drawn
    for text in (TEXT, SCIENCE, HISTORY):
        container.assignments.generate_image(teacher, text)
    refused(lambda: container.assignments.generate_image(teacher, GEOGRAPHY))
    assert len(container.assignments.generate_questions(teacher, GEOGRAPHY)) == 5
    assert container.assignments.create_from_text(teacher, GEOGRAPHY, with_image=False)


def test_each_teacher_has_an_allowance_of_their_own(drawn: tuple[Container, Account]) -> None:
    container, teacher = drawn
    other = container.accounts.register("teacher2", PASSWORD, Role.TEACHER)
    for text in (TEXT, SCIENCE, HISTORY):
        container.assignments.generate_image(teacher, text)
    refused(lambda: container.assignments.generate_image(teacher, GEOGRAPHY))
    assert container.assignments.generate_image(other, GEOGRAPHY)


def test_cache_hits_are_not_counted_and_are_served_past_the_allowance(
    drawn: tuple[Container, Account], painter: CountingPainter
) -> None:
    container, teacher = drawn
    for _ in range(5):
        container.assignments.generate_image(teacher, TEXT)  # one call, four hits
    container.assignments.generate_image(teacher, SCIENCE)
    container.assignments.generate_image(teacher, HISTORY)  # the third counted
    refused(lambda: container.assignments.generate_image(teacher, GEOGRAPHY))
    assert container.assignments.generate_image(teacher, TEXT)  # a hit: served all the same
    assert container.assignments.create_from_text(teacher, SCIENCE, with_image=True).has_image
    assert len(painter.prompts) == 3


def test_regenerating_counts_against_the_allowance(
    drawn: tuple[Container, Account], painter: CountingPainter
) -> None:
    container, teacher = drawn
    for _ in range(3):
        container.assignments.generate_image(teacher, TEXT, regenerate=True)
    refused(lambda: container.assignments.generate_image(teacher, TEXT, regenerate=True))
    assert container.assignments.generate_image(teacher, TEXT)  # the kept one is still served
    assert len(painter.prompts) == 3


def test_a_failed_model_call_is_not_counted(tmp_path: Path) -> None:
    teacher = Account("teacher1", Role.TEACHER, "", 0.0)
    failing = service(
        LocalObjectStore(tmp_path / "data"), FailingIllustrator(), GenerationLimits(images=1)
    )
    for _ in range(3):  # a teacher retrying through an outage is never refused for it
        with pytest.raises(GenerationError):
            failing.image(teacher, TEXT)


def test_the_allowance_comes_back_as_the_window_moves_on(tmp_path: Path) -> None:
    container, teacher = portal(
        tmp_path, CountingPainter(), image_generations_per_teacher=1, generation_window_seconds=1
    )
    container.assignments.generate_image(teacher, TEXT)
    error = refused(lambda: container.assignments.generate_image(teacher, SCIENCE))
    assert error.retry_after_seconds == 1
    assert "1 illustration in the last second" in error.user_message
    time.sleep(error.retry_after_seconds)
    assert container.assignments.generate_image(teacher, SCIENCE)


def test_no_limit_when_the_allowance_is_0(tmp_path: Path) -> None:
    painter = CountingPainter()
    container, teacher = portal(
        tmp_path, painter, image_generations_per_teacher=0, question_generations_per_teacher=0
    )
    for n in range(6):
        container.assignments.generate_image(teacher, f"{TEXT} Lesson {n}.")
        container.assignments.generate_questions(teacher, f"{TEXT} Lesson {n}.")
    assert len(painter.prompts) == 6


def test_a_counter_that_cannot_be_read_refuses_with_a_sentence_of_its_own(
    tmp_path: Path,
) -> None:
    """The counter is MongoDB-backed on AWS; here a real one whose database is unreachable."""
    down = LimitsAttemptCounter("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200")
    painter = CountingPainter()
    loaded = load_settings(storage="local", data_dir=tmp_path / "data", generators="offline")
    container = build(
        loaded, attempts=down, generators=replace(build_generators(loaded), images=painter)
    )
    teacher = Account("teacher1", Role.TEACHER, "", 0.0)
    with pytest.raises(StorageUnavailableError) as caught:
        container.assignments.generate_image(teacher, TEXT)
    assert caught.value.user_message == (
        "We couldn't check how much you may generate right now. Please try again in a moment."
    )
    assert painter.prompts == []


def test_students_generate_nothing(drawn: tuple[Container, Account]) -> None:
    container, _ = drawn
    student = container.accounts.register("student1", PASSWORD, Role.STUDENT)
    with pytest.raises(ForbiddenError):
        container.assignments.generate_image(student, TEXT)
    with pytest.raises(ForbiddenError):
        container.assignments.generate_questions(student, TEXT)


def test_the_picture_handed_over_may_be_closed_by_whoever_stores_it(
    tmp_path: Path, painter: CountingPainter
) -> None:
    """The entry is encoded from a copy of the pixels: the optimizer may close the picture's
    image while the entry is still being written."""
    store = LocalObjectStore(tmp_path / "data")
    teacher = Account("teacher1", Role.TEACHER, "", 0.0)
    generation = service(store, painter)
    with generation.illustration(teacher, TEXT) as made:
        assert isinstance(made, Picture)
        made.image.close()
    (entry,) = entries(store)
    assert store.get(entry).data == painter.generate(normalized_prompt(TEXT))
