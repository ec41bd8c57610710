"""Calls to the REST API that many tests make."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.texts import TEXT


def create_assignment(
    client: httpx.Client,
    *,
    with_image: bool = False,
    text: str = TEXT,
    title: str | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    """A teacher's new assignment, which must be created; its title is proposed from the text
    unless given."""
    request: dict[str, Any] = {"text": text, "with_image": with_image}
    if title is not None:
        request["title"] = title
    if subject is not None:
        request["subject"] = subject
    response = client.post("/api/assignments", json=request)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def answer(
    client: httpx.Client, assignment_id: str, text: str, question: str = "q1"
) -> dict[str, Any]:
    """A student's answer, which must be scored; returns the response body."""
    response = client.post(
        f"/api/assignments/{assignment_id}/answers", json={"question_id": question, "answer": text}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_error(response: httpx.Response, status: int, kind: str | None = None) -> str:
    """The JSON error shape with its correlation id; returns the sentence."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "kind", "correlation_id"}
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    if kind is not None:
        assert body["kind"] == kind
    assert "Traceback" not in response.text
    sentence: str = body["error"]
    return sentence
