"""The pipeline's commands as an operator runs them: `upload`, `worker`, `images`, `pipeline`,
real processes on the embedded default."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.images import gradient, photograph, png
from tests.support.network import free_port, wait_for


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    path.write_bytes(png(photograph("astronaut")))
    return path


def uploaded(path: Path, env: dict[str, str]) -> dict[str, str]:
    result = run_cli(["upload", str(path)], env)
    assert result.returncode == 0, result.stderr
    printed: dict[str, str] = json.loads(result.stdout)
    return printed


def drained(env: dict[str, str]) -> dict[str, object]:
    result = run_cli(["worker", "--drain"], env, timeout=120)
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def shown(image_id: str, env: dict[str, str]) -> dict[str, object]:
    result = run_cli(["images", "show", image_id, "--json"], env)
    assert result.returncode == 0, result.stderr
    record: dict[str, object] = json.loads(result.stdout)
    return record


def test_an_upload_is_queued_then_a_draining_worker_processes_it(
    env: dict[str, str], photo_file: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("a text file with an image's name")
    photo, text = uploaded(photo_file, env), uploaded(notes, env)
    assert photo["status"] == "UPLOADED" and photo["key"].startswith("uploads/")
    assert photo["key"].endswith("/photo.png")
    status = run_cli(["pipeline", "status"], env)
    assert json.loads(status.stdout) == {"waiting": 2, "in_flight": 0, "dead": 0}

    report = drained(env)

    assert report == {"messages": 2, "images": {"COMPLETED": 1, "REJECTED": 1}, "errors": 0}
    record = shown(photo["image_id"], env)
    assert record["status"] == "COMPLETED"
    assert record["processed_key"] == f"processed/{photo['image_id']}.webp"
    assert record["metadata"]["width"] == 512  # type: ignore[index]
    assert [a["stage"] for a in record["history"]] == [  # type: ignore[attr-defined]
        "validate",
        "extract_metadata",
        "resize",
        "thumbnails",
        "archive",
    ]
    rejected = shown(text["image_id"], env)
    assert rejected["status"] == "REJECTED"
    assert "not an image we can read" in str(rejected["reason"])


def test_records_are_shown_to_people_and_listed_by_status_and_day(
    env: dict[str, str], photo_file: Path
) -> None:
    photo = uploaded(photo_file, env)
    drained(env)
    today = datetime.now(UTC).date().isoformat()

    readable = run_cli(["images", "show", photo["image_id"]], env)
    assert readable.returncode == 0, readable.stderr
    assert f"{photo['image_id']}  COMPLETED" in readable.stdout
    assert "thumbnails/" in readable.stdout and "resize" in readable.stdout

    listed = run_cli(["images", "list", "--status", "COMPLETED", "--date", today, "--json"], env)
    assert [r["image_id"] for r in json.loads(listed.stdout)] == [photo["image_id"]]
    assert run_cli(["images", "list", "--status", "FAILED"], env).stdout == (
        "No image records match.\n"
    )
    other_day = run_cli(["images", "list", "--since", "2020-01-01", "--until", "2020-01-31"], env)
    assert other_day.stdout == "No image records match.\n"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["images", "list", "--date", "2026-13-01"], "is not a date"),
        (["images", "list", "--limit", "500"], "from 1 to 200"),
        (["images", "list", "--date", "2026-01-01", "--since", "2026-01-01"], "not both"),
        (["images", "list", "--since", "2020-01-01", "--until", "2026-01-01"], "366 days"),
        (["pipeline", "dlq", "redrive"], "or --all"),
        (["worker", "--concurrency", "0"], "from 1 to 64"),
    ],
)
def test_bad_arguments_get_a_sentence_and_exit_2(
    env: dict[str, str], args: list[str], words: str
) -> None:
    result = run_cli(args, env)
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_image_is_a_sentence_not_a_traceback(env: dict[str, str]) -> None:
    result = run_cli(["images", "show", "1700000000000-abcdef12"], env)
    assert result.returncode == 1
    assert "There is no such image." in result.stderr and "Traceback" not in result.stderr


def test_upload_wait_follows_a_worker_and_prints_the_final_record(
    env: dict[str, str], tmp_path: Path
) -> None:
    image = tmp_path / "gradient.png"
    image.write_bytes(png(gradient(640, 480)))
    workers = subprocess.Popen(
        [sys.executable, "-m", "eduportal", "worker", "--concurrency", "2"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        result = run_cli(["upload", str(image), "--wait", "--timeout", "90"], env, timeout=120)
        assert result.returncode == 0, result.stderr
        record = json.loads(result.stdout)
        assert record["status"] == "COMPLETED" and len(record["thumbnail_keys"]) == 2
        for stage in ("validate", "resize", "archive"):
            assert f"{stage} done" in result.stderr
    finally:
        workers.send_signal(signal.SIGTERM)
        _, log = workers.communicate(timeout=60)
    assert workers.returncode == 0, log
    assert log.count("stopping: SIGTERM received") == 3  # the supervisor and its two workers
    status = json.loads(run_cli(["pipeline", "status"], env).stdout)
    assert status == {"waiting": 0, "in_flight": 0, "dead": 0}


def test_upload_wait_without_a_worker_says_what_to_start(
    env: dict[str, str], photo_file: Path
) -> None:
    result = run_cli(["upload", str(photo_file), "--wait", "--timeout", "1"], env)
    assert result.returncode == 1
    assert json.loads(result.stdout)["status"] == "UPLOADED"
    assert "Is a worker running" in result.stderr


def test_a_failed_image_waits_in_the_dead_letters_until_redriven_once(
    env: dict[str, str], photo_file: Path
) -> None:
    """The archive store broken (a file where its directory should be): archiving fails on
    every try, the image ends FAILED with its message dead-lettered; fixed, then redriven
    twice, it is processed once more and completes in its second run."""
    failing = {**env, "EDUPORTAL_PIPELINE_RETRIES": "1", "EDUPORTAL_PIPELINE_RETRY_SECONDS": "0.1"}
    archive = Path(env["EDUPORTAL_DATA_DIR"]) / "archive"
    archive.parent.mkdir(parents=True)
    archive.write_text("in the way")
    photo = uploaded(photo_file, failing)
    assert drained(failing)["images"] == {"FAILED": 1}
    record = shown(photo["image_id"], env)
    assert record["status"] == "FAILED"
    assert record["failure"]["stage"] == "archive"  # type: ignore[index]
    assert record["failure"]["attempts"] == 2  # type: ignore[index]

    letters = json.loads(run_cli(["pipeline", "dlq", "list", "--json"], env).stdout)
    assert [letter["image_id"] for letter in letters] == [photo["image_id"]]
    readable = run_cli(["pipeline", "dlq", "list"], env).stdout
    assert letters[0]["id"] in readable and "archive" in readable

    archive.unlink()
    first = run_cli(["pipeline", "dlq", "redrive", letters[0]["id"]], env)
    again = run_cli(["pipeline", "dlq", "redrive", letters[0]["id"]], env)
    assert json.loads(first.stdout) == {"redriven": [photo["image_id"]], "not_found": []}
    assert json.loads(again.stdout) == {"redriven": [], "not_found": [letters[0]["id"]]}
    assert "already redriven" in again.stderr
    assert drained(env)["images"] == {"COMPLETED": 1}
    record = shown(photo["image_id"], env)
    assert record["status"] == "COMPLETED" and record["run"] == 2


def test_pipeline_asl_prints_the_definition_for_terraform_or_an_account(
    env: dict[str, str],
) -> None:
    template = json.loads(run_cli(["pipeline", "asl"], env).stdout)
    assert template["StartAt"] == "Begin"
    assert template["States"]["Resize"]["Resource"].startswith("${lambda_arn_prefix}")
    prefix = "arn:aws:lambda:eu-west-1:123456789012:function:"
    concrete = json.loads(run_cli(["pipeline", "asl", "--arn-prefix", prefix], env).stdout)
    assert concrete["States"]["Resize"]["Resource"] == prefix + "eduportal-pipeline-resize"


def test_pipeline_permissions_prints_each_functions_grants(env: dict[str, str]) -> None:
    printed = json.loads(run_cli(["pipeline", "permissions"], env).stdout)
    functions = {function["name"]: function for function in printed["functions"]}
    assert "eduportal-pipeline-resize" in functions
    assert printed["roles"]["state_machine"]["statements"]


def test_every_new_command_explains_itself(env: dict[str, str]) -> None:
    for command in (
        ["worker"],
        ["upload"],
        ["images", "show"],
        ["images", "list"],
        ["pipeline", "asl"],
        ["pipeline", "permissions"],
        ["pipeline", "status"],
        ["pipeline", "dlq", "list"],
        ["pipeline", "dlq", "redrive"],
    ):
        result = run_cli([*command, "--help"], env)
        assert result.returncode == 0 and len(result.stdout) > 200, command


def test_serve_starts_a_worker_that_processes_uploads_and_stops_with_it(
    env: dict[str, str], photo_file: Path
) -> None:
    port = free_port()
    serving = subprocess.Popen(
        [sys.executable, "-m", "eduportal", "serve", "--no-ui", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        photo = uploaded(photo_file, env)
        wait_for(
            lambda: shown(photo["image_id"], env)["status"] == "COMPLETED",
            seconds=60,
            what="the image processed by serve's worker",
        )
    finally:
        serving.send_signal(signal.SIGINT)
        _, log = serving.communicate(timeout=90)
    assert serving.returncode == 0, log
    assert "worker:       1 process" in log
    assert "stopping: SIGTERM received" in log  # the worker, told by serve as it stopped
