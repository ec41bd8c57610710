"""Settings from the environment: the only module that reads it, validated once at start-up.

Names follow the deployment's conventions: the AWS ones (`AWS_REGION`, `S3_BUCKET_NAME`, ...)
are what Terraform's user data exports; eduportal's own carry the `EDUPORTAL_` prefix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Literal

import pydantic
from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from eduportal.domain.errors import ConfigurationError

MiB = 1024 * 1024


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


_AWS_PIPELINE_SETTINGS: Final = (
    ("image_records_table", "IMAGE_RECORDS_TABLE"),
    ("pipeline_queue_url", "PIPELINE_QUEUE_URL"),
    ("pipeline_dlq_url", "PIPELINE_DLQ_URL"),
    ("pipeline_topic_arn", "PIPELINE_TOPIC_ARN"),
    ("state_machine_arn", "STATE_MACHINE_ARN"),
    ("archive_bucket_name", "ARCHIVE_BUCKET_NAME"),
)
"""The settings that move the pipeline to AWS (field, variable), given all together or not at
all. `EVENT_BUS_NAME` is not among them: it has a default, the account's default bus."""
_TOPIC_ARN: Final = re.compile(r"arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")
_STATE_MACHINE_ARN: Final = re.compile(
    r"arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]{1,80}"
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=True, extra="ignore", populate_by_name=True, frozen=True
    )

    storage: Literal["local", "s3"] = Field("local", validation_alias=_env("EDUPORTAL_STORAGE"))
    data_dir: Path = Field(Path("data"), validation_alias=_env("EDUPORTAL_DATA_DIR"))
    public_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias=_env("EDUPORTAL_PUBLIC_URL"),
        description="Base URL of the image origin, used for image URLs when no CDN is set.",
    )
    api_host: str = Field("127.0.0.1", validation_alias=_env("EDUPORTAL_API_HOST"))
    api_port: int = Field(8000, ge=1, le=65535, validation_alias=_env("EDUPORTAL_API_PORT"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("EDUPORTAL_LOG_LEVEL")
    )

    s3_bucket_name: str | None = Field(None, validation_alias=_env("S3_BUCKET_NAME"))
    aws_region: str = Field("us-east-1", validation_alias=_env("AWS_REGION"))
    aws_endpoint_url: str | None = Field(None, validation_alias=_env("AWS_ENDPOINT_URL"))
    cloudfront_domain: str | None = Field(None, validation_alias=_env("CLOUDFRONT_DOMAIN"))
    s3_timeout_seconds: float = Field(
        30.0, gt=0, le=900, validation_alias=_env("EDUPORTAL_S3_TIMEOUT_SECONDS")
    )

    max_image_pixels: int = Field(
        50_000_000, gt=0, validation_alias=_env("EDUPORTAL_MAX_IMAGE_PIXELS")
    )
    max_upload_bytes: int = Field(
        25 * MiB, gt=0, validation_alias=_env("EDUPORTAL_MAX_UPLOAD_BYTES")
    )
    storage_quota_bytes: int | None = Field(
        None,
        gt=0,
        validation_alias=_env("EDUPORTAL_STORAGE_QUOTA_BYTES"),
        description="The image store's quota: `storage usage` reports the share used, and the "
        "monitoring alarm fires past 80 % of it (requirement 8.3). Unset: no quota.",
    )
    metrics: Literal["prometheus", "emf"] = Field(
        "prometheus",
        validation_alias=_env("EDUPORTAL_METRICS"),
        description="`emf` also publishes every metric to CloudWatch in the embedded metric "
        "format (namespace Eduportal); `/metrics` serves them either way.",
    )
    emf_endpoint: str | None = Field(
        None,
        pattern=r"^(tcp|udp)://[^:/]+:[0-9]+$",
        validation_alias=_env("EDUPORTAL_EMF_ENDPOINT"),
        description="The CloudWatch agent's EMF listener on an instance, e.g. "
        "tcp://127.0.0.1:25888; unset: standard output, which Lambda ships itself.",
    )
    emf_log_group: str = Field(
        "eduportal-metrics",
        min_length=1,
        validation_alias=_env("EDUPORTAL_EMF_LOG_GROUP"),
        description="The log group the agent writes the metric events to.",
    )
    max_image_dimension: int = Field(
        1024, ge=16, le=8192, validation_alias=_env("EDUPORTAL_MAX_IMAGE_DIMENSION")
    )
    webp_quality: int = Field(85, ge=1, le=100, validation_alias=_env("EDUPORTAL_WEBP_QUALITY"))
    ssim_target: float | None = Field(
        0.95,
        ge=0.8,
        lt=1.0,
        validation_alias=_env("EDUPORTAL_SSIM_TARGET"),
        description="The luma SSIM each stored WebP keeps, its quality chosen per image; "
        "`off` encodes at the fixed EDUPORTAL_WEBP_QUALITY instead.",
    )
    image_variants: bool = Field(
        True,
        validation_alias=_env("EDUPORTAL_IMAGE_VARIANTS"),
        description="Make AVIF and JPEG/PNG variants of stored images in the background "
        "(generated illustrations) and in the pipeline's thumbnails stage (uploads); `false` "
        "leaves them to `eduportal image variants`, the origin converting for old browsers.",
    )
    image_cache_bytes: int = Field(
        64 * MiB, ge=0, validation_alias=_env("EDUPORTAL_IMAGE_CACHE_BYTES")
    )
    max_decode_mb: int = Field(
        512,
        ge=64,
        validation_alias=_env("EDUPORTAL_MAX_DECODE_MB"),
        description="MiB one image may need to decode and convert, estimated from its header; "
        "512 admits a PNG, TIFF or JPEG of any mode at the default pixel limit.",
    )
    decode_memory_mb: int = Field(
        1024,
        ge=64,
        validation_alias=_env("EDUPORTAL_DECODE_MEMORY_MB"),
        description="MiB all decodes of the process may hold at once; more wait. Two images at "
        "the per-image limit: one per core of a 2-core server.",
    )
    decode_wait_seconds: float = Field(
        60.0,
        gt=0,
        le=600,
        validation_alias=_env("EDUPORTAL_DECODE_WAIT_SECONDS"),
        description="How long an image waits for decode memory before a 503 'busy'.",
    )

    mongodb_uri: str | None = Field(None, validation_alias=_env("MONGODB_URI"))
    mongodb_database: str = Field("eduportal", validation_alias=_env("MONGODB_DATABASE"))
    db_timeout_seconds: float = Field(
        10.0, gt=0, le=300, validation_alias=_env("EDUPORTAL_DB_TIMEOUT_SECONDS")
    )
    generators: Literal["auto", "offline", "bedrock"] = Field(
        "auto",
        validation_alias=_env("EDUPORTAL_GENERATORS"),
        description="auto: Bedrock when EDUPORTAL_STORAGE=s3, else the offline generators.",
    )
    bedrock_text_model_id: str = Field(
        "amazon.nova-pro-v1:0", validation_alias=_env("BEDROCK_TEXT_MODEL_ID")
    )
    bedrock_image_model_id: str = Field(
        "amazon.nova-canvas-v1:0", validation_alias=_env("BEDROCK_IMAGE_MODEL_ID")
    )
    bedrock_embedding_model_id: str = Field(
        "amazon.titan-embed-text-v2:0", validation_alias=_env("BEDROCK_EMBEDDING_MODEL_ID")
    )
    bedrock_timeout_seconds: float = Field(
        120.0, gt=0, le=900, validation_alias=_env("EDUPORTAL_BEDROCK_TIMEOUT_SECONDS")
    )
    titan_unrelated_cosine: float = Field(
        0.1,
        ge=0,
        lt=1,
        validation_alias=_env("EDUPORTAL_TITAN_UNRELATED_COSINE"),
        description=(
            "c0 of the Titan scorer's calibration: the median cosine between unrelated "
            "references. Not measured (no AWS account here); measure it with "
            "`python -m bench.scoring --calibrate --engines titan` and set it."
        ),
    )
    session_hours: float = Field(12.0, gt=0, validation_alias=_env("EDUPORTAL_SESSION_HOURS"))
    login_failures_per_account: int = Field(
        10, ge=1, validation_alias=_env("EDUPORTAL_LOGIN_FAILURES_PER_ACCOUNT")
    )
    login_failures_per_address: int = Field(
        200, ge=1, validation_alias=_env("EDUPORTAL_LOGIN_FAILURES_PER_ADDRESS")
    )
    login_window_seconds: int = Field(
        900, ge=1, le=86_400, validation_alias=_env("EDUPORTAL_LOGIN_WINDOW_SECONDS")
    )
    login_concurrency: int = Field(
        2,
        ge=1,
        le=64,
        validation_alias=_env("EDUPORTAL_LOGIN_CONCURRENCY"),
        description="Password checks at once; each takes about 46 MiB.",
    )
    question_generations_per_teacher: int = Field(
        60,
        ge=0,
        le=100_000,
        validation_alias=_env("EDUPORTAL_QUESTION_GENERATIONS_PER_TEACHER"),
        description="Sets of questions one teacher may generate in the generation window; "
        "0: no limit.",
    )
    image_generations_per_teacher: int = Field(
        30,
        ge=0,
        le=100_000,
        validation_alias=_env("EDUPORTAL_IMAGE_GENERATIONS_PER_TEACHER"),
        description="Illustrations one teacher may have drawn in the generation window (the "
        "generation cache's hits are free); 0: no limit.",
    )
    generation_window_seconds: int = Field(
        3600, ge=1, le=86_400, validation_alias=_env("EDUPORTAL_GENERATION_WINDOW_SECONDS")
    )
    max_json_bytes: int = Field(
        256 * 1024, ge=1024, validation_alias=_env("EDUPORTAL_MAX_JSON_BYTES")
    )
    header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        validation_alias=_env("EDUPORTAL_HEADER_TIMEOUT_SECONDS"),
        description="A connection whose request line and headers are not complete by then "
        "is closed.",
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        validation_alias=_env("EDUPORTAL_BODY_TIMEOUT_SECONDS"),
        description="A request body that stalls this long between two chunks is answered 408.",
    )
    ui_port: int = Field(8501, ge=1, le=65535, validation_alias=_env("EDUPORTAL_UI_PORT"))

    queue_visibility_seconds: float = Field(
        60.0,
        ge=1,
        le=43_200,
        validation_alias=_env("EDUPORTAL_QUEUE_VISIBILITY_SECONDS"),
        description="A worker's lease on a message; a worker that dies holding one gives it "
        "up this long after its last heartbeat.",
    )
    queue_max_receives: int = Field(
        5,
        ge=1,
        le=1000,
        validation_alias=_env("EDUPORTAL_QUEUE_MAX_RECEIVES"),
        description="Deliveries before a message that never succeeds goes to the dead letters.",
    )
    pipeline_retry_seconds: float = Field(
        2.0,
        gt=0,
        le=300,
        validation_alias=_env("EDUPORTAL_PIPELINE_RETRY_SECONDS"),
        description="The pause before a stage's first retry; each later one doubles it.",
    )
    pipeline_retries: int = Field(
        3, ge=0, le=10, validation_alias=_env("EDUPORTAL_PIPELINE_RETRIES")
    )

    # The pipeline on AWS: the names Terraform exports for the resources it provisions.
    image_records_table: str | None = Field(None, validation_alias=_env("IMAGE_RECORDS_TABLE"))
    pipeline_queue_url: str | None = Field(None, validation_alias=_env("PIPELINE_QUEUE_URL"))
    pipeline_dlq_url: str | None = Field(None, validation_alias=_env("PIPELINE_DLQ_URL"))
    pipeline_topic_arn: str | None = Field(None, validation_alias=_env("PIPELINE_TOPIC_ARN"))
    event_bus_name: str = Field("default", min_length=1, validation_alias=_env("EVENT_BUS_NAME"))
    state_machine_arn: str | None = Field(None, validation_alias=_env("STATE_MACHINE_ARN"))
    archive_bucket_name: str | None = Field(None, validation_alias=_env("ARCHIVE_BUCKET_NAME"))

    metrics_snapshot_seconds: float = Field(
        30.0,
        ge=0.1,
        le=300,
        validation_alias=_env("EDUPORTAL_METRICS_SNAPSHOT_SECONDS"),
        description="How often each long-running process records its metrics for the "
        "Operations page: the page's figures are at most this old.",
    )

    @property
    def use_bedrock(self) -> bool:
        return self.generators == "bedrock" or (self.generators == "auto" and self.storage == "s3")

    @property
    def aws_pipeline(self) -> bool:
        """Whether the pipeline runs on AWS's services (DynamoDB, SQS, SNS, EventBridge, Step
        Functions, the archive bucket) rather than on this machine's SQLite and files. S3
        storage alone does not move it: the portal may keep its images in S3 and still run
        the pipeline here."""
        return self.storage == "s3" and all(
            getattr(self, name) for name, _ in _AWS_PIPELINE_SETTINGS
        )

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "eduportal.db"

    @property
    def archive_dir(self) -> Path:
        """The pipeline's archive on one machine: a store of its own, as a bucket of its own
        is on AWS."""
        return self.data_dir / "archive"

    @field_validator(
        "s3_bucket_name",
        "aws_endpoint_url",
        "cloudfront_domain",
        "mongodb_uri",
        *(name for name, _ in _AWS_PIPELINE_SETTINGS),
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("ssim_target", mode="before")
    @classmethod
    def _off_is_fixed_quality(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "off" else value

    @field_validator("cloudfront_domain")
    @classmethod
    def _bare_domain(cls, value: str | None) -> str | None:
        """Accept `https://d123.cloudfront.net/` as well as the bare domain Terraform outputs."""
        if value is None:
            return None
        domain = value.strip().removeprefix("https://").removeprefix("http://").rstrip("/")
        if not domain or "/" in domain or " " in domain:
            raise ValueError("must be a domain name such as d1234abcd.cloudfront.net")
        return domain

    @field_validator("pipeline_queue_url", "pipeline_dlq_url")
    @classmethod
    def _queue_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be a queue URL such as https://sqs.REGION.amazonaws.com/ID/NAME")
        return value

    @field_validator("pipeline_topic_arn")
    @classmethod
    def _topic_arn(cls, value: str | None) -> str | None:
        """ARNs are checked here so that a wrong value stops the start, not the first image."""
        if value is not None and not _TOPIC_ARN.fullmatch(value):
            raise ValueError("must be a topic's ARN such as arn:aws:sns:REGION:ACCOUNT:NAME")
        return value

    @field_validator("state_machine_arn")
    @classmethod
    def _state_machine_arn(cls, value: str | None) -> str | None:
        if value is not None and not _STATE_MACHINE_ARN.fullmatch(value):
            raise ValueError(
                "must be a state machine's ARN such as "
                "arn:aws:states:REGION:ACCOUNT:stateMachine:NAME"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if self.storage == "s3" and not self.s3_bucket_name:
            raise ValueError("EDUPORTAL_STORAGE=s3 needs S3_BUCKET_NAME")
        return self

    @model_validator(mode="after")
    def _aws_pipeline_all_or_nothing(self) -> Settings:
        """Half a pipeline on AWS would split one image's life between two places (records
        in DynamoDB, the queue in SQLite, ...), so with S3 storage the pipeline's settings
        are all given (the pipeline on AWS) or none (the pipeline on this machine)."""
        if self.storage != "s3":
            return self
        given = [variable for name, variable in _AWS_PIPELINE_SETTINGS if getattr(self, name)]
        missing = [variable for name, variable in _AWS_PIPELINE_SETTINGS if not getattr(self, name)]
        if given and missing:
            raise ValueError(
                f"the pipeline on AWS needs {', '.join(missing)} as well as {', '.join(given)}; "
                "set them all, or none to run the pipeline on this machine"
            )
        return self

    @model_validator(mode="after")
    def _pool_holds_an_image_at_the_limit(self) -> Settings:
        if self.decode_memory_mb < self.max_decode_mb:
            raise ValueError(
                "EDUPORTAL_DECODE_MEMORY_MB must be at least EDUPORTAL_MAX_DECODE_MB, "
                "or an image under the per-image limit could never be decoded"
            )
        return self


def load_settings(**overrides: object) -> Settings:
    """Read and validate the environment once; every problem is listed in one clear error."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        text = "Invalid configuration: " + "; ".join(problems)
        raise ConfigurationError(text, detail=text) from None
