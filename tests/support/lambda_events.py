"""What AWS hands the pipeline's Lambda functions, in the shapes AWS documents: S3's "Object
Created" as EventBridge delivers it, an SQS batch, the context object, and a failed
invocation's error as Lambda's Python runtime reports it and Step Functions passes it on."""

from __future__ import annotations

import json
import traceback
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

ACCOUNT = "123456789012"


def object_created(
    bucket: str, key: str, *, size: int, etag: str, event_id: str | None = None
) -> dict[str, Any]:
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html, "Object Created"."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": "2026-11-18T10:15:30Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": key,
                "size": size,
                "etag": etag,
                "sequencer": "00617F08299329D189",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT,
            "source-ip-address": "203.0.113.15",
            "reason": "PutObject",
        },
    }


def sqs_event(messages: Iterable[MessageTypeDef], queue_arn: str) -> dict[str, Any]:
    """https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, "Example standard queue
    message event", made of messages received from a queue (with `MessageSystemAttributeNames
    =["All"]`), as the event source mapping makes it."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the runtime's context object that the handlers read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def lambda_error(exc: BaseException, request_id: str) -> dict[str, Any]:
    """A failed invocation's payload from Lambda's Python runtime: the exception's class name
    as `errorType`, which Step Functions takes as the error's name."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def caught(state_input: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    """What a Catch with `"ResultPath": "$.error"` hands its next state when a Task's Lambda
    raised `exc`: the failing state's input, with the error's name and the runtime's payload
    as text (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    error = lambda_error(exc, str(uuid.uuid4()))
    return {
        **state_input,
        "error": {"Error": error["errorType"], "Cause": json.dumps(error)},
    }
