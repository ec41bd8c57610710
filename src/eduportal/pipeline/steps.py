"""What each step of the pipeline does, the same in the local runner and in a Lambda function.

A stage step runs its stage and then keeps the books: the try goes into the record's history
(with the stage's output: metadata, processed and thumbnail keys, archive location), an event
goes to the bus, a notification to the subscribers, a duration to the metrics (pipeline
requirements 2.5, 4 and 5.2). The bookkeeping steps move the record: `begin` to PROCESSING,
`complete`, `reject` and `fail` to the final statuses, each with its notification.

Errors leave a step as one of the names the definition knows (`pipeline.definition`): a
refused image as `ImageRejected`, an error that may pass as `StageTransientError`, anything
else as `StageFailedError`, whose message is a sentence for the uploader; the technical detail
is logged under the correlation id. Every record write is a conditional move, so a record that
another run settled meanwhile stops this run (`ImageAlreadySettled`) instead of being moved
backwards.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from eduportal.domain.correlation import current_or_new_correlation_id
from eduportal.domain.errors import ConflictError, EduportalError, ValidationError
from eduportal.domain.image_records import (
    FINAL,
    ImageRecord,
    ImageStatus,
    Outcome,
    Stage,
    StageAttempt,
    StageFailure,
)
from eduportal.domain.images import valid_placeholder
from eduportal.pipeline.definition import (
    ImageAlreadySettled,
    ImageRejected,
    PipelineDefinition,
    StageTransientError,
)
from eduportal.pipeline.stages import STAGES, Job, StageTools
from eduportal.ports import (
    Clock,
    Event,
    EventBus,
    ImageRecordRepository,
    Metrics,
    Notification,
    Notifier,
    Queue,
)

log = logging.getLogger(__name__)

SOURCE: Final = "eduportal.pipeline"


class StageFailedError(Exception):
    """A permanent failure: not retried, the record becomes `FAILED` with this sentence."""


@contextmanager
def _bookkeeping(step: str, job: Job) -> Iterator[None]:
    """The record store, the bus or the notifier may be throttled or away for a moment too:
    their transient errors leave a step under the name the definition retries."""
    try:
        yield
    except EduportalError as exc:
        if not exc.transient:
            raise
        log.warning("step %s: %s", step, exc.detail, extra={"image_id": job["image_id"]})
        raise StageTransientError(exc.user_message) from exc


@dataclass(frozen=True, slots=True)
class PipelineSteps:
    records: ImageRecordRepository
    tools: StageTools
    events: EventBus
    notifier: Notifier
    dead_letters: Queue
    """Where a failed image's job is set aside for an operator's redrive."""
    metrics: Metrics
    clock: Clock
    definition: PipelineDefinition

    def begin(self, job: Job) -> Job:
        with _bookkeeping("begin", job):
            return self._begin(job)

    def _begin(self, job: Job) -> Job:
        record = self._current(job)
        if record.status is ImageStatus.PROCESSING:
            log.info("taking up an image again", extra={"image_id": record.image_id})
        self._move(record.moved_to(ImageStatus.PROCESSING, self.clock.now()))
        self._publish("Image Processing Started", record, {"run": record.run})
        return {**job, "results": dict(job.get("results") or {}), "timings": {}}

    def stage(self, stage: Stage, job: Job) -> Job:
        """Run `stage` on `job`; the job with the stage's output under `results`."""
        started = time.perf_counter()
        try:
            output = STAGES[stage](self.tools, job)
        except Exception as exc:  # every error is classified and kept in the record
            raise self._stage_failed(stage, job, exc, time.perf_counter() - started) from exc
        seconds = time.perf_counter() - started
        attempt = StageAttempt(stage, Outcome.COMPLETED, self.clock.now(), seconds)
        with _bookkeeping(stage.value, job):
            record = self._current(job).with_attempt(attempt)
            changes = _changes(stage, output)
            self._move(record.moved_to(ImageStatus.PROCESSING, attempt.at, **changes))
            self._stage_told(record, attempt)
        return {
            **job,
            "results": {**job["results"], stage.value: output},
            "timings": {**job.get("timings", {}), stage.value: round(seconds, 4)},
        }

    def complete(self, job: Job) -> Job:
        with _bookkeeping("complete", job):
            return self._complete(job)

    def _complete(self, job: Job) -> Job:
        done = self._current(job).moved_to(ImageStatus.COMPLETED, self.clock.now())
        self._move(done)
        self._settled(done, "Image Processing Completed", "processed", _summary(done, job))
        return job

    def reject(self, job: Job) -> Job:
        with _bookkeeping("reject", job):
            return self._reject(job)

    def _reject(self, job: Job) -> Job:
        reason = _cause(job)
        rejected = self._current(job).moved_to(
            ImageStatus.REJECTED, self.clock.now(), reason=reason
        )
        self._move(rejected)
        self._settled(rejected, "Image Rejected", "rejected", {"reason": reason})
        return job

    def fail(self, job: Job) -> Job:
        with _bookkeeping("fail", job):
            return self._fail(job)

    def _fail(self, job: Job) -> Job:
        """Set the job aside first, then mark the record: a crash between the two leaves a
        dead letter for an image that a redelivery may still complete, which a redrive then
        finds settled; the other order could lose the dead letter."""
        error = job.get("error") or {}
        message = _cause(job)
        done = job.get("results") or {}  # none when `begin` itself failed
        stage = next((s for s in self.definition.stages if s.value not in done), None)
        failure = StageFailure(
            stage or self.definition.stages[-1],
            message,
            self.definition.tries_for(str(error.get("Error", ""))),
        )
        self.dead_letters.dead_letter(
            {"image_id": job["image_id"], "key": job["key"]},
            reason=f"{failure.stage.value}: {message}",
            receive_count=failure.attempts,
        )
        current = self._current(job)
        if current.status is ImageStatus.UPLOADED:  # `begin` failed before its move: a run
            current = current.moved_to(ImageStatus.PROCESSING, self.clock.now())  # did start
            self._move(current)
        failed = current.moved_to(
            ImageStatus.FAILED,
            self.clock.now(),
            failure=failure,
            history=current.given_up(failure.stage),
        )
        self._move(failed)
        self._settled(
            failed,
            "Image Processing Failed",
            f"failed at {failure.stage.value}",
            failure.as_dict(),
            stage=failure.stage.value,
        )
        return job

    # --- the books -----------------------------------------------------------------------

    def _current(self, job: Job) -> ImageRecord:
        """The stored record, or `ImageAlreadySettled` when this run has nothing left to do
        with it: a final status, or a newer run started by a redrive."""
        record = self.records.get(job["image_id"])
        if record.status in FINAL or record.run != job.get("run", record.run):
            raise ImageAlreadySettled(f"image {record.image_id} is {record.status.value}")
        return record

    def _move(self, record: ImageRecord) -> None:
        try:
            self.records.move(record)
        except ConflictError as exc:
            raise ImageAlreadySettled(exc.detail) from None

    def _stage_failed(self, stage: Stage, job: Job, exc: Exception, seconds: float) -> Exception:
        """Keep the failed try in the record; the error to raise, under its pipeline name."""
        outcome, error = _classified(exc)
        log.log(
            logging.INFO if outcome is Outcome.REJECTED else logging.WARNING,
            "stage %s %s",
            stage.value,
            outcome.value,
            extra={
                "image_id": job["image_id"],
                "stage": stage.value,
                "detail": getattr(exc, "detail", repr(exc)),
            },
            exc_info=not isinstance(exc, EduportalError),
        )
        attempt = StageAttempt(stage, outcome, self.clock.now(), seconds, str(error))
        self.metrics.observe(
            "pipeline_stage_seconds", seconds, stage=stage.value, outcome=outcome.value
        )
        try:
            record = self._current(job).with_attempt(attempt)
            self._move(record.moved_to(ImageStatus.PROCESSING, attempt.at))
        except EduportalError as books:  # the stage's own error is the one to report
            log.warning("could not record a failed try", extra={"detail": books.detail})
        else:
            self._publish("Image Stage Failed", record, attempt.as_dict())
        return error

    def _stage_told(self, record: ImageRecord, attempt: StageAttempt) -> None:
        self.metrics.observe(
            "pipeline_stage_seconds",
            attempt.seconds,
            stage=attempt.stage.value,
            outcome=attempt.outcome.value,
        )
        self._publish("Image Stage Completed", record, attempt.as_dict())
        self.notifier.notify(
            Notification(
                _subject(f"Image {record.image_id}: {attempt.stage.value} done", record.key),
                {"image_id": record.image_id, "key": record.key} | attempt.as_dict(),
                {"outcome": attempt.outcome.value, "stage": attempt.stage.value},
            )
        )

    def _settled(
        self,
        record: ImageRecord,
        detail_type: str,
        what: str,
        detail: Mapping[str, Any],
        **attributes: str,
    ) -> None:
        """A final status reached: counted, published, and the subscribers told."""
        status = record.status.value
        self.metrics.increment("pipeline_images_total", status=status)
        self.metrics.observe(
            "pipeline_image_seconds",
            max(record.updated_at - record.uploaded_at, 0.0),
            status=status,
        )
        self._publish(detail_type, record, detail)
        outcome = {"COMPLETED": Outcome.COMPLETED, "REJECTED": Outcome.REJECTED}.get(
            status, Outcome.FAILED
        )
        self.notifier.notify(
            Notification(
                _subject(f"Image {record.image_id} {what}", record.key),
                {"image_id": record.image_id, "key": record.key, **detail},
                {"status": status, "outcome": outcome.value, **attributes},
            )
        )

    def _publish(self, detail_type: str, record: ImageRecord, detail: Mapping[str, Any]) -> None:
        self.events.publish(
            Event(
                source=SOURCE,
                detail_type=detail_type,
                detail={
                    "image_id": record.image_id,
                    "key": record.key,
                    "correlation_id": current_or_new_correlation_id(),
                    **detail,
                },
                time=self.clock.now(),
            )
        )


