"""The pipeline definition rendered as Amazon States Language, for AWS Step Functions.

One Task per step, each invoking its own Lambda function (`function_name`). Every Task retries
the definition's transient errors with its interval, backoff rate and retries (ASL's
`MaxAttempts` counts retries, as `RetryPolicy.retries` does); a stage's Catch sends a rejected
image to `RecordRejection` and any other error to `RecordFailure`, with the error under
`$.error` as `steps.PipelineSteps` reads it; a record found settled ends at `Settled` from any
step. The local runner takes the same path (`pipeline.runner`); a test runs both side by side.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from eduportal.pipeline.definition import (
    REJECTED_ERROR,
    SETTLED_ERROR,
    TRANSIENT_ERRORS,
    PipelineDefinition,
    Step,
)

FUNCTION_PREFIX: Final = "eduportal-pipeline-"
TEMPLATE_PREFIX: Final = "${lambda_arn_prefix}"
"""The ARN prefix as a placeholder that Terraform's `templatefile` fills in."""

BEGIN, COMPLETION, REJECTION, FAILURE = (
    "Begin",
    "RecordCompletion",
    "RecordRejection",
    "RecordFailure",
)
COMPLETED, REJECTED, FAILED, SETTLED = "Completed", "Rejected", "Failed", "Settled"
FAILED_ERROR: Final = "ImageProcessingFailed"


def function_name(step: str) -> str:
    """The Lambda function of a step: `eduportal-pipeline-extract-metadata`, ..."""
    return FUNCTION_PREFIX + step.replace("_", "-")


def state_name(step: str) -> str:
    return "".join(part.capitalize() for part in step.split("_"))


def render(definition: PipelineDefinition, arn_prefix: str = TEMPLATE_PREFIX) -> dict[str, Any]:
    """The state machine; `arn_prefix` + `function_name(step)` is each Task's resource."""
    resource: Callable[[str], str] = lambda step: arn_prefix + function_name(step)  # noqa: E731
    retry = [_retrier(definition)]
    settled = {"ErrorEquals": [SETTLED_ERROR], "Next": SETTLED}
    names = [state_name(stage) for stage in definition.stages]
    states: dict[str, Any] = {
        BEGIN: _task(
            resource(Step.BEGIN),
            definition,
            retry,
            names[0],
            [settled, {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": FAILURE}],
        ),
    }
    for n, stage in enumerate(definition.stages):
        states[names[n]] = _task(
            resource(stage),
            definition,
            retry,
            names[n + 1] if n + 1 < len(names) else COMPLETION,
            [
                settled,
                {"ErrorEquals": [REJECTED_ERROR], "ResultPath": "$.error", "Next": REJECTION},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": FAILURE},
            ],
        )
    for state, step, after in (
        (COMPLETION, Step.COMPLETE, COMPLETED),
        (REJECTION, Step.REJECT, REJECTED),
        (FAILURE, Step.FAIL, FAILED),
    ):
        states[state] = _task(resource(step), definition, retry, after, [settled])
    states[COMPLETED] = {"Type": "Succeed", "Comment": "The image is COMPLETED."}
    states[REJECTED] = {"Type": "Succeed", "Comment": "The image is REJECTED: not retried."}
    states[SETTLED] = {"Type": "Succeed", "Comment": "Settled before this run: nothing done."}
    states[FAILED] = {
        "Type": "Fail",
        "Error": FAILED_ERROR,
        "Cause": "A stage failed after its retries; the image is FAILED, its job is in the "
        "dead-letter queue.",
    }
    return {
        "Comment": "eduportal's image pipeline, rendered from eduportal.pipeline.definition "
        "(`eduportal pipeline asl`): edit the definition, not this.",
        "StartAt": BEGIN,
        "States": states,
    }


def _retrier(definition: PipelineDefinition) -> dict[str, Any]:
    policy = definition.retry
    interval, max_delay = policy.interval_seconds, policy.max_delay_seconds
    if interval != int(interval) or max_delay != int(max_delay):
        raise ValueError(
            f"Step Functions waits whole seconds: the interval ({interval}) and the longest "
            f"pause ({max_delay}) must be whole numbers to render this definition"
        )
    return {
        "ErrorEquals": list(TRANSIENT_ERRORS),
        "IntervalSeconds": int(interval),
        "BackoffRate": policy.backoff_rate,
        "MaxAttempts": policy.retries,
        "MaxDelaySeconds": math.ceil(max_delay),
    }


def _task(
    resource: str,
    definition: PipelineDefinition,
    retry: list[dict[str, Any]],
    after: str,
    catch: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": resource,
        "TimeoutSeconds": definition.step_timeout_seconds,
        "Retry": retry,
        "Catch": catch,
        "Next": after,
    }
