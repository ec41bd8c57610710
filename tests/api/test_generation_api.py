"""Generation that costs less over HTTP: a teacher past an allowance gets a 429 with the
sentence and `Retry-After`; `regenerate: true` draws again where the cache would serve.

This module's server allows 2 illustrations and 4 sets of questions per teacher an hour.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from eduportal.domain.keys import GENERATION_CACHE_PREFIX
from eduportal.imaging.placeholder import placeholder_image
from tests.support.api_server import Api
from tests.support.portal_api import assert_error, create_assignment
from tests.support.texts import GEOGRAPHY, HISTORY, SCIENCE, TEXT


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    return {"image_generations_per_teacher": 2, "question_generations_per_teacher": 4}


def metric(api: Api, name: str, **labels: str) -> float:
    metrics: Any = api.container.metrics
    value: float = metrics.value(name, **labels)
    return value


def test_past_the_allowance_a_create_is_429_with_retry_after_and_the_sentence(
    api: Api, teacher: httpx.Client
) -> None:
    create_assignment(teacher, text=SCIENCE, with_image=True)
    create_assignment(teacher, text=HISTORY, with_image=True)
    refused = teacher.post("/api/assignments", json={"text": GEOGRAPHY, "with_image": True})
    sentence = assert_error(refused, 429, "rate_limited")
    assert sentence.startswith(
        "You have generated 2 illustrations in the last hour, the most allowed. "
        "You can generate another in "
    )
    assert 3500 < int(refused.headers["retry-after"]) <= 3600
    again = create_assignment(teacher, text=SCIENCE, with_image=True)  # cached: not counted
    assert again["cloudfront_url"]
    assert metric(api, "generation_rate_limited_total", generation="images") == 1


def test_regenerate_draws_again_where_the_cache_would_serve(
    api: Api, other_teacher: httpx.Client
) -> None:
    hits = metric(api, "image_generation_cache_hits_total")
    create_assignment(other_teacher, text=TEXT, with_image=True)
    create_assignment(other_teacher, text=TEXT, with_image=True)
    assert metric(api, "image_generation_cache_hits_total") == hits + 1
    drawn = other_teacher.post(
        "/api/assignments", json={"text": TEXT, "with_image": True, "regenerate": True}
    )
    assert drawn.status_code == 201, drawn.text
    assert metric(api, "image_generation_cache_hits_total") == hits + 1
    assert metric(api, "image_generation_cache_misses_total", reason="regenerate") == 1
    # The first drawing and the regenerated one used other_teacher's two illustrations.
    refused = other_teacher.post(
        "/api/assignments", json={"text": TEXT, "with_image": True, "regenerate": True}
    )
    assert_error(refused, 429, "rate_limited")


def test_the_cache_is_not_served_by_the_image_origin(
    api: Api, anonymous: httpx.Client, teacher: httpx.Client
) -> None:
    entries = list(api.container.object_store.list_keys(GENERATION_CACHE_PREFIX))
    assert entries
    for client in (anonymous, teacher):
        response = client.get(f"/images/{entries[0]}")
        assert response.status_code == 404
        assert response.content == placeholder_image()


def test_the_openapi_documents_regenerate_and_the_429(anonymous: httpx.Client) -> None:
    spec = anonymous.get("/openapi.json").json()
    create = spec["paths"]["/api/assignments"]["post"]
    assert "allowance of generated" in create["responses"]["429"]["description"]
    request = spec["components"]["schemas"]["CreateAssignmentRequest"]["properties"]
    assert request["regenerate"]["default"] is False
    assert "generation cache" in request["regenerate"]["description"]
