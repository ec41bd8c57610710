"""The pipeline's Lambda entry points, called with the events AWS documents, against the
pipeline's resources on moto's server (S3, DynamoDB, SQS, SNS, EventBridge, Step Functions).

Each test runs the handlers as a Lambda environment would: settings from the environment
variables the infrastructure sets, JSON in and out. Every AWS call a handler makes is
recorded and must be granted to its function by `pipeline.permissions` (checked after each
test); each log line a handler writes carries the correlation id its event gave.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from eduportal import lambdas as handlers
from eduportal.adapters.aws.clients import sqs_client
from eduportal.adapters.aws.sqs_queue import SqsQueue
from eduportal.domain.errors import ConfigurationError, ValidationError
from eduportal.domain.image_records import Stage
from eduportal.domain.keys import upload_key
from eduportal.pipeline.asl import function_name
from eduportal.pipeline.definition import ImageRejected, StageTransientError, Step
from eduportal.pipeline.permissions import QUEUE_CONSUMER, RECORD_WRITER
from eduportal.services.uploads import new_image_id
from tests.support.aws_calls import AwsCalls
from tests.support.aws_pipeline import AwsPipeline, execution_inputs
from tests.support.fixture_types import JsonLog
from tests.support.images import gradient, png
from tests.support.lambda_events import LambdaContext, caught, object_created, sqs_event
from tests.support.logs import detach_handlers, parsed

STEPS = (Step.BEGIN, *Stage)


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Iterator[JsonLog]:
    """The JSON lines the handlers logged (on standard error, as in Lambda), parsed."""
    yield lambda: parsed(capsys.readouterr().err)
    detach_handlers()


def invoke(handler: Callable[..., Any], event: Mapping[str, Any], function: str) -> Any:
    """As Lambda does: the event and the result travel as JSON."""
    result = handler(json.loads(json.dumps(event)), LambdaContext(function))
    return json.loads(json.dumps(result))


def step(name: str, job: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = invoke(getattr(handlers, name), job, function_name(name))
    return result


def uploaded(pipeline: AwsPipeline, data: bytes, name: str = "map.png") -> tuple[str, str]:
    """An object PUT under uploads/ (S3 tells EventBridge, whose rule queues it); its image
    id and key."""
    image_id = new_image_id(1_795_000_000.0)
    key = upload_key(image_id, name)
    pipeline.upload(key, data)
    return image_id, key


def received(pipeline: AwsPipeline, count: int) -> list[Any]:
    """`count` messages from the processing queue, as the event source mapping takes them."""
    messages: list[Any] = []
    while len(messages) < count:
        messages += pipeline.admin.sqs.receive_message(
            QueueUrl=pipeline.queue_url,
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
    return messages


def queue_arn(pipeline: AwsPipeline, url: str) -> str:
    attributes = pipeline.admin.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def stored_status(pipeline: AwsPipeline, image_id: str) -> str:
    item = pipeline.admin.dynamodb.get_item(
        TableName=pipeline.table, Key={"image_id": {"S": image_id}}
    )["Item"]
    return str(item["status"]["S"])


def record_of(pipeline: AwsPipeline, image_id: str) -> dict[str, Any]:
    item = pipeline.admin.dynamodb.get_item(
        TableName=pipeline.table, Key={"image_id": {"S": image_id}}
    )["Item"]
    document: dict[str, Any] = json.loads(item["document"]["S"])
    return document


def started_job(pipeline: AwsPipeline, data: bytes) -> dict[str, Any]:
    """An upload taken from the queue by the consumer: the input of its execution."""
    image_id, _ = uploaded(pipeline, data)
    event = sqs_event(received(pipeline, 1), queue_arn(pipeline, pipeline.queue_url))
    assert invoke(handlers.start_executions, event, QUEUE_CONSUMER) == {"batchItemFailures": []}
    job = dict(execution_inputs(pipeline)[f"{image_id}-1"])
    assert job["correlation_id"] == event["Records"][0]["messageId"]
    return job


# --- the record writer ---------------------------------------------------------------------


def test_the_record_writer_records_an_upload_once_however_often_told(
    aws_pipeline: AwsPipeline, calls: AwsCalls, log_lines: JsonLog
) -> None:
    data = png(gradient(64, 48))
    image_id, key = uploaded(aws_pipeline, data)
    event = object_created(aws_pipeline.upload_bucket, key, size=len(data), etag="0123abcd")

    first = invoke(handlers.record_upload, event, RECORD_WRITER)
    again = invoke(handlers.record_upload, {**event, "id": "second-delivery"}, RECORD_WRITER)

    assert first == again == {"image_id": image_id, "status": "UPLOADED"}
    record = record_of(aws_pipeline, image_id)
    assert (record["key"], record["size_bytes"], record["content_type"]) == (
        key,
        len(data),
        "image/png",
    )
    lines = [line for line in log_lines() if line.get("function") == RECORD_WRITER]
    storage = [line for line in lines if line["logger"] == "eduportal.storage"]
    assert [(line["operation"], line["key"]) for line in storage] == [("head", key)] * 2
    assert [line["correlation_id"] for line in lines if line not in storage] == [
        event["id"],
        "second-delivery",
    ]
    assert calls.functions() == {RECORD_WRITER}


def test_the_record_writer_refuses_an_event_about_another_bucket(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    data = png(gradient(64, 48))
    image_id, key = uploaded(aws_pipeline, data)
    event = object_created("someone-elses-bucket", key, size=len(data), etag="0123abcd")
    with pytest.raises(ValidationError, match="someone-elses-bucket"):
        invoke(handlers.record_upload, event, RECORD_WRITER)
    assert "Item" not in aws_pipeline.admin.dynamodb.get_item(
        TableName=aws_pipeline.table, Key={"image_id": {"S": image_id}}
    )


# --- the queue consumer --------------------------------------------------------------------


def test_the_consumer_starts_an_execution_per_upload_and_names_the_messages_that_failed(
    aws_pipeline: AwsPipeline, calls: AwsCalls, log_lines: JsonLog
) -> None:
    """Uploads reach the queue through S3's events and the default bus's rule; two messages
    that name no upload fail alone, the rest of the batch goes on (partial batch response)."""
    first, first_key = uploaded(aws_pipeline, png(gradient(64, 48)), "a.png")
    second, _ = uploaded(aws_pipeline, png(gradient(48, 64)), "b.png")
    sqs = aws_pipeline.admin.sqs
    poison = sorted(
        sqs.send_message(QueueUrl=aws_pipeline.queue_url, MessageBody=body)["MessageId"]
        for body in ("not json at all", '{"key": "elsewhere/x.png"}')
    )
    messages = received(aws_pipeline, 4)
    event = sqs_event(messages, queue_arn(aws_pipeline, aws_pipeline.queue_url))
    by_key = {
        json.loads(m["Body"])["detail"]["object"]["key"]: m["MessageId"]
        for m in messages
        if m["MessageId"] not in poison
    }

    answer = invoke(handlers.start_executions, event, QUEUE_CONSUMER)

    assert sorted(failure["itemIdentifier"] for failure in answer["batchItemFailures"]) == poison
    started = execution_inputs(aws_pipeline)
    assert sorted(started) == sorted([f"{first}-1", f"{second}-1"])
    assert started[f"{first}-1"] == {
        "image_id": first,
        "key": first_key,
        "run": 1,
        "correlation_id": by_key[first_key],
    }
    assert stored_status(aws_pipeline, second) == "UPLOADED"  # the consumer wrote the record

    again = invoke(handlers.start_executions, event, QUEUE_CONSUMER)  # a redelivery
    assert sorted(f["itemIdentifier"] for f in again["batchItemFailures"]) == poison
    assert sorted(execution_inputs(aws_pipeline)) == sorted(started)

    logged = {
        (line["message_id"], line["correlation_id"])
        for line in log_lines()
        if line.get("function") == QUEUE_CONSUMER
    }
    assert logged == {(m["MessageId"], m["MessageId"]) for m in messages}
    assert calls.functions() == {QUEUE_CONSUMER}


def test_messages_that_keep_failing_end_in_the_dead_letter_queue(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    """As the event source mapping does with the failures it is told of: they come back after
    their lease until the queue's receive limit (3 here) moves them to the dead letters."""
    sqs = aws_pipeline.admin.sqs
    poison = sqs.send_message(QueueUrl=aws_pipeline.queue_url, MessageBody="[1, 2]")["MessageId"]
    arn = queue_arn(aws_pipeline, aws_pipeline.queue_url)
    for _ in range(3):
        messages = received(aws_pipeline, 1)
        answer = invoke(handlers.start_executions, sqs_event(messages, arn), QUEUE_CONSUMER)
        assert answer == {"batchItemFailures": [{"itemIdentifier": poison}]}
        sqs.change_message_visibility(
            QueueUrl=aws_pipeline.queue_url,
            ReceiptHandle=messages[0]["ReceiptHandle"],
            VisibilityTimeout=0,
        )
    assert sqs.receive_message(QueueUrl=aws_pipeline.queue_url).get("Messages", []) == []
    client = sqs_client(region="us-east-1", timeout_seconds=10, endpoint_url=aws_pipeline.moto_url)
    queue = SqsQueue(client, aws_pipeline.queue_url, aws_pipeline.dlq_url)
    (letter,) = queue.dead_letters(limit=10)
    assert (letter.message_id, letter.receive_count) == (poison, 3)