def _classified(exc: Exception) -> tuple[Outcome, Exception]:
    if isinstance(exc, ValidationError):
        return Outcome.REJECTED, ImageRejected(exc.user_message)
    if isinstance(exc, EduportalError):
        if exc.transient:
            return Outcome.RETRYING, StageTransientError(exc.user_message)
        return Outcome.FAILED, StageFailedError(exc.user_message)
    return Outcome.FAILED, StageFailedError(
        "An unexpected error stopped this stage; the log has the details under reference "
        f"{current_or_new_correlation_id()}."
    )


_CHANGES: Final[Mapping[Stage, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    Stage.EXTRACT_METADATA: lambda out: {"metadata": dict(out)},
    Stage.RESIZE: lambda out: {
        "processed_key": out["processed_key"],
        "placeholder": valid_placeholder(out.get("placeholder")),
    },
    Stage.THUMBNAILS: lambda out: {"thumbnail_keys": tuple(out["thumbnail_keys"])},
    Stage.ARCHIVE: lambda out: {"archive_key": out["archive_key"]},
}


def _changes(stage: Stage, output: Mapping[str, Any]) -> dict[str, Any]:
    """What a stage's output changes on the record (validation changes nothing)."""
    change = _CHANGES.get(stage)
    return change(output) if change else {}


def _cause(job: Job) -> str:
    """The sentence of the error that ended the run. Step Functions hands a Lambda's error
    over as a JSON `Cause` with `errorMessage`; the local runner gives the message itself."""
    cause = str((job.get("error") or {}).get("Cause", ""))
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause or "The image could not be processed."
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        return str(parsed["errorMessage"])
    return cause


def _summary(record: ImageRecord, job: Job) -> dict[str, Any]:
    resized = job["results"].get(Stage.RESIZE.value, {})
    return {
        "image_id": record.image_id,
        "key": record.key,
        "status": record.status.value,
        "run": record.run,
        "processed_key": record.processed_key,
        "thumbnail_keys": list(record.thumbnail_keys),
        "archive_key": record.archive_key,
        "width": record.metadata.get("width"),
        "height": record.metadata.get("height"),
        "format": record.metadata.get("format"),
        "original_size_bytes": record.size_bytes,
        "processed_size_bytes": resized.get("optimized_size_bytes"),
        "stage_seconds": dict(job.get("timings", {})),
        "total_seconds": round(max(record.updated_at - record.uploaded_at, 0.0), 3),
    }


def _subject(text: str, key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return f"{text} ({name})"
