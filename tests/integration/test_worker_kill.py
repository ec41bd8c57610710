"""A real `eduportal worker` process killed with SIGKILL while it holds an image: nothing is
lost, each image ends COMPLETED once with exactly its outputs, and an image that kills every
worker taking it ends in the dead-letter queue.

Uploads are made and results read in this process, through the same adapters on the same data
directory; the worker is the command an operator starts.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eduportal.adapters.local.sqlite_events import SqliteEventBus
from eduportal.config import load_settings
from eduportal.domain.image_records import ImageStatus
from eduportal.domain.keys import canonical_key
from eduportal.wiring import Container, build
from tests.support.cli import cli_env, run_cli
from tests.support.images import photograph, png
from tests.support.network import wait_for

LEASE_SECONDS = 2
IMAGES = 4


def settings_env(data_dir: Path, max_receives: int) -> dict[str, str]:
    return {
        **cli_env(data_dir),
        "EDUPORTAL_QUEUE_VISIBILITY_SECONDS": str(LEASE_SECONDS),
        "EDUPORTAL_QUEUE_MAX_RECEIVES": str(max_receives),
    }


@pytest.fixture
def large_photo() -> bytes:
    """Large enough that a run lasts about a second here, so kills land inside stages."""
    return png(photograph("astronaut").resize((2048, 2048)))


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


def in_place(env: dict[str, str], **overrides: object) -> Container:
    """The container over the worker's data directory, for uploading and reading results."""
    return build(load_settings(data_dir=env["EDUPORTAL_DATA_DIR"], **overrides))


def kill_worker(env: dict[str, str], container: Container, log: Path, delay: float) -> bool | None:
    """Start a worker once no lease is held, wait until it holds a message, let `delay`
    pass, then SIGKILL it: True if it still held one then (it died mid-run), False if it
    had run out of messages, None when none was left to take."""
    wait_for(
        lambda: container.queue.depth().in_flight == 0,
        seconds=3 * LEASE_SECONDS,
        what="the killed worker's lease running out",
    )
    if container.queue.depth().waiting == 0:
        return None
    with log.open("a") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-m", "eduportal", "worker"], env=env, stderr=sink, text=True
        )

    def taken() -> bool:
        """Holding a message, or done with all: a message whose image a killed worker
        completed before its ack is taken and acknowledged faster than this polls."""
        depth = container.queue.depth()
        return depth.in_flight > 0 or depth.waiting == 0 or worker.poll() is not None

    try:
        try:
            wait_for(taken, seconds=30, what="the worker taking a message")
        except AssertionError as exc:
            depth = container.queue.depth()
            raise AssertionError(f"{exc}; {depth}; worker log:\n{log.read_text()}") from None
        assert worker.poll() is None, log.read_text()
        time.sleep(delay)
        holding = container.queue.depth().in_flight > 0
    finally:
        worker.kill()
        worker.wait()
    return holding


def keys(container: Container, prefix: str) -> set[str]:
    """The objects under `prefix`, without the AVIF and JPEG/PNG variants of its WebPs (each
    of those must have its WebP: a variant alone would be one a crash left stray)."""
    store = container.archive_store if prefix == "archive/" else container.stored_objects
    found = {info.key for info in store.list_objects(prefix)}
    variants = {key for key in found if canonical_key(key) is not None}
    assert {canonical_key(key) for key in variants} <= found, sorted(variants)
    return found - variants


def test_a_worker_killed_at_random_points_loses_nothing_and_completes_each_image_once(
    tmp_path: Path, large_photo: bytes, worker_log: Path
) -> None:
    env = settings_env(tmp_path / "data", max_receives=20)
    container = in_place(env)
    ids = [
        container.uploads.upload(
            large_photo, file_name=f"photo-{n}.png", content_type="image/png", uploader="t"
        ).image_id
        for n in range(IMAGES)
    ]
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)

    kills: list[bool] = []
    while len(kills) < 5:
        killed = kill_worker(env, container, worker_log, chance.uniform(0, 1.5))
        if killed is None:
            break
        kills.append(killed)
    assert any(kills), f"seed {seed}: no worker was killed holding a message"

    drained = run_cli(["worker", "--drain"], env, timeout=180)
    assert drained.returncode == 0, drained.stderr
    records = [container.uploads.get(image_id) for image_id in ids]
    assert [r.status for r in records] == [ImageStatus.COMPLETED] * IMAGES, f"seed {seed}"
    assert all(r.run == 1 and r.failure is None for r in records)
    assert keys(container, "processed/") == {f"processed/{i}.webp" for i in ids}
    assert keys(container, "thumbnails/") == {
        f"thumbnails/{i}/{size}.webp" for i in ids for size in (128, 256)
    }
    assert keys(container, "archive/") == {f"archive/{i}/photo-{n}.png" for n, i in enumerate(ids)}
    assert keys(container, "uploads/") == {r.key for r in records}
    events = container.events
    assert isinstance(events, SqliteEventBus)
    for image_id in ids:
        completions = [
            e
            for e in events.events_for(image_id, limit=500)
            if e.detail_type == "Image Processing Completed"
        ]
        assert len(completions) == 1, f"seed {seed}"
    status = json.loads(run_cli(["pipeline", "status"], env).stdout)
    assert status == {"waiting": 0, "in_flight": 0, "dead": 0}


def test_an_image_that_kills_every_worker_taking_it_ends_in_the_dead_letters(
    tmp_path: Path, large_photo: bytes, worker_log: Path
) -> None:
    env = settings_env(tmp_path / "data", max_receives=2)
    container = in_place(env, queue_max_receives=2)
    poison = container.uploads.upload(
        large_photo, file_name="poison.png", content_type="image/png", uploader="t"
    )

    for _ in range(2):  # each delivery "crashes" its worker
        assert kill_worker(env, container, worker_log, 0.0)

    drained = run_cli(["worker", "--drain"], env, timeout=60)
    assert drained.returncode == 0, drained.stderr
    assert json.loads(drained.stdout)["messages"] == 0
    letters = json.loads(run_cli(["pipeline", "dlq", "list", "--json"], env).stdout)
    assert [(letter["image_id"], letter["receive_count"]) for letter in letters] == [
        (poison.image_id, 2)
    ]
    assert "2" in letters[0]["reason"]
    # Fixed (here: nothing kills the worker any more), the image is redriven and completes.
    redriven = json.loads(run_cli(["pipeline", "dlq", "redrive", "--all"], env).stdout)
    assert redriven["redriven"] == [poison.image_id]
    assert json.loads(run_cli(["worker", "--drain"], env, timeout=60).stdout)["images"] == {
        "COMPLETED": 1
    }
