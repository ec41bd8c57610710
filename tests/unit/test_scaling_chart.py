"""The scaling watch's chart drawn from hand-built timelines, including the sparse ones a
real watch can end with: no CPU data, no alarms, no target groups, failed polls."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from eduportal.cli.scaling_chart import draw_chart
from eduportal.services.scaling_watch import FailedPoll, Timeline, WatchSettings, analyze
from tests.support.scaling_samples import poll


def _drawn(path: Path) -> tuple[int, int]:
    with Image.open(path) as chart:
        chart.verify()
        assert chart.format == "PNG"
        return chart.size


def test_a_full_story_is_drawn(tmp_path: Path) -> None:
    load = {0.0: 30.0, 60.0: 85.0, 120.0: 90.0, 180.0: 40.0, 240.0: 30.0}

    def seen(at: float) -> dict[float, float]:
        return {t: p for t, p in load.items() if t <= at - 60}

    both = ["i-1", "i-2"]
    samples = [
        poll(60, points=seen(60), alarms={"high": "OK", "low": "OK"}),
        poll(120, points=seen(120), alarms={"high": "ALARM", "low": "OK"}, pending=["i-2"]),
        poll(180, points=seen(180), alarms={"high": "ALARM", "low": "OK"}, in_service=both),
        poll(240, points=seen(240), alarms={"high": "OK", "low": "ALARM"}, in_service=both),
        poll(300, points=seen(300), alarms={"high": "OK", "low": "OK"}),
    ]
    timeline = Timeline(WatchSettings("web", 15.0), 60.0, 310.0, tuple(samples), ())
    draw_chart(analyze(timeline), tmp_path / "chart.png")
    width, height = _drawn(tmp_path / "chart.png")
    assert width > 1200 and height > 800


def test_a_sparse_watch_is_drawn(tmp_path: Path) -> None:
    samples = (poll(0.0, target_groups=()), poll(30.0, target_groups=()))
    timeline = Timeline(
        WatchSettings("web", 15.0), 0.0, 45.0, samples, (), (FailedPoll(15.0, "no answer"),)
    )
    draw_chart(analyze(timeline), tmp_path / "chart.png")
    _drawn(tmp_path / "chart.png")
