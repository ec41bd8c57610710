"""Least privilege for the pipeline on AWS (pipeline requirement 7), as data: for each Lambda
function, which IAM actions it needs on which of the pipeline's resources, and what the state
machine's role needs. The infrastructure turns `document()` into IAM policies; a test records
every AWS call the handlers make and checks each is granted here.

Resources are named logically (`Resource`), not by ARN: the infrastructure knows the ARNs, and
a list that names no ARN cannot grant a wildcard by accident. Grants on a bucket's objects
carry the key prefix they are limited to. Each grant says why it is there, so a reviewer can
tell a needed permission from a forgotten one.

Some needs are not visible in the handlers' own calls and are granted all the same: the
queue consumer's event source mapping receives and deletes the messages with the function's
role, and every function's runtime writes to its own log group.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from eduportal.domain.image_records import Stage
from eduportal.domain.keys import (
    ARCHIVE_PREFIX,
    PROCESSED_PREFIX,
    THUMBNAILS_PREFIX,
    UPLOADS_PREFIX,
)
from eduportal.pipeline.asl import FUNCTION_PREFIX, function_name
from eduportal.pipeline.definition import PIPELINE, Step

HANDLERS_MODULE: Final = "eduportal.lambdas"
RECORD_WRITER: Final = FUNCTION_PREFIX + "record-writer"
QUEUE_CONSUMER: Final = FUNCTION_PREFIX + "queue-consumer"


class Resource(StrEnum):
    UPLOAD_BUCKET = "upload_bucket"
    ARCHIVE_BUCKET = "archive_bucket"
    RECORDS_TABLE = "records_table"
    QUEUE = "queue"
    DEAD_LETTER_QUEUE = "dead_letter_queue"
    TOPIC = "topic"
    EVENT_BUS = "event_bus"
    STATE_MACHINE = "state_machine"
    EXECUTIONS = "executions"
    STEP_FUNCTIONS = "step_functions"
    OWN_LOG_GROUP = "own_log_group"


RESOURCES: Final[dict[Resource, str]] = {
    Resource.UPLOAD_BUCKET: "the portal's bucket (S3_BUCKET_NAME): uploads, processed images "
    "and thumbnails; an object grant is on arn:aws:s3:::BUCKET/PREFIX*",
    Resource.ARCHIVE_BUCKET: "the archive bucket (ARCHIVE_BUCKET_NAME)",
    Resource.RECORDS_TABLE: "the image records table itself (IMAGE_RECORDS_TABLE), not its "
    "indexes: the handlers read records by key only",
    Resource.QUEUE: "the processing queue (PIPELINE_QUEUE_URL)",
    Resource.DEAD_LETTER_QUEUE: "the processing queue's dead-letter queue (PIPELINE_DLQ_URL)",
    Resource.TOPIC: "the pipeline's SNS topic (PIPELINE_TOPIC_ARN)",
    Resource.EVENT_BUS: "the bus the pipeline publishes on (EVENT_BUS_NAME)",
    Resource.STATE_MACHINE: "the pipeline's state machine (STATE_MACHINE_ARN)",
    Resource.EXECUTIONS: "the state machine's executions: "
    "arn:aws:states:REGION:ACCOUNT:execution:MACHINE:*",
    Resource.STEP_FUNCTIONS: "the Lambda functions of the state machine's Tasks, "
    f"{FUNCTION_PREFIX}STEP for each step (and their versions, FUNCTION:*)",
    Resource.OWN_LOG_GROUP: "the function's own log group, /aws/lambda/FUNCTION",
}


@dataclass(frozen=True, slots=True)
class Grant:
    actions: tuple[str, ...]
    resource: Resource
    why: str
    key_prefix: str | None = None
    """On a bucket: the objects under this prefix only."""

    def as_dict(self) -> dict[str, Any]:
        objects = {} if self.key_prefix is None else {"objects": f"{self.key_prefix}*"}
        return {
            "actions": list(self.actions),
            "resource": self.resource.value,
            **objects,
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    handler: str
    """The entry point, `module.function`, as Lambda's Python runtime takes it."""
    trigger: str
    grants: tuple[Grant, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "handler": self.handler,
            "trigger": self.trigger,
            "statements": [grant.as_dict() for grant in self.grants],
        }


