"""`eduportal storage reconcile` as cron runs it, on a real data directory."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from eduportal.domain.accounts import Role
from eduportal.wiring import Container
from tests.support.cli import run_cli
from tests.support.containers import without_variants
from tests.support.generators import owned_keys
from tests.support.images import gradient, png
from tests.support.texts import PASSWORD

TEXT = (
    "Volcanoes form where magma rises through the crust. Lava that cools quickly forms basalt. "
    "Ash from large eruptions can change the weather for years. Most volcanoes lie along the "
    "edges of tectonic plates. Iceland sits on a ridge where two plates move apart."
)


@pytest.fixture
def portal(env: dict[str, str]) -> Container:
    return without_variants(Path(env["EDUPORTAL_DATA_DIR"]))


def store_orphan(portal: Container) -> list[str]:
    """An image stored as if the process crashed before saving its record: the keys of the
    image and its thumbnails, sorted as a listing gives them."""
    stored = portal.image_store.store_generated(
        "0001700000000-crash1", png(gradient(64, 48)), teacher_id="ann"
    )
    return sorted([stored.key, *stored.thumbnail_keys])


def test_dry_run_reports_and_deletes_nothing(env: dict[str, str], portal: Container) -> None:
    teacher = portal.accounts.register("ann", PASSWORD, Role.TEACHER)
    kept = portal.assignments.create_from_text(teacher, TEXT, with_image=True)
    dangling = portal.assignments.create_from_text(teacher, TEXT, with_image=True)
    portal.object_store.delete(dangling.s3_image_key)
    orphan = store_orphan(portal)

    recent = run_cli(["storage", "reconcile"], env)  # default window: 1 h
    assert recent.returncode == 3, recent.stderr
    report = json.loads(recent.stdout)
    assert report["orphans"] == [] and report["recent_unreferenced"] == 3
    assert report["dangling_records"] == [
        {"assignment_id": dangling.assignment_id, "teacher_id": "ann", "key": dangling.s3_image_key}
    ]

    result = run_cli(["storage", "reconcile", "--older-than", "0s"], env)
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True and report["backend"] == "local"
    assert [o["key"] for o in report["orphans"]] == orphan
    assert report["orphan_bytes"] == sum(o["size_bytes"] for o in report["orphans"]) > 0
    assert report["deleted"] == []
    # Each image with its two thumbnails; the dangling record's thumbnails only.
    assert (report["objects_scanned"], report["records_scanned"]) == (8, 2)
    assert any("--delete" in line for line in report["advice"])
    assert owned_keys(portal.object_store) == sorted(
        [*kept.image_keys, *dangling.thumbnail_keys, *orphan]
    )


def test_delete_removes_orphans_and_keeps_reporting_dangling_records(
    env: dict[str, str], portal: Container
) -> None:
    teacher = portal.accounts.register("ann", PASSWORD, Role.TEACHER)
    kept = portal.assignments.create_from_text(teacher, TEXT, with_image=True)
    dangling = portal.assignments.create_from_text(teacher, TEXT, with_image=True)
    portal.object_store.delete(dangling.s3_image_key)
    orphan = store_orphan(portal)

    result = run_cli(["storage", "reconcile", "--delete", "--older-than", "0s"], env)
    assert result.returncode == 3, result.stderr  # the dangling record still needs a person
    report = json.loads(result.stdout)
    assert report["dry_run"] is False and report["deleted"] == orphan
    assert report["delete_failures"] == []
    assert owned_keys(portal.object_store) == sorted([*kept.image_keys, *dangling.thumbnail_keys])
    assert portal.repositories.assignments.get(dangling.assignment_id) == dangling


def test_delete_that_fixes_everything_exits_0(env: dict[str, str], portal: Container) -> None:
    orphan = store_orphan(portal)
    two_hours_ago = time.time() - 7200
    for key in orphan:
        os.utime(Path(env["EDUPORTAL_DATA_DIR"]) / "objects" / key, (two_hours_ago,) * 2)
    result = run_cli(["storage", "reconcile", "--delete"], env)  # default window: 1 h
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["deleted"] == orphan and report["recent_unreferenced"] == 0
    assert report["orphans"][0]["last_modified"].endswith("+00:00")
    assert list(portal.object_store.list_keys()) == []


def test_a_clean_store_exits_0_with_an_empty_report(env: dict[str, str]) -> None:
    result = run_cli(["storage", "reconcile"], env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["orphans"] == report["dangling_records"] == report["advice"] == []
    assert report["older_than_seconds"] == 3600
    assert result.stderr == ""


@pytest.mark.parametrize(("value", "seconds"), [("90s", 90), ("30m", 1800), ("7d", 604800)])
def test_older_than_accepts_durations(env: dict[str, str], value: str, seconds: int) -> None:
    result = run_cli(["storage", "reconcile", "--older-than", value], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["older_than_seconds"] == seconds


@pytest.mark.parametrize("value", ["2", "2 hours", "-1h", "1.5h", "h"])
def test_a_bad_duration_is_a_usage_error(env: dict[str, str], value: str) -> None:
    result = run_cli(["storage", "reconcile", f"--older-than={value}"], env)
    assert result.returncode == 2
    assert "is not a duration" in result.stderr and "e.g. 90s, 30m, 2h or 7d" in result.stderr
    assert result.stdout == ""
