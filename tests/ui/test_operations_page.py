"""The Operations page, driven headless over what really happened: an assignment saved with
its illustration and shown, an upload processed by a worker, the page's own process recording
its metrics every fraction of a second into the SQLite history."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.images import gradient, png
from tests.support.network import wait_for
from tests.support.pages import make_assignment, texts

PAGE = "views/operations.py"


@pytest.fixture(autouse=True)
def quick_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the pages' container is built (autouse fixtures come first): the page's
    process records every 0.2 s, and the store's quota is small enough to fill."""
    monkeypatch.setenv("EDUPORTAL_METRICS_SNAPSHOT_SECONDS", "0.2")
    monkeypatch.setenv("EDUPORTAL_STORAGE_QUOTA_BYTES", "10000")


def recorded(container: Container, name: str) -> None:
    """Wait until a snapshot holding `name` is in the history."""
    history = container.metrics_history
    assert history is not None

    def held() -> bool:
        return any(s.name == name for snap in history.since(0) for s in snap.series)

    wait_for(held, seconds=10, what=f"a snapshot with {name}")


def charts_drawn(app: AppTest) -> int:
    return len(app.get("vega_lite_chart"))


def test_a_quiet_portal_says_what_will_appear(open_page: PageFactory, container: Container) -> None:
    app = open_page(PAGE, user="teacher1")
    shown = texts(app)
    assert not app.exception and not app.error
    assert "No image was saved in the last hour." in shown
    assert "No image went through the processing pipeline in the last hour." in shown
    figures = {metric.label: (metric.value, metric.delta) for metric in app.metric}
    assert figures["Failed saves"] == ("—", "no saves")  # no traffic: not 0 %
    assert figures["In the queue"] == ("0", "0 in progress")
    assert charts_drawn(app) == 0
    assert "No quota is set" not in shown  # the quota is set: a share is shown


def test_real_work_shows_as_figures_and_charts(
    open_page: PageFactory, container: Container
) -> None:
    assignment = make_assignment(container)
    key = container.assignments.get(assignment).s3_image_key
    for _ in range(3):
        container.image_store.read(key)
    container.uploads.upload(
        png(gradient(640, 480)), file_name="lesson.png", content_type="image/png", uploader="t1"
    )
    container.worker().run(drain=True)  # in this process: its stages are recorded too
    recorded(container, "pipeline_stage_seconds")

    app = open_page(PAGE, user="teacher1")
    shown = texts(app)
    assert not app.exception and not app.error
    assert "How long saving an image takes" in shown
    assert "No image was saved in the last hour." not in shown
    assert "No image went through the processing pipeline" not in shown
    assert charts_drawn(app) >= 4  # saves, failures, memory, stages, optimized
    (bar,) = app.get("progress")
    assert "of 10 KB used" in bar.proto.text
    assert "past 80% of its quota" in shown  # the illustration and the upload fill it
    assert "the pages" in shown  # who reported: this process
