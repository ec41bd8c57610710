"""Settings: defaults, validation with clear messages naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from eduportal.cli.serve import streamlit_command
from eduportal.config import load_settings
from eduportal.domain.errors import ConfigurationError

_NAMES = (
    "EDUPORTAL_STORAGE",
    "EDUPORTAL_DATA_DIR",
    "S3_BUCKET_NAME",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "CLOUDFRONT_DOMAIN",
    "EDUPORTAL_S3_TIMEOUT_SECONDS",
    "EDUPORTAL_MAX_IMAGE_PIXELS",
    "EDUPORTAL_MAX_UPLOAD_BYTES",
    "EDUPORTAL_PUBLIC_URL",
    "EDUPORTAL_MAX_DECODE_MB",
    "EDUPORTAL_DECODE_MEMORY_MB",
    "EDUPORTAL_DECODE_WAIT_SECONDS",
    "IMAGE_RECORDS_TABLE",
    "PIPELINE_QUEUE_URL",
    "PIPELINE_DLQ_URL",
    "PIPELINE_TOPIC_ARN",
    "EVENT_BUS_NAME",
    "STATE_MACHINE_ARN",
    "ARCHIVE_BUCKET_NAME",
    "EDUPORTAL_QUESTION_GENERATIONS_PER_TEACHER",
    "EDUPORTAL_IMAGE_GENERATIONS_PER_TEACHER",
    "EDUPORTAL_GENERATION_WINDOW_SECONDS",
)
AWS_PIPELINE = {
    "IMAGE_RECORDS_TABLE": "eduportal-image-records",
    "PIPELINE_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/eduportal-pipeline",
    "PIPELINE_DLQ_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/eduportal-pipeline-dlq",
    "PIPELINE_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:eduportal-pipeline",
    "STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:eduportal-pipeline",
    "ARCHIVE_BUCKET_NAME": "eduportal-archive-1a2b",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _NAMES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_setup() -> None:
    settings = load_settings()
    assert settings.storage == "local"
    assert settings.data_dir == Path("data")
    assert settings.aws_region == "us-east-1"
    assert settings.s3_timeout_seconds == 30
    assert settings.cloudfront_domain is None
    assert settings.webp_quality == 85
    assert settings.max_image_dimension == 1024


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUPORTAL_STORAGE", "s3")
    monkeypatch.setenv("S3_BUCKET_NAME", "education-portal-images-1a2b")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("CLOUDFRONT_DOMAIN", "https://d1234.cloudfront.net/")
    monkeypatch.setenv("EDUPORTAL_S3_TIMEOUT_SECONDS", "1.5")
    monkeypatch.setenv("EDUPORTAL_MAX_IMAGE_PIXELS", "1000000")
    monkeypatch.setenv("EDUPORTAL_MAX_UPLOAD_BYTES", "2048")
    settings = load_settings()
    assert settings.storage == "s3"
    assert settings.s3_bucket_name == "education-portal-images-1a2b"
    assert settings.aws_region == "ap-south-1"
    assert settings.aws_endpoint_url == "http://127.0.0.1:9000"
    assert settings.cloudfront_domain == "d1234.cloudfront.net"
    assert settings.s3_timeout_seconds == 1.5
    assert settings.max_image_pixels == 1_000_000
    assert settings.max_upload_bytes == 2048


def test_decode_memory_settings_are_read_and_checked_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings()
    assert (settings.max_decode_mb, settings.decode_memory_mb) == (512, 1024)
    assert settings.decode_wait_seconds == 60
    monkeypatch.setenv("EDUPORTAL_MAX_DECODE_MB", "256")
    monkeypatch.setenv("EDUPORTAL_DECODE_MEMORY_MB", "768")
    monkeypatch.setenv("EDUPORTAL_DECODE_WAIT_SECONDS", "15")
    settings = load_settings()
    assert (settings.max_decode_mb, settings.decode_memory_mb) == (256, 768)
    assert settings.decode_wait_seconds == 15
    monkeypatch.setenv("EDUPORTAL_DECODE_MEMORY_MB", "128")
    with pytest.raises(ConfigurationError, match="EDUPORTAL_DECODE_MEMORY_MB must be at least"):
        load_settings()


def test_generation_allowances_default_to_60_and_30_an_hour_and_0_lifts_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings()
    assert settings.question_generations_per_teacher == 60
    assert settings.image_generations_per_teacher == 30
    assert settings.generation_window_seconds == 3600
    monkeypatch.setenv("EDUPORTAL_QUESTION_GENERATIONS_PER_TEACHER", "0")
    monkeypatch.setenv("EDUPORTAL_IMAGE_GENERATIONS_PER_TEACHER", "12")
    monkeypatch.setenv("EDUPORTAL_GENERATION_WINDOW_SECONDS", "86400")
    settings = load_settings()
    assert settings.question_generations_per_teacher == 0
    assert settings.image_generations_per_teacher == 12
    assert settings.generation_window_seconds == 86_400


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EDUPORTAL_QUESTION_GENERATIONS_PER_TEACHER", "-1"),
        ("EDUPORTAL_QUESTION_GENERATIONS_PER_TEACHER", "100001"),
        ("EDUPORTAL_IMAGE_GENERATIONS_PER_TEACHER", "-1"),
        ("EDUPORTAL_IMAGE_GENERATIONS_PER_TEACHER", "many"),
        ("EDUPORTAL_GENERATION_WINDOW_SECONDS", "0"),
        ("EDUPORTAL_GENERATION_WINDOW_SECONDS", "86401"),
    ],
)
def test_generation_allowances_out_of_range_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings()


@pytest.mark.parametrize(
    ("given", "target"), [(None, 0.95), ("0.97", 0.97), ("off", None), (" OFF ", None)]
)
def test_the_ssim_target_is_a_figure_or_off(
    monkeypatch: pytest.MonkeyPatch, given: str | None, target: float | None
) -> None:
    if given is not None:
        monkeypatch.setenv("EDUPORTAL_SSIM_TARGET", given)
    assert load_settings().ssim_target == target


@pytest.mark.parametrize("given", ["1", "0.5", "high"])
def test_an_ssim_target_out_of_range_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("EDUPORTAL_SSIM_TARGET", given)
    with pytest.raises(ConfigurationError, match="EDUPORTAL_SSIM_TARGET"):
        load_settings()


@pytest.mark.parametrize(("given", "made"), [(None, True), ("false", False), ("true", True)])
def test_image_variants_are_made_unless_turned_off(
    monkeypatch: pytest.MonkeyPatch, given: str | None, made: bool
) -> None:
    if given is not None:
        monkeypatch.setenv("EDUPORTAL_IMAGE_VARIANTS", given)
    assert load_settings().image_variants is made


def test_image_variants_that_are_not_a_yes_or_no_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDUPORTAL_IMAGE_VARIANTS", "sometimes")
    with pytest.raises(ConfigurationError, match="EDUPORTAL_IMAGE_VARIANTS"):
        load_settings()


def test_s3_without_a_bucket_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUPORTAL_STORAGE", "s3")
    with pytest.raises(ConfigurationError, match="S3_BUCKET_NAME"):
        load_settings()


def test_every_bad_value_is_named_in_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUPORTAL_STORAGE", "ftp")
    monkeypatch.setenv("EDUPORTAL_S3_TIMEOUT_SECONDS", "-3")
    monkeypatch.setenv("EDUPORTAL_MAX_UPLOAD_BYTES", "lots")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = caught.value.user_message
    for name in ("EDUPORTAL_STORAGE", "EDUPORTAL_S3_TIMEOUT_SECONDS", "EDUPORTAL_MAX_UPLOAD_BYTES"):
        assert name in message


def test_blank_optional_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFRONT_DOMAIN", " ")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")
    settings = load_settings()
    assert settings.cloudfront_domain is None and settings.aws_endpoint_url is None


def test_a_cloudfront_value_with_a_path_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFRONT_DOMAIN", "d1234.cloudfront.net/images")
    with pytest.raises(ConfigurationError, match="CLOUDFRONT_DOMAIN"):
        load_settings()


@pytest.mark.parametrize(
    ("max_upload_bytes", "megabytes"),
    [(25 * 1024 * 1024, "25"), (2_000_000, "2"), (1, "1"), (25 * 1024 * 1024 + 1, "26")],
)
def test_the_ui_uploader_takes_the_upload_limit(max_upload_bytes: int, megabytes: str) -> None:
    """Streamlit's limit is in whole megabytes: rounded up, never below what we accept."""
    command = streamlit_command(load_settings(max_upload_bytes=max_upload_bytes), "h", 1)
    assert command[command.index("--server.maxUploadSize") + 1] == megabytes


