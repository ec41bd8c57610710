"""The processing pipeline, defined once as data: its steps, its retry policy, and which errors
reject an image rather than fail it.

Two things execute this definition: the local runner (`pipeline.runner`) on one machine, and
AWS Step Functions, through the Amazon States Language that `pipeline.asl` renders from it. So
a change here changes both, and a test checks that they agree.

Errors cross into Step Functions by name: a Lambda function's exception class name becomes the
`Error` that Retry and Catch match. The three exceptions below are the only names the
definition relies on; anything else a step raises is a permanent failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from eduportal.domain.image_records import Stage


class ImageRejected(Exception):  # noqa: N818 - the name Step Functions' Catch matches
    """The image is at fault (not an image, damaged, over the limits): not retried; the
    record becomes `REJECTED` with the sentence carried here."""


class StageTransientError(Exception):
    """An error that may pass (a backend unavailable, a timeout, no memory free right now):
    retried with backoff, then the record becomes `FAILED`."""


class ImageAlreadySettled(Exception):  # noqa: N818 - the name Step Functions' Catch matches
    """The record reached a final status before this run got to it (a redelivered message, a
    second run): the run stops and changes nothing."""


TRANSIENT_ERRORS: Final = (
    StageTransientError.__name__,
    # What Lambda itself raises when an invocation could not run; AWS's guidance is to retry
    # them: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
)
REJECTED_ERROR: Final = ImageRejected.__name__
SETTLED_ERROR: Final = ImageAlreadySettled.__name__


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff, as Step Functions' Retry field counts it.

    `retries` is ASL's `MaxAttempts`: retries after the first try, not tries. Three retries
    (requirement 2.4, "retry up to 3 times") are four tries, waiting `interval`, then
    `interval * rate`, then `interval * rate**2` before them.
    """

    interval_seconds: float = 2.0
    backoff_rate: float = 2.0
    retries: int = 3
    max_delay_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.interval_seconds <= 0 or self.backoff_rate < 1 or self.retries < 0:
            raise ValueError(f"not a retry policy: {self}")

    @property
    def tries(self) -> int:
        return self.retries + 1

    def delays(self) -> tuple[float, ...]:
        """The pause before each retry, in order."""
        return tuple(
            min(self.interval_seconds * self.backoff_rate**n, self.max_delay_seconds)
            for n in range(self.retries)
        )


class Step:
    """The names of the pipeline's steps: each a Lambda function on AWS, a call in the
    runner. The bookkeeping steps around the stages move the record and tell subscribers."""

    BEGIN: Final = "begin"
    COMPLETE: Final = "complete"
    REJECT: Final = "reject"
    FAIL: Final = "fail"


@dataclass(frozen=True, slots=True)
class PipelineDefinition:
    stages: tuple[Stage, ...] = tuple(Stage)
    retry: RetryPolicy = RetryPolicy()
    """For every step: the stages, and the bookkeeping steps, whose database may be
    throttled too."""
    step_timeout_seconds: int = 120
    """A step running longer is stopped (`States.Timeout`) and retried like a transient
    error. Two minutes hold a 50-megapixel image's resize on one Lambda vCPU."""

    @property
    def steps(self) -> tuple[str, ...]:
        """Every step's name: what needs a Lambda function on AWS."""
        return (Step.BEGIN, *self.stages, Step.COMPLETE, Step.REJECT, Step.FAIL)

    def tries_for(self, error: str) -> int:
        """How many tries a step had when it failed for good with `error`."""
        return self.retry.tries if error in TRANSIENT_ERRORS else 1


PIPELINE: Final = PipelineDefinition()
"""The pipeline as it runs in production; tests build faster ones."""
