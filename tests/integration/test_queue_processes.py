"""The SQLite queue across real processes: a consumer killed while it holds a message, two
consumer processes draining one queue, a poison message that kills every consumer taking it.

Consumers run in fresh interpreters (multiprocessing's spawn), each with its own connections
to the database file, as separate worker processes of the embedded default would.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_queue import SqliteQueue
from eduportal.ports import QueueDepth

SPAWN = multiprocessing.get_context("spawn")
LEASE = 1.0
WORK_SECONDS = 0.002

Start = Callable[..., SpawnProcess]


def opened(path: Path, *, lease: float = LEASE, max_receives: int = 5) -> SqliteQueue:
    return SqliteQueue(SqliteDatabase(path), visibility_timeout=lease, max_receives=max_receives)


def hold_forever(path: Path, report: Connection) -> None:
    """Take a message, say which, and never finish it."""
    (message,) = opened(path).receive(wait_seconds=30)
    report.send((message.message_id, message.receive_count, time.time()))
    time.sleep(60)


def drain(path: Path, together: Barrier, report: Connection, idle_seconds: float) -> None:
    """Take and ack one message at a time, each after a moment's work as a worker's would
    take, until none comes for `idle_seconds`; report each as (message id, receive count,
    acknowledged, when). Without the work one process can drain the queue before the other
    is scheduled at all (a CI run saw it), and the test would show no overlap."""
    queue = opened(path)
    together.wait()
    done = []
    while messages := queue.receive(wait_seconds=idle_seconds):
        time.sleep(WORK_SECONDS)
        done += [(m.message_id, m.receive_count, queue.ack(m), time.time()) for m in messages]
    report.send(done)


def die_holding(path: Path, lease: float, max_receives: int, report: Connection) -> None:
    """Take a message and die on the spot, as a consumer that crashes on it does."""
    queue = opened(path, lease=lease, max_receives=max_receives)
    messages = queue.receive(wait_seconds=2 * lease)
    report.send([(m.message_id, m.receive_count) for m in messages])
    os._exit(1 if messages else 0)


@pytest.fixture
def start() -> Iterator[Start]:
    """Start `target(*args)` in a spawned process; whatever is still running at the end of the
    test is killed."""
    started: list[SpawnProcess] = []

    def run(target: Callable[..., None], *args: Any) -> SpawnProcess:
        process = SPAWN.Process(target=target, args=args, daemon=True)
        process.start()
        started.append(process)
        return process

    yield run
    for process in started:
        if process.is_alive():
            process.kill()
        process.join(10)


def answer(receiver: Connection) -> Any:
    assert receiver.poll(30), "no answer from the consumer process"
    return receiver.recv()


def test_a_message_held_by_a_killed_consumer_goes_to_another_after_the_lease(
    tmp_path: Path, start: Start
) -> None:
    path = tmp_path / "eduportal.db"
    queue = opened(path)
    message_id = queue.send({"image_id": "img-1"})
    held, holder_says = SPAWN.Pipe(duplex=False)
    holder = start(hold_forever, path, holder_says)
    held_id, receive_count, taken_at = answer(held)
    assert (held_id, receive_count) == (message_id, 1)
    drained, other_says = SPAWN.Pipe(duplex=False)
    alone = SPAWN.Barrier(1)  # kept here: the child finds it only while this process holds it
    start(drain, path, alone, other_says, 1.5 * LEASE)
    os.kill(holder.pid or 0, signal.SIGKILL)
    holder.join(10)
    assert holder.exitcode == -signal.SIGKILL
    ((other_id, receive_count, acknowledged, at),) = answer(drained)
    assert (other_id, receive_count, acknowledged) == (message_id, 2, True)
    assert at - taken_at >= LEASE - 0.05  # not before the killed holder's lease ran out
    assert queue.depth() == QueueDepth(waiting=0, in_flight=0, dead=0)


def test_two_consumer_processes_drain_a_queue_each_message_once(
    tmp_path: Path, start: Start
) -> None:
    path = tmp_path / "eduportal.db"
    queue = opened(path)
    sent = [queue.send({"n": n}) for n in range(300)]
    together = SPAWN.Barrier(2)
    pipes = [SPAWN.Pipe(duplex=False) for _ in range(2)]
    for _, says in pipes:
        start(drain, path, together, says, 0.5)
    reports = [answer(receiver) for receiver, _ in pipes]
    done = [entry for report in reports for entry in report]
    received = [message_id for message_id, _, _, _ in done]
    assert len(received) == len(set(received)), "a message was delivered twice"
    assert set(received) == set(sent), "a message was never delivered"
    assert {(count, acknowledged) for _, count, acknowledged, _ in done} == {(1, True)}
    assert all(reports), "one consumer took everything: nothing ran at the same time"
    assert queue.depth() == QueueDepth(waiting=0, in_flight=0, dead=0)


def test_a_message_that_kills_every_consumer_ends_in_the_dead_letters(
    tmp_path: Path, start: Start
) -> None:
    path = tmp_path / "eduportal.db"
    lease, max_receives = 0.5, 3
    queue = opened(path, lease=lease, max_receives=max_receives)
    message_id = queue.send({"image_id": "poison"})
    deliveries = []
    for _ in range(max_receives + 1):
        receiver, says = SPAWN.Pipe(duplex=False)
        consumer = start(die_holding, path, lease, max_receives, says)
        deliveries.append(answer(receiver))
        consumer.join(10)
        assert consumer.exitcode == (1 if deliveries[-1] else 0)
    assert deliveries == [[(message_id, count)] for count in range(1, max_receives + 1)] + [[]]
    (letter,) = queue.dead_letters(limit=10)
    assert (letter.message_id, letter.body, letter.receive_count) == (
        message_id,
        {"image_id": "poison"},
        max_receives,
    )
    assert queue.depth() == QueueDepth(waiting=0, in_flight=0, dead=1)