def test_the_pipeline_moves_to_aws_with_all_of_its_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDUPORTAL_STORAGE", "s3")
    monkeypatch.setenv("S3_BUCKET_NAME", "education-portal-images-1a2b")
    assert not load_settings().aws_pipeline  # S3 storage alone: the pipeline stays here
    for name, value in AWS_PIPELINE.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.aws_pipeline
    assert settings.image_records_table == "eduportal-image-records"
    assert settings.pipeline_dlq_url == AWS_PIPELINE["PIPELINE_DLQ_URL"]
    assert settings.event_bus_name == "default"
    monkeypatch.setenv("EVENT_BUS_NAME", "eduportal")
    assert load_settings().event_bus_name == "eduportal"
    monkeypatch.setenv("EDUPORTAL_STORAGE", "local")
    assert not load_settings().aws_pipeline  # the embedded default whatever else is set


def test_half_a_pipeline_on_aws_is_refused_naming_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDUPORTAL_STORAGE", "s3")
    monkeypatch.setenv("S3_BUCKET_NAME", "education-portal-images-1a2b")
    monkeypatch.setenv("IMAGE_RECORDS_TABLE", AWS_PIPELINE["IMAGE_RECORDS_TABLE"])
    monkeypatch.setenv("STATE_MACHINE_ARN", AWS_PIPELINE["STATE_MACHINE_ARN"])
    monkeypatch.setenv("PIPELINE_TOPIC_ARN", " ")  # blank counts as unset
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert caught.value.user_message == (
        "Invalid configuration: settings: the pipeline on AWS needs PIPELINE_QUEUE_URL, "
        "PIPELINE_DLQ_URL, PIPELINE_TOPIC_ARN, ARCHIVE_BUCKET_NAME as well as "
        "IMAGE_RECORDS_TABLE, STATE_MACHINE_ARN; set them all, or none to run the pipeline "
        "on this machine"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PIPELINE_QUEUE_URL", "eduportal-pipeline"),
        ("PIPELINE_TOPIC_ARN", "eduportal-pipeline"),
        ("PIPELINE_TOPIC_ARN", "arn:aws:sqs:eu-west-1:123456789012:eduportal-pipeline"),
        ("STATE_MACHINE_ARN", "arn:aws:states:eu-west-1:123456789012:execution:m:run-1"),
        ("STATE_MACHINE_ARN", "arn:aws:states:eu-west-1:123456789012:stateMachine:m:live"),
    ],
)
def test_a_pipeline_resource_of_the_wrong_kind_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings()
