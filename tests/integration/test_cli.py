"""The `eduportal` command as an operator runs it: a real process, real backends."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.cli import run_cli
from tests.support.images import decode, photograph, png

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    path.write_bytes(png(photograph("astronaut")))
    return path


def test_optimize_writes_webp_and_prints_the_figures(
    env: dict[str, str], photo_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.webp"
    result = run_cli(
        ["image", "optimize", str(photo_file), str(out), "--max-dimension", "300"], env
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["format"] == "webp" and figures["dimensions"] == "300x300"
    assert figures["original_size_bytes"] == photo_file.stat().st_size
    assert figures["optimized_size_bytes"] == out.stat().st_size
    assert 0.3 <= figures["compression_ratio"] < 1
    assert decode(out.read_bytes()).format == "WEBP"
    assert figures["mode"] == "lossy" and figures["ssim"] >= 0.95  # the quality chosen for it

    fixed = run_cli(
        ["image", "optimize", str(photo_file), str(out), "--ssim-target", "off", "--quality", "70"],
        env,
    )
    assert fixed.returncode == 0, fixed.stderr
    assert (json.loads(fixed.stdout)["quality"], json.loads(fixed.stdout)["ssim"]) == (70, None)
    bad = run_cli(["image", "optimize", str(photo_file), str(out), "--ssim-target", "1.5"], env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "--ssim-target: '1.5': give an SSIM from 0.8 to 0.999, or off" in bad.stderr


def test_a_bad_input_exits_2_with_the_message_and_no_traceback(
    env: dict[str, str], tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    result = run_cli(["image", "optimize", str(text), str(tmp_path / "o.webp")], env)
    assert result.returncode == 2
    assert "not an image we can read" in result.stderr
    assert "reference:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.webp").exists()


def test_a_missing_file_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(["image", "optimize", str(tmp_path / "nope.png"), str(tmp_path / "o")], env)
    assert result.returncode == 2
    assert "Cannot read" in result.stderr and "Traceback" not in result.stderr


def test_put_and_get_on_the_local_backend(
    env: dict[str, str], photo_file: Path, tmp_path: Path
) -> None:
    put = run_cli(["image", "put", str(photo_file), "--assignment-id", "a42"], env)
    assert put.returncode == 0, put.stderr
    stored = json.loads(put.stdout)
    assert stored["key"] == "generated_images/a42.webp"
    assert stored["url"].startswith("http://127.0.0.1:8000/images/generated_images/a42.webp?v=")
    assert stored["upload_status"] == "success" and stored["attempts"] == 1
    assert stored["image_metadata"]["format"] == "webp"

    out = tmp_path / "back.webp"
    get = run_cli(["image", "get", stored["key"], str(out)], env)
    assert get.returncode == 0, get.stderr
    assert out.stat().st_size == stored["image_metadata"]["optimized_size_bytes"]


def test_get_of_a_missing_key_fails_clearly(env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(["image", "get", "generated_images/none.webp", str(tmp_path / "x")], env)
    assert result.returncode == 1
    assert "The image was not found." in result.stderr and "Traceback" not in result.stderr


def test_put_on_s3_with_cloudfront_urls(
    env: dict[str, str], photo_file: Path, moto_url: str, bucket: str, s3_admin: S3Client
) -> None:
    s3_env = {
        **env,
        "EDUPORTAL_STORAGE": "s3",
        "S3_BUCKET_NAME": bucket,
        "AWS_ENDPOINT_URL": moto_url,
        "CLOUDFRONT_DOMAIN": "d111.cloudfront.net",
    }
    put = run_cli(["image", "put", str(photo_file), "--assignment-id", "a7"], s3_env)
    assert put.returncode == 0, put.stderr
    stored = json.loads(put.stdout)
    assert stored["url"].startswith("https://d111.cloudfront.net/generated_images/a7.webp?v=")
    assert s3_admin.head_object(Bucket=bucket, Key=stored["key"])["ContentType"] == "image/webp"
    permanent = run_cli(["image", "mark-permanent", stored["key"]], s3_env)
    assert json.loads(permanent.stdout)["lifecycle"] == "permanent"
    tags = s3_admin.get_object_tagging(Bucket=bucket, Key=stored["key"])["TagSet"]
    assert tags == [{"Key": "lifecycle", "Value": "permanent"}]
    assert stored["thumbnail_keys"] == [
        "generated_images/a7/128.webp",
        "generated_images/a7/256.webp",
    ]
    for key in (stored["key"], *stored["thumbnail_keys"]):
        assert run_cli(["image", "delete", key], s3_env).returncode == 0
    assert s3_admin.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_an_unreachable_backend_fails_with_a_sentence_and_reference(
    env: dict[str, str], photo_file: Path
) -> None:
    dead_env = {
        **env,
        "EDUPORTAL_STORAGE": "s3",
        "S3_BUCKET_NAME": "bucket-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # discard port: connection refused
        "EDUPORTAL_S3_TIMEOUT_SECONDS": "3",
    }
    result = run_cli(["image", "put", str(photo_file), "--assignment-id", "a8"], dead_env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "(reference: " in last
    assert "Traceback" not in result.stderr


def test_bad_configuration_is_reported_by_name(env: dict[str, str]) -> None:
    result = run_cli(["image", "get", "k/x.webp", "out"], {**env, "EDUPORTAL_STORAGE": "s3"})
    assert result.returncode == 1
    assert "S3_BUCKET_NAME" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["users"],
        ["users", "add"],
        ["users", "list"],
        ["users", "delete"],
        ["users", "set-password"],
        ["users", "set-role"],
        ["storage"],
        ["storage", "reconcile"],
        ["image"],
        ["image", "optimize"],
        ["image", "put"],
        ["image", "get"],
        ["image", "delete"],
        ["image", "mark-permanent"],
    ],
)
def test_help_explains_every_command(env: dict[str, str], command: list[str]) -> None:
    result = run_cli([*command, "--help"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {' '.join(['eduportal', *command])} [-h]")
    assert "\noptions:\n" in result.stdout


def test_users_add_reads_the_password_from_stdin(env: dict[str, str]) -> None:
    def add(name: str, password: str) -> subprocess.CompletedProcess[str]:
        return run_cli(["users", "add", name, "--role", "teacher"], env, stdin=password + "\n")

    created = add("ann", "a long enough password")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout) == {"username": "ann", "role": "teacher"}
    duplicate = add("ann", "another long password")
    assert duplicate.returncode == 1 and "Traceback" not in duplicate.stderr
    short = add("bob", "short")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr


def test_image_variants_as_a_newcomer_runs_it(
    env: dict[str, str], photo_file: Path, tmp_path: Path
) -> None:
    # Issue 11: the help says what it makes and for whom; --missing makes what is missing,
    # with a line per image; a second run has nothing to do; a wrong key is a sentence.
    helped = run_cli(["image", "variants", "--help"], env)
    assert helped.returncode == 0
    for words in ("AVIF", "JPEG", "--missing", "SSIM", "background", "generated_images/"):
        assert words in helped.stdout
    put = run_cli(["image", "put", str(photo_file), "--assignment-id", "a9"], env)
    assert put.returncode == 0, put.stderr

    made = run_cli(["image", "variants", "--missing"], env)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert lines[0].startswith("[1/3] generated_images/a9.webp: avif ")
    assert "jpg" in lines[0] and lines[-1] == "Made the variants of 3 of 3 images."
    got = run_cli(["image", "get", "generated_images/a9.avif", str(tmp_path / "a9.avif")], env)
    assert got.returncode == 0 and decode((tmp_path / "a9.avif").read_bytes()).format == "AVIF"

    again = run_cli(["image", "variants", "--missing"], env)
    assert again.stdout.strip() == "Nothing to do: no stored image lacks variants."

    wrong = run_cli(["image", "variants", "uploads/x/photo.jpg", "generated_images/no.webp"], env)
    assert wrong.returncode == 1
    assert "is not a stored image that has variants" in wrong.stdout
    assert "The image was not found." in wrong.stdout
    assert "Traceback" not in wrong.stderr + wrong.stdout

    deleted = run_cli(["image", "delete", "generated_images/a9.webp"], env)
    assert deleted.returncode == 0
    gone = run_cli(["image", "get", "generated_images/a9.avif", str(tmp_path / "x")], env)
    assert gone.returncode != 0  # deleting an image deletes its variants
