"""An unexpected exception: a JSON 500 with a sentence and a reference, the traceback in the log
under the same id, never in the response."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eduportal.api.app import create_app
from eduportal.config import load_settings
from eduportal.wiring import build


def test_an_unexpected_exception_is_a_json_500_with_its_reference_in_the_log(
    tmp_path: Path, json_log: Callable[[], list[dict[str, Any]]]
) -> None:
    app = create_app(build(load_settings(data_dir=tmp_path)))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Correlation-ID": "trace-me-1"})
    assert response.status_code == 500
    assert response.json() == {
        "error": "Something went wrong on our side. Please try again.",
        "kind": "internal",
        "correlation_id": "trace-me-1",
    }
    assert response.headers["x-correlation-id"] == "trace-me-1"
    assert "secret" not in response.text and "Traceback" not in response.text
    logged = [line for line in json_log() if line.get("correlation_id") == "trace-me-1"]
    assert any("secret internal detail" in line.get("exc_info", "") for line in logged)
