"""`eduportal worker`: processing workers of the embedded default, and their supervisor.

One worker is this process. Several are child processes (the pipeline is CPU-bound and
Python's threads share one core), each `eduportal worker` on its own, watched by this one: a
child that dies is started again (it lost nothing: its message's lease runs out and the
message comes back), and a stop is passed on to every child. Children run in their own
process group, so a Ctrl-C in the terminal reaches them once, through the supervisor, rather
than twice (the second signal means "stop now").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from types import FrameType

from eduportal.cli.common import EXIT_FAILURE, Commands, print_json
from eduportal.cli.parent_watch import process_id, stop_with_parent
from eduportal.config import Settings
from eduportal.pipeline.worker import Tally

log = logging.getLogger("eduportal.cli.worker")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
RESTART_PAUSE_SECONDS = 2.0
"""How long the supervisor waits before starting again a child that died."""


def worker_command(*, drain: bool = False) -> list[str]:
    """A worker process's command line, stopping with the process that runs it: `serve`
    starts the portal's workers with it, a supervisor its children."""
    return [
        sys.executable,
        "-m",
        "eduportal",
        "worker",
        "--parent-pid",
        str(os.getpid()),
        *(["--drain"] if drain else []),
    ]


def _on_stop(first: Callable[[], None], again: Callable[[], None]) -> None:
    """Call `first` on the first SIGTERM or SIGINT and `again` on every later one."""
    received = threading.Event()

    def handle(signum: int, _: FrameType | None) -> None:
        if received.is_set():
            again()
            return
        received.set()
        log.info("stopping: %s received", signal.Signals(signum).name)
        first()

    for signum in STOP_SIGNALS:
        signal.signal(signum, handle)


def _cmd_worker(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    if args.concurrency == 1:
        return _work_here(settings, drain=args.drain, parent=args.parent_pid)
    return _supervise(settings, args.concurrency, drain=args.drain, parent=args.parent_pid)


def _work_here(settings: Settings, *, drain: bool, parent: int | None) -> int:
    from eduportal.wiring import build

    container = build(settings)
    worker = container.worker()

    def now() -> None:
        raise KeyboardInterrupt  # the worker gives its message back at once, then exits

    _on_stop(worker.stop.set, now)
    stop_with_parent(parent, worker.stop.set)
    _announce(settings, 1, drain)
    container.start_recording("worker")  # for the Operations page; a last snapshot at the end
    try:
        tally = worker.run(drain=drain)
    finally:
        container.stop_recording()
    if drain:
        print_json(_report(tally))
    return 0


def _supervise(settings: Settings, concurrency: int, *, drain: bool, parent: int | None) -> int:
    stopping = threading.Event()

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603 - our own fixed command line
            worker_command(drain=drain), stdout=subprocess.PIPE, text=True, start_new_session=True
        )

    def pass_on() -> None:
        stopping.set()
        for child in list(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    _announce(settings, concurrency, drain)
    children = [start() for _ in range(concurrency)]
    _on_stop(pass_on, pass_on)
    stop_with_parent(parent, pass_on)
    tallies: list[Tally] = []
    failed = 0
    while children:
        stopping.wait(0.2)
        for child in [child for child in children if child.poll() is not None]:
            out, _ = child.communicate()
            children.remove(child)
            if child.returncode == 0 or stopping.is_set():
                tallies += _tallies(out)
                failed += child.returncode != 0
                continue
            log.warning("a worker process ended with status %s; starting another", child.returncode)
            if not stopping.wait(RESTART_PAUSE_SECONDS):
                children.append(start())
    if drain:
        print_json(_report(*tallies))
    return EXIT_FAILURE if failed else 0


def _tallies(out: str) -> list[Tally]:
    """A draining child's report (its standard output); nothing from one that did not drain."""
    if not out.strip():
        return []
    report = json.loads(out)
    return [Tally(runs=dict(report["images"]), errors=int(report["errors"]))]


def _report(*tallies: Tally) -> dict[str, object]:
    images: dict[str, int] = {}
    for tally in tallies:
        for status, count in tally.runs.items():
            images[status] = images.get(status, 0) + count
    return {
        "messages": sum(t.messages for t in tallies),
        "images": images,
        "errors": sum(t.errors for t in tallies),
    }


def _announce(settings: Settings, concurrency: int, drain: bool) -> None:
    where = "from SQS" if settings.aws_pipeline else f"in {settings.data_dir.resolve()}"
    until = "until the queue is empty" if drain else "until stopped (Ctrl-C or SIGTERM)"
    processes = "1 process" if concurrency == 1 else f"{concurrency} processes"
    sys.stderr.write(f"eduportal worker: {processes} processing uploads {where}, {until}.\n")
    sys.stderr.flush()


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes from 1 to 64.")
    return value


def register(commands: Commands) -> None:
    worker = commands.add_parser(
        "worker",
        help="process uploaded images: validate, metadata, resize, thumbnails, archive",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Take images from the processing queue and run the pipeline on each:
validate, extract metadata, resize, thumbnails, archive. `eduportal serve`
starts one worker beside the portal; run this for more, or on its own.

Each image's record moves UPLOADED -> PROCESSING -> COMPLETED, REJECTED (not
an image, damaged, over the limits) or FAILED (after retries; its message is
then in the dead-letter queue: see `eduportal pipeline dlq`). Logs are JSON
lines on standard error, one per image processed.

Stopping (Ctrl-C, SIGTERM) lets each worker finish its current image; a
second signal gives the image back to the queue at once. A worker killed
outright loses nothing: its image is taken up again when its lease
(EDUPORTAL_QUEUE_VISIBILITY_SECONDS) runs out.""",
    )
    worker.add_argument(
        "--concurrency",
        type=_positive,
        default=1,
        metavar="N",
        help="worker processes to run (default 1; the machine's cores is a good number)",
    )
    worker.add_argument(
        "--drain",
        action="store_true",
        help="stop when the queue is empty; print what was processed as JSON",
    )
    worker.add_argument(
        "--parent-pid",
        type=process_id,
        metavar="PID",
        help="stop (as on Ctrl-C) once process PID, which started this one, has ended: "
        "`serve` passes its own, so a portal killed outright leaves no worker behind",
    )
    worker.set_defaults(handler=_cmd_worker)