# --- the steps -----------------------------------------------------------------------------


def test_the_steps_take_an_upload_to_completed_as_the_state_machine_calls_them(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    """Each step's output is the next one's input, through JSON; every event published
    carries the correlation id the consumer gave the execution."""
    original = png(gradient(1500, 1000))
    job = started_job(aws_pipeline, original)
    correlation_id = job["correlation_id"]
    image_id = job["image_id"]

    for name in STEPS:
        job = step(name, job)
        assert job["correlation_id"] == correlation_id
    job = step(Step.COMPLETE, job)

    record = record_of(aws_pipeline, image_id)
    assert record["status"] == "COMPLETED"
    assert record["processed_key"] == f"processed/{image_id}.webp"
    assert record["thumbnail_keys"] == [f"thumbnails/{image_id}/{size}.webp" for size in (128, 256)]
    s3 = aws_pipeline.admin.s3
    for key in (record["processed_key"], *record["thumbnail_keys"]):
        s3.head_object(Bucket=aws_pipeline.upload_bucket, Key=key)
    archived = s3.get_object(Bucket=aws_pipeline.archive_bucket, Key=record["archive_key"])
    assert archived["Body"].read() == original

    events = aws_pipeline.events()
    assert [event["detail-type"] for event in events] == [
        "Image Processing Started",
        *["Image Stage Completed"] * len(Stage),
        "Image Processing Completed",
    ]
    assert {event["detail"]["correlation_id"] for event in events} == {correlation_id}
    notified = aws_pipeline.notifications()
    assert [n["attributes"].get("stage") for n in notified[:-1]] == [s.value for s in Stage]
    assert notified[-1]["message"]["stage_seconds"].keys() == {s.value for s in Stage}

    assert calls.functions() == {
        QUEUE_CONSUMER,
        *(function_name(name) for name in (*STEPS, Step.COMPLETE)),
    }


def test_what_is_not_an_image_is_rejected_through_the_catch(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    job = step(Step.BEGIN, started_job(aws_pipeline, b"%PDF-1.7 homework"))
    with pytest.raises(ImageRejected) as rejected:
        step(Stage.VALIDATE, job)
    step(Step.REJECT, caught(job, rejected.value))

    record = record_of(aws_pipeline, job["image_id"])
    assert record["status"] == "REJECTED"
    assert record["reason"] == str(rejected.value)
    assert "not an image we can read" in record["reason"]
    assert [(t["stage"], t["outcome"]) for t in record["history"]] == [("validate", "rejected")]
    assert aws_pipeline.notifications()[-1]["attributes"]["status"] == "REJECTED"

    # A message for it delivered again starts nothing: the image is settled.
    invoke(
        handlers.start_executions,
        sqs_event(
            [
                {
                    "MessageId": "redelivered-1",
                    "ReceiptHandle": "handle",
                    "Body": json.dumps({"image_id": job["image_id"], "key": job["key"]}),
                    "MD5OfBody": "",
                    "Attributes": {"ApproximateReceiveCount": "2"},
                }
            ],
            queue_arn(aws_pipeline, aws_pipeline.queue_url),
        ),
        QUEUE_CONSUMER,
    )
    assert sorted(execution_inputs(aws_pipeline)) == [f"{job['image_id']}-1"]


def test_a_transient_failure_leaves_under_the_retried_name_and_fails_into_the_dead_letters(
    aws_pipeline: AwsPipeline, calls: AwsCalls, log_lines: JsonLog
) -> None:
    """The archive bucket gone: the archive stage fails as something that may pass, under the
    name the state machine retries; after the retries its Catch calls `fail`."""
    job = started_job(aws_pipeline, png(gradient(640, 480)))
    for name in (Step.BEGIN, *Stage)[:-1]:
        job = step(name, job)
    aws_pipeline.admin.s3.delete_bucket(Bucket=aws_pipeline.archive_bucket)

    with pytest.raises(StageTransientError) as failed:
        step(Stage.ARCHIVE, job)
    step(Step.FAIL, caught(job, failed.value))

    record = record_of(aws_pipeline, job["image_id"])
    assert record["status"] == "FAILED"
    assert record["failure"] == {"stage": "archive", "message": str(failed.value), "attempts": 4}
    client = sqs_client(region="us-east-1", timeout_seconds=10, endpoint_url=aws_pipeline.moto_url)
    (letter,) = SqsQueue(client, aws_pipeline.queue_url, aws_pipeline.dlq_url).dead_letters(
        limit=10
    )
    assert letter.body == {"image_id": job["image_id"], "key": job["key"]}
    assert aws_pipeline.notifications()[-1]["attributes"] == {
        "status": "FAILED",
        "outcome": "failed",
        "stage": "archive",
    }
    archive_lines = [
        line for line in log_lines() if line.get("function") == function_name(Stage.ARCHIVE)
    ]
    assert {line["correlation_id"] for line in archive_lines} == {job["correlation_id"]}
    assert {line["image_id"] for line in archive_lines} == {job["image_id"]}
    storage = [line for line in archive_lines if line["logger"] == "eduportal.storage"]
    assert [(line["operation"], line["outcome"]) for line in storage] == [
        ("get", "success"),
        ("put", "failure"),
    ]
    archive_lines = [line for line in archive_lines if line not in storage]
    assert [line["message"] for line in archive_lines] == [
        "stage archive retrying",
        "step archive ends with StageTransientError",
    ]
    assert "NoSuchBucket" in archive_lines[0]["detail"]  # the detail is in the log only


def test_fail_after_begin_itself_failed_marks_the_record_failed(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    """Begin's Catch hands `fail` the job as the execution started it: no stage results yet."""
    job = started_job(aws_pipeline, png(gradient(64, 48)))
    step(Step.BEGIN, job)
    step(Step.FAIL, {**job, "error": {"Error": "States.Timeout", "Cause": "Task timed out."}})
    record = record_of(aws_pipeline, job["image_id"])
    assert (record["status"], record["failure"]["attempts"]) == ("FAILED", 4)
    assert record["failure"]["message"] == "Task timed out."


def test_fail_when_begin_never_reached_the_record_still_marks_it_failed(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    """Begin timed out before it moved the record: the record is still UPLOADED, and a
    record never goes to a final status without PROCESSING, so `fail` passes through it."""
    job = started_job(aws_pipeline, png(gradient(64, 48)))
    assert record_of(aws_pipeline, job["image_id"])["status"] == "UPLOADED"
    step(Step.FAIL, {**job, "error": {"Error": "States.Timeout", "Cause": "Task timed out."}})
    assert record_of(aws_pipeline, job["image_id"])["status"] == "FAILED"


def test_the_handlers_refuse_to_run_without_the_pipelines_aws_settings(
    aws_pipeline: AwsPipeline, calls: AwsCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STATE_MACHINE_ARN")
    monkeypatch.delenv("PIPELINE_QUEUE_URL")
    with pytest.raises(ConfigurationError, match="STATE_MACHINE_ARN"):
        invoke(handlers.begin, {"image_id": "x", "key": "uploads/x/a.png"}, "begin")
    monkeypatch.setenv("EDUPORTAL_STORAGE", "local")
    with pytest.raises(ConfigurationError) as caught_error:
        invoke(handlers.begin, {"image_id": "x", "key": "uploads/x/a.png"}, "begin")
    assert "EDUPORTAL_STORAGE=s3" in caught_error.value.detail
    assert calls.calls == []
