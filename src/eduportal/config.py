"""Settings from the environment: the only module that reads it, validated once at start-up.

Names follow the deployment's conventions: the AWS ones (`AWS_REGION`, `S3_BUCKET_NAME`, ...)
are what Terraform's user data exports; eduportal's own carry the `EDUPORTAL_` prefix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pydantic
from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from eduportal.domain.errors import ConfigurationError

MiB = 1024 * 1024


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


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
    max_image_dimension: int = Field(
        1024, ge=16, le=8192, validation_alias=_env("EDUPORTAL_MAX_IMAGE_DIMENSION")
    )
    webp_quality: int = Field(85, ge=1, le=100, validation_alias=_env("EDUPORTAL_WEBP_QUALITY"))
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

    @property
    def use_bedrock(self) -> bool:
        return self.generators == "bedrock" or (self.generators == "auto" and self.storage == "s3")

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "eduportal.db"

    @property
    def archive_dir(self) -> Path:
        """The pipeline's archive on one machine: a store of its own, as a bucket of its own
        is on AWS."""
        return self.data_dir / "archive"

    @field_validator(
        "s3_bucket_name", "aws_endpoint_url", "cloudfront_domain", "mongodb_uri", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
