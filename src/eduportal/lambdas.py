"""The pipeline's AWS Lambda entry points: the record writer, the queue consumer that starts
executions, and one function per step of the state machine that `pipeline.asl` renders.

Each is a face like the CLI: it gets its parts from `wiring` and runs code shared with the
embedded default (`Intake`, `PipelineSteps`), so the two columns differ only in who calls.

- `record_upload` (function `eduportal-pipeline-record-writer`): EventBridge delivers S3's
  "Object Created" for a key under uploads/; the record is written `UPLOADED`.
- `start_executions` (`eduportal-pipeline-queue-consumer`): an SQS batch from the processing
  queue; each message becomes a job and an execution named `{image_id}-{run}`. A message whose
  execution exists already, or whose image is settled, is done; one that fails is reported in
  `batchItemFailures` (the event source mapping needs `ReportBatchItemFailures`), so SQS
  delivers it again and its redrive policy ends a poison message in the dead-letter queue.
- `begin`, `validate`, `extract_metadata`, `resize`, `thumbnails`, `archive`, `complete`,
  `reject`, `fail` (`asl.function_name(step)`): the Task states. A Task's input is the job, its
  output the job the step returns; a Catch hands `reject` and `fail` the job the failing state
  got, with the error under `error` as `{"Error", "Cause"}`. Errors leave under the names the
  definition's Retry and Catch match: Lambda's Python runtime reports an exception's class name
  as its `errorType`, which Step Functions takes as the error's name.

Every invocation runs in a correlation scope taken from its event: the EventBridge event's id,
each SQS message's id, then the job's `correlation_id`, which the consumer sets to the
message's id so that one upload's run logs under one id from queue to final status.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from eduportal.config import Settings, load_settings
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import ConfigurationError, ValidationError
from eduportal.domain.image_records import Stage
from eduportal.domain.messages import upload_key_in
from eduportal.observability.logging import configure_logging, log_context
from eduportal.pipeline.asl import function_name
from eduportal.pipeline.definition import (
    ImageAlreadySettled,
    ImageRejected,
    StageTransientError,
    Step,
)
from eduportal.pipeline.permissions import QUEUE_CONSUMER, RECORD_WRITER
from eduportal.pipeline.stages import Job
from eduportal.pipeline.steps import PipelineSteps, StageFailedError
from eduportal.wiring import Container, build

log = logging.getLogger(__name__)

_PIPELINE_ERRORS: Final = (
    ImageRejected,
    StageTransientError,
    ImageAlreadySettled,
    StageFailedError,
)
"""What a step raises on purpose, already logged by the step where it says anything new."""

_warm: tuple[Settings, Container] | None = None


def _container() -> Container:
    """The container of this execution environment: built on its first invocation, kept for
    the next ones while the environment stays warm, so clients and connections are reused.

    The settings are read on every invocation (well under a millisecond) and the container is
    built again when they changed. On AWS they never do, a function's variables being fixed for
    the life of its environments; a process hosting differently configured functions one after
    another (the tests) gets the container of each one's settings.
    """
    global _warm
    settings = load_settings()
    if _warm is None or _warm[0] != settings:
        if not settings.aws_pipeline:
            raise ConfigurationError(
                "The pipeline's Lambda functions are not configured.",
                detail="the pipeline's Lambda functions need EDUPORTAL_STORAGE=s3 and the "
                "pipeline's AWS settings (IMAGE_RECORDS_TABLE, PIPELINE_QUEUE_URL, ...)",
            )
        configure_logging(settings.log_level)
        _warm = (settings, build(settings))
    return _warm[1]


@contextmanager
def _invocation(correlation_id: object, context: object, **fields: Any) -> Iterator[str]:
    """The correlation scope and log fields of one unit of work; `correlation_id` comes from
    the event, and a value that is not a safe id gets a fresh one instead. Its metrics are
    published before it returns: Lambda may freeze the process as soon as it has."""
    chosen = correlation_id if isinstance(correlation_id, str) else None
    request_id = getattr(context, "aws_request_id", None)
    try:
        with correlation_scope(chosen) as cid, log_context(request_id=request_id, **fields):
            yield cid
    finally:
        _container().metrics.flush()


# --- the record writer ---------------------------------------------------------------------


def record_upload(event: Mapping[str, Any], context: object) -> dict[str, str]:
    """S3's "Object Created" as EventBridge delivers it: the upload's record, `UPLOADED`
    unless it was written already (by the uploader, or by an earlier delivery)."""
    container = _container()
    with _invocation(event.get("id"), context, function=RECORD_WRITER, event_id=event.get("id")):
        detail = event.get("detail") or {}
        bucket = (detail.get("bucket") or {}).get("name")
        if bucket != container.settings.s3_bucket_name:
            raise ValidationError(
                "This event is about another bucket.",
                detail=f"an Object Created event for bucket {bucket!r} reached the record "
                f"writer of {container.settings.s3_bucket_name!r}: check the rule's pattern",
            )
        record = container.intake.record_upload(upload_key_in(event))
        log.info(
            "upload recorded",
            extra={"image_id": record.image_id, "key": record.key, "status": record.status.value},
        )
        return {"image_id": record.image_id, "status": record.status.value}


# --- the queue consumer --------------------------------------------------------------------


def start_executions(event: Mapping[str, Any], context: object) -> dict[str, list[Any]]:
    """An SQS batch: an execution started for each message, or found started; the messages
    that failed are named for SQS to deliver again (partial batch response)."""
    container = _container()
    failed: list[dict[str, str]] = []
    for record in event.get("Records", []):
        message_id = record["messageId"]
        receives = (record.get("attributes") or {}).get("ApproximateReceiveCount")
        with _invocation(
            message_id,
            context,
            function=QUEUE_CONSUMER,
            message_id=message_id,
            receive_count=receives,
        ) as correlation_id:
            try:
                _start(container, record["body"], correlation_id)
            except Exception:  # this message only: the others of the batch go on
                log.exception("the message was not started; SQS delivers it again")
                failed.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failed}


def _start(container: Container, text: str, correlation_id: str) -> None:
    body = json.loads(text)
    if not isinstance(body, dict):
        raise ValidationError(detail=f"a queue message that is not a JSON object: {text[:200]}")
    job = container.intake.job_for(body)
    if job is None:
        log.info("the image is settled already: nothing to start")
        return
    name = f"{job['image_id']}-{job['run']}"
    started = container.step_functions.start(name, {**job, "correlation_id": correlation_id})
    log.info(
        "execution started" if started else "execution started before: not started again",
        extra={"image_id": job["image_id"], "execution": name},
    )


# --- the steps of the state machine --------------------------------------------------------


def _step(step: str, run: Callable[[PipelineSteps, Job], Job]) -> Callable[..., Job]:
    def handler(event: Job, context: object) -> Job:
        steps = _container().pipeline_steps
        with _invocation(
            event.get("correlation_id"),
            context,
            function=function_name(step),
            step=step,
            image_id=event.get("image_id"),
        ):
            try:
                return run(steps, event)
            except _PIPELINE_ERRORS as exc:
                log.info("step %s ends with %s", step, type(exc).__name__)
                raise
            except Exception:
                log.exception("step %s failed unexpectedly", step)
                raise

    handler.__name__ = handler.__qualname__ = step
    handler.__doc__ = f"The state machine's `{step}` Task: the job in, the job out."
    return handler


def _stage(stage: Stage) -> Callable[..., Job]:
    return _step(stage.value, lambda steps, job: steps.stage(stage, job))


begin: Final = _step(Step.BEGIN, PipelineSteps.begin)
validate: Final = _stage(Stage.VALIDATE)
extract_metadata: Final = _stage(Stage.EXTRACT_METADATA)
resize: Final = _stage(Stage.RESIZE)
thumbnails: Final = _stage(Stage.THUMBNAILS)
archive: Final = _stage(Stage.ARCHIVE)
complete: Final = _step(Step.COMPLETE, PipelineSteps.complete)
reject: Final = _step(Step.REJECT, PipelineSteps.reject)
fail: Final = _step(Step.FAIL, PipelineSteps.fail)
