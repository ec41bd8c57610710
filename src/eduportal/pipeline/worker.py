"""The worker of the embedded default: takes messages from the processing queue and runs the
pipeline on each with the local runner.

A message is acknowledged only after its run ended (the image settled, or found settled), so a
worker that dies mid-stage loses nothing: the lease runs out and another worker, or this one
restarted, takes the message up again; deterministic keys make the second run write the same
objects. While a run lasts, a heartbeat keeps the lease, so a slow image is not handed to a
second worker meanwhile. A run that ends with an error (its bookkeeping failed after the
retries) gives the message back after a pause; the queue's receive count then sends a message
that never succeeds to the dead letters.

Stopping (`stop`, set on SIGTERM or Ctrl-C) lets the current run finish, then the loop ends:
nothing is left leased to a process that is gone. An interrupt in the middle of a run (a second
Ctrl-C) gives the message back at once, so another worker need not wait for the lease.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

from eduportal.domain.correlation import correlation_scope
from eduportal.domain.image_records import ImageStatus
from eduportal.observability.logging import log_context
from eduportal.pipeline.intake import Intake
from eduportal.pipeline.runner import LocalRunner
from eduportal.ports import Queue, QueueMessage

log = logging.getLogger(__name__)

RETRY_PAUSE_SECONDS: Final = 10.0
"""How long a message whose run failed waits before it is delivered again."""


@dataclass
class Tally:
    """What a worker did, for `--drain`'s report and the benchmark."""

    runs: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    def add(self, outcome: ImageStatus | None) -> None:
        name = outcome.value if outcome else "SETTLED"
        self.runs[name] = self.runs.get(name, 0) + 1

    @property
    def messages(self) -> int:
        return sum(self.runs.values()) + self.errors


class Worker:
    def __init__(
        self,
        queue: Queue,
        intake: Intake,
        runner: LocalRunner,
        *,
        lease_seconds: float,
        poll_seconds: float = 1.0,
    ) -> None:
        self._queue = queue
        self._intake = intake
        self._runner = runner
        self._lease = lease_seconds
        self._poll = poll_seconds
        self.stop = threading.Event()
        """Set it (a signal handler does) to end the loop after the current message."""

    def run(self, *, drain: bool = False) -> Tally:
        """Take messages until stopped; with `drain`, until the queue holds none, waiting or
        leased to anyone (a lease that runs out brings its message back)."""
        tally = Tally()
        while not self.stop.is_set():
            messages = self._queue.receive(max_messages=1, wait_seconds=0 if drain else self._poll)
            if messages:
                self.handle(messages[0], tally)
                continue
            if drain:
                depth = self._queue.depth()
                if depth.waiting == 0 and depth.in_flight == 0:
                    break
                self.stop.wait(self._poll)
        return tally

    def handle(self, message: QueueMessage, tally: Tally) -> None:
        with correlation_scope(), log_context(message_id=message.message_id):
            started = time.monotonic()
            job = None
            try:
                with self._heartbeat(message):
                    job = self._intake.job_for(message.body)
                    if job is None:
                        outcome = None
                    else:  # every storage line of the run names its image
                        with log_context(image_id=job["image_id"]):
                            outcome = self._runner.run(job)
            except Exception:
                log.exception(
                    "the pipeline run ended with an error; the message comes back later",
                    extra={"receive_count": message.receive_count},
                )
                tally.errors += 1
                self._queue.release(message, delay_seconds=RETRY_PAUSE_SECONDS)
                return
            except BaseException:  # stopped at once (a second Ctrl-C): give the message back
                self._queue.release(message)
                raise
            if not self._queue.ack(message):
                log.warning("the lease ran out before the run ended; another run follows")
            tally.add(outcome)
            log.info(
                "image processed",
                extra={
                    "image_id": job["image_id"] if job else None,
                    "status": outcome.value if outcome else "SETTLED",
                    "seconds": round(time.monotonic() - started, 3),
                },
            )

    @contextmanager
    def _heartbeat(self, message: QueueMessage) -> Iterator[None]:
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self._lease / 3):
                if not self._queue.extend(message, self._lease):
                    log.warning("lost the lease of a message while running it")
                    return

        thread = threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
