"""boto3 clients configured once: botocore's standard retry mode and bounded timeouts.

"Retry up to three times" (requirement 1.3) is `total_max_attempts=4`: standard mode retries
throttling, 5xx, and dropped or timed-out connections with truncated exponential backoff and
full jitter (rand * base * 2^i, base 50 ms for transient errors and 1 s for throttling,
honouring `x-amz-retry-after`), and spends from a client-wide retry quota so a failing backend
is not hammered by every caller at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

MAX_ATTEMPTS = 4
CLOUDFRONT_REGION: Final = "us-east-1"
"""Where CloudFront's API answers and where it publishes its metrics, so where the alarms on
them live, whatever the region of the rest of the stack."""
SQS_LONGEST_POLL_SECONDS: Final = 20
"""SQS holds a ReceiveMessage open for at most this long (`WaitTimeSeconds`) waiting for a
message."""


def client_config(timeout_seconds: float, *, max_pool_connections: int = 32) -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=min(timeout_seconds, 10.0),
        read_timeout=timeout_seconds,
        max_pool_connections=max_pool_connections,
        s3={"addressing_style": "path"},
    )


_MODELS: Final = botocore.loaders.create_loader()
"""One loader for every session: it keeps each service model it has parsed. A session of its
own per client (sessions are not thread-safe, clients are) would otherwise parse the model's
JSON again for every client: about 0.1 s each, nine times for one deployment check."""


def aws_client(
    service: str, region: str, endpoint_url: str | None, config: Config
) -> Any:  # boto3 types every client by its service name only through the stubs
    core = botocore.session.get_session()
    core.register_component("data_loader", _MODELS)
    session = boto3.session.Session(botocore_session=core, region_name=region)
    return session.client(service, endpoint_url=endpoint_url, config=config)  # type: ignore[call-overload]


def s3_client(*, region: str, timeout_seconds: float, endpoint_url: str | None = None) -> S3Client:
    """`endpoint_url` points it at any S3-compatible server (MinIO, moto, ...)."""
    return cast("S3Client", aws_client("s3", region, endpoint_url, client_config(timeout_seconds)))


def dynamodb_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> DynamoDBClient:
    """`endpoint_url` points it at DynamoDB Local or moto."""
    config = client_config(timeout_seconds)
    return cast("DynamoDBClient", aws_client("dynamodb", region, endpoint_url, config))


def events_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> EventBridgeClient:
    config = client_config(timeout_seconds)
    return cast("EventBridgeClient", aws_client("events", region, endpoint_url, config))


def sns_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> SNSClient:
    return cast(
        "SNSClient", aws_client("sns", region, endpoint_url, client_config(timeout_seconds))
    )


def stepfunctions_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> SFNClient:
    config = client_config(timeout_seconds)
    return cast("SFNClient", aws_client("stepfunctions", region, endpoint_url, config))


def sqs_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> SQSClient:
    """A long poll is a read that legitimately stays silent for up to 20 s, so reads wait a
    little longer than that whatever `timeout_seconds` says; shorter, every idle long poll
    would time out and be retried as if SQS had failed."""
    config = client_config(timeout_seconds).merge(
        Config(read_timeout=max(timeout_seconds, SQS_LONGEST_POLL_SECONDS + 5))
    )
    return cast("SQSClient", aws_client("sqs", region, endpoint_url, config))


def autoscaling_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> AutoScalingClient:
    config = client_config(timeout_seconds)
    return cast("AutoScalingClient", aws_client("autoscaling", region, endpoint_url, config))


def cloudwatch_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> CloudWatchClient:
    config = client_config(timeout_seconds)
    return cast("CloudWatchClient", aws_client("cloudwatch", region, endpoint_url, config))


def elbv2_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> ElasticLoadBalancingv2Client:
    config = client_config(timeout_seconds)
    return cast("ElasticLoadBalancingv2Client", aws_client("elbv2", region, endpoint_url, config))


def cloudfront_client(
    *, timeout_seconds: float, endpoint_url: str | None = None
) -> CloudFrontClient:
    """CloudFront is global: its API answers in us-east-1 whatever the stack's region."""
    config = client_config(timeout_seconds)
    return cast(
        "CloudFrontClient", aws_client("cloudfront", CLOUDFRONT_REGION, endpoint_url, config)
    )


def ec2_client(
    *, region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> EC2Client:
    config = client_config(timeout_seconds)
    return cast("EC2Client", aws_client("ec2", region, endpoint_url, config))
