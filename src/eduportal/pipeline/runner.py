"""The local runner: executes the pipeline definition in this process, as Step Functions
executes its rendering on AWS.

The same path through the same steps: `begin`, each stage, `complete`; a step failing with a
transient error is tried again after the definition's pauses, up to its retries; a rejected
image goes to `reject`, any other failure (or the last transient one) to `fail`; a record found
settled ends the run quietly. A bookkeeping step that keeps failing ends the run with its
error: the worker then leaves the message to be delivered again, as an execution that fails
outside its Catch would on AWS.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Final

from eduportal.domain.image_records import ImageStatus
from eduportal.pipeline.definition import (
    ImageAlreadySettled,
    ImageRejected,
    PipelineDefinition,
    StageTransientError,
    Step,
)
from eduportal.pipeline.stages import Job
from eduportal.pipeline.steps import PipelineSteps

log = logging.getLogger(__name__)

SETTLED: Final = None
"""What `run` returns when it found the record settled and changed nothing."""


class LocalRunner:
    def __init__(
        self,
        steps: PipelineSteps,
        definition: PipelineDefinition,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`sleep` waits between tries: a test's fake clock, or the worker's stop-aware wait."""
        self._steps = steps
        self._definition = definition
        self._sleep = sleep

    def run(self, job: Job) -> ImageStatus | None:
        """The final status the run gave the image; None when it found the image settled."""
        steps = self._steps
        try:
            job = self._try(Step.BEGIN, lambda: steps.begin(job))
            for stage in self._definition.stages:
                job = self._try(stage, functools.partial(steps.stage, stage, job))
        except ImageAlreadySettled:
            return SETTLED
        except Exception as exc:  # the definition's Catch: rejected, else failed
            name = type(exc).__name__
            ending = {**job, "error": {"Error": name, "Cause": str(exc)}}
            try:
                if isinstance(exc, ImageRejected):
                    self._try(Step.REJECT, lambda: steps.reject(ending))
                    return ImageStatus.REJECTED
                self._try(Step.FAIL, lambda: steps.fail(ending))
                return ImageStatus.FAILED
            except ImageAlreadySettled:
                return SETTLED
        try:
            self._try(Step.COMPLETE, lambda: steps.complete(job))
        except ImageAlreadySettled:
            return SETTLED
        return ImageStatus.COMPLETED

    def _try(self, step: str, call: Callable[[], Job]) -> Job:
        delays = self._definition.retry.delays()
        for attempt in range(len(delays) + 1):
            try:
                return call()
            except StageTransientError as exc:
                if attempt == len(delays):
                    raise
                log.info(
                    "step %s will be tried again",
                    step,
                    extra={"step": step, "attempt": attempt + 1, "error": str(exc)},
                )
                self._sleep(delays[attempt])
        raise AssertionError("the loop returns or raises")
