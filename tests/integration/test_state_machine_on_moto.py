"""The rendered state machine executed by moto's Step Functions against the pipeline's own
Lambda handlers (`tests/support/moto_lambda.py` says how, and which private method of moto's it
replaces): an upload goes from a PUT in the bucket, through S3's event, the default bus's rule,
the processing queue and the consumer, to an execution that completes; a file that is not an
image is caught into RecordRejection without a retry; a stage failing with a transient error
is retried as the definition says, with its waits, and then caught into RecordFailure.

The definition is production's but for shorter waits (1 s, doubling, at most 2 s), so the
retries take seconds; its retries are production's three.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from eduportal import lambdas as handlers
from eduportal.adapters.aws.clients import sqs_client
from eduportal.adapters.aws.sqs_queue import SqsQueue
from eduportal.domain.keys import upload_key
from eduportal.pipeline import asl
from eduportal.pipeline.definition import PipelineDefinition, RetryPolicy
from eduportal.pipeline.permissions import QUEUE_CONSUMER
from eduportal.services.uploads import new_image_id
from tests.support.aws_calls import AwsCalls
from tests.support.aws_pipeline import AwsPipeline, provision
from tests.support.images import gradient, png
from tests.support.lambda_events import LambdaContext, sqs_event
from tests.support.logs import detach_handlers
from tests.support.moto_lambda import FUNCTION_ARNS, handlers_in_moto
from tests.support.network import wait_for

DEFINITION = PipelineDefinition(
    retry=RetryPolicy(interval_seconds=1, backoff_rate=2.0, retries=3, max_delay_seconds=2)
)
HAPPY_PATH = ["Begin", "Validate", "ExtractMetadata", "Resize", "Thumbnails", "Archive"]


@pytest.fixture
def aws_pipeline(
    moto_server: tuple[str, int], moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AwsPipeline]:
    """The pipeline's resources with the rendered definition as the state machine, which moto
    executes, its Tasks invoking our handlers."""
    with handlers_in_moto(moto_server, monkeypatch):
        machine = json.dumps(asl.render(DEFINITION, FUNCTION_ARNS))
        pipeline = provision(moto_url, definition=machine)
        try:
            yield pipeline
        finally:
            pipeline.close()
            detach_handlers()  # the handlers configured logging in moto's threads


def run(pipeline: AwsPipeline, data: bytes, name: str = "map.png") -> dict[str, Any]:
    """Upload `data`, let the consumer start its execution, wait for the execution to end;
    the execution as `describe_execution` tells it, with its `image_id` and `history`."""
    image_id = new_image_id(1_795_000_000.0)
    pipeline.upload(upload_key(image_id, name), data)
    queue_arn = pipeline.admin.sqs.get_queue_attributes(
        QueueUrl=pipeline.queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    messages = pipeline.admin.sqs.receive_message(
        QueueUrl=pipeline.queue_url, MessageSystemAttributeNames=["All"], WaitTimeSeconds=1
    )["Messages"]
    answer = handlers.start_executions(
        sqs_event(messages, queue_arn), LambdaContext(QUEUE_CONSUMER)
    )
    assert answer == {"batchItemFailures": []}
    sfn = pipeline.admin.sfn
    arn = f"{pipeline.state_machine_arn.replace(':stateMachine:', ':execution:')}:{image_id}-1"
    wait_for(
        lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING",
        seconds=90,
        what=f"execution {image_id}-1 ending",
    )
    history = [
        event
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
        for event in page["events"]
    ]
    return {**sfn.describe_execution(executionArn=arn), "image_id": image_id, "history": history}


def states_entered(execution: dict[str, Any]) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in execution["history"]
        if event["type"].endswith("StateEntered")
    ]


def invocations(execution: dict[str, Any], state: str) -> list[tuple[datetime, str | None]]:
    """Each invocation of `state`'s function: when it was scheduled, and the error it failed
    with (None when it succeeded)."""
    current, found = "", []
    for event in execution["history"]:
        if event["type"].endswith("StateEntered"):
            current = event["stateEnteredEventDetails"]["name"]
        elif current == state and event["type"] == "LambdaFunctionScheduled":
            found.append([event["timestamp"], None])
        elif current == state and event["type"] == "LambdaFunctionFailed":
            found[-1][1] = event["lambdaFunctionFailedEventDetails"]["error"]
    return [(at, error) for at, error in found]


def status_of(pipeline: AwsPipeline, image_id: str) -> dict[str, Any]:
    item = pipeline.admin.dynamodb.get_item(
        TableName=pipeline.table, Key={"image_id": {"S": image_id}}
    )["Item"]
    document: dict[str, Any] = json.loads(item["document"]["S"])
    return document


def test_an_upload_runs_through_every_task_to_completed(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    execution = run(aws_pipeline, png(gradient(800, 600)))
    assert execution["status"] == "SUCCEEDED"
    assert states_entered(execution) == [*HAPPY_PATH, "RecordCompletion", "Completed"]
    assert all(error is None for _, error in invocations(execution, "Resize"))
    record = status_of(aws_pipeline, execution["image_id"])
    assert record["status"] == "COMPLETED"
    assert record["processed_key"] == f"processed/{execution['image_id']}.webp"
    output = json.loads(execution["output"])
    assert set(output["results"]) == {
        "validate",
        "extract_metadata",
        "resize",
        "thumbnails",
        "archive",
    }
    steps = [step for step in DEFINITION.steps if step not in ("reject", "fail")]
    assert calls.functions() == {QUEUE_CONSUMER, *map(asl.function_name, steps)}


def test_what_is_not_an_image_is_caught_into_record_rejection_without_a_retry(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    execution = run(aws_pipeline, b"%PDF-1.7 homework", "homework.png")
    assert execution["status"] == "SUCCEEDED"
    assert states_entered(execution) == ["Begin", "Validate", "RecordRejection", "Rejected"]
    assert [error for _, error in invocations(execution, "Validate")] == ["ImageRejected"]
    record = status_of(aws_pipeline, execution["image_id"])
    assert record["status"] == "REJECTED"
    assert "not an image we can read" in record["reason"]


def test_a_transient_error_is_retried_as_defined_then_caught_into_record_failure(
    aws_pipeline: AwsPipeline, calls: AwsCalls
) -> None:
    """The archive bucket is gone: the archive stage's every try fails with the error the
    Retry names; four tries (three retries) with the definition's waits between them, then
    RecordFailure sets the job aside and the execution fails."""
    aws_pipeline.admin.s3.delete_bucket(Bucket=aws_pipeline.archive_bucket)
    execution = run(aws_pipeline, png(gradient(800, 600)))

    assert execution["status"] == "FAILED"
    assert execution["error"] == asl.FAILED_ERROR
    assert states_entered(execution) == [*HAPPY_PATH, "RecordFailure", "Failed"]
    tries = invocations(execution, "Archive")
    assert [error for _, error in tries] == ["StageTransientError"] * DEFINITION.retry.tries
    waits = [(later - earlier).total_seconds() for (earlier, _), (later, _) in pairwise(tries)]
    assert DEFINITION.retry.delays() == (1.0, 2.0, 2.0)
    assert all(
        wait >= delay - 0.05 for wait, delay in zip(waits, DEFINITION.retry.delays(), strict=True)
    ), waits

    record = status_of(aws_pipeline, execution["image_id"])
    assert record["status"] == "FAILED"
    assert record["failure"]["stage"] == "archive"
    assert record["failure"]["attempts"] == DEFINITION.retry.tries
    client = sqs_client(region="us-east-1", timeout_seconds=10, endpoint_url=aws_pipeline.moto_url)
    (letter,) = SqsQueue(client, aws_pipeline.queue_url, aws_pipeline.dlq_url).dead_letters(
        limit=10
    )
    assert letter.body["image_id"] == execution["image_id"]