_LOGS: Final = Grant(
    ("logs:CreateLogStream", "logs:PutLogEvents"),
    Resource.OWN_LOG_GROUP,
    "the runtime writes the function's JSON log lines",
)
_RECORDS: Final = Grant(
    ("dynamodb:GetItem", "dynamodb:PutItem"),
    Resource.RECORDS_TABLE,
    "read a record by its image id; store it with a condition on its status",
)
_EVENTS: Final = Grant(("events:PutEvents",), Resource.EVENT_BUS, "publish the pipeline's events")
_NOTIFY: Final = Grant(("sns:Publish",), Resource.TOPIC, "send the pipeline's notifications")
_READ_UPLOAD: Final = Grant(
    ("s3:GetObject",),
    Resource.UPLOAD_BUCKET,
    "read the upload (HeadObject needs s3:GetObject too)",
    UPLOADS_PREFIX,
)
_WRITE: Final = ("s3:PutObject", "s3:PutObjectTagging")
"""A put with its `lifecycle` tag needs both."""

_STAGE_GRANTS: Final[dict[Stage, tuple[Grant, ...]]] = {
    Stage.VALIDATE: (_READ_UPLOAD,),
    Stage.EXTRACT_METADATA: (_READ_UPLOAD,),
    Stage.RESIZE: (
        _READ_UPLOAD,
        Grant(_WRITE, Resource.UPLOAD_BUCKET, "store the processed image", PROCESSED_PREFIX),
    ),
    Stage.THUMBNAILS: (
        Grant(
            ("s3:GetObject",),
            Resource.UPLOAD_BUCKET,
            "read the processed image the thumbnails are made from",
            PROCESSED_PREFIX,
        ),
        Grant(_WRITE, Resource.UPLOAD_BUCKET, "store the thumbnails", THUMBNAILS_PREFIX),
        Grant(
            _WRITE,
            Resource.UPLOAD_BUCKET,
            "store the processed image's AVIF and JPEG or PNG variants beside it",
            PROCESSED_PREFIX,
        ),
    ),
    Stage.ARCHIVE: (
        _READ_UPLOAD,
        Grant(_WRITE, Resource.ARCHIVE_BUCKET, "store the upload as it came", ARCHIVE_PREFIX),
    ),
}


def _step_function(step: str, *grants: Grant) -> Function:
    return Function(
        name=function_name(step),
        handler=f"{HANDLERS_MODULE}.{step}",
        trigger="the state machine's Task of this step",
        grants=(_LOGS, _RECORDS, _EVENTS, *grants),
    )


FUNCTIONS: Final[tuple[Function, ...]] = (
    Function(
        name=RECORD_WRITER,
        handler=f"{HANDLERS_MODULE}.record_upload",
        trigger="an EventBridge rule on the default bus: S3 Object Created under uploads/ in "
        "the upload bucket",
        grants=(_LOGS, _READ_UPLOAD, _RECORDS),
    ),
    Function(
        name=QUEUE_CONSUMER,
        handler=f"{HANDLERS_MODULE}.start_executions",
        trigger="an SQS event source mapping on the processing queue, with ReportBatchItemFailures",
        grants=(
            _LOGS,
            Grant(
                ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
                Resource.QUEUE,
                "the event source mapping polls the queue with the function's role",
            ),
            _READ_UPLOAD,
            _RECORDS,
            Grant(
                ("states:StartExecution",),
                Resource.STATE_MACHINE,
                "start an execution per upload and run",
            ),
            Grant(
                ("states:DescribeExecution",),
                Resource.EXECUTIONS,
                "see whether an execution of that name exists before starting one",
            ),
        ),
    ),
    _step_function(Step.BEGIN),
    *(_step_function(stage.value, _NOTIFY, *_STAGE_GRANTS[stage]) for stage in PIPELINE.stages),
    _step_function(Step.COMPLETE, _NOTIFY),
    _step_function(Step.REJECT, _NOTIFY),
    _step_function(
        Step.FAIL,
        _NOTIFY,
        Grant(
            ("sqs:SendMessage",),
            Resource.DEAD_LETTER_QUEUE,
            "set the failed image's job aside for an operator's redrive",
        ),
    ),
)

STATE_MACHINE_ROLE: Final[tuple[Grant, ...]] = (
    Grant(
        ("lambda:InvokeFunction",),
        Resource.STEP_FUNCTIONS,
        "each Task invokes its step's function, and nothing else",
    ),
)


def document() -> dict[str, Any]:
    """Everything above as JSON-ready data, for the infrastructure to build policies from."""
    return {
        "resources": {resource.value: text for resource, text in RESOURCES.items()},
        "functions": [each.as_dict() for each in FUNCTIONS],
        "roles": {
            "state_machine": {"statements": [grant.as_dict() for grant in STATE_MACHINE_ROLE]}
        },
    }
