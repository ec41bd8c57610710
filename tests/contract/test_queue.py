"""The processing queue's contract (pipeline requirement 6), on SQLite and on SQS (moto).

At-least-once delivery under leases: a message is hidden while a consumer holds it, delivered
again when the lease runs out, and set aside once it has been received too often; only the
current holder of a running lease can acknowledge, give back or extend it. Leases here last
`queue_lease_seconds` (1 s) and the tests wait for them to run out for real.
"""

from __future__ import annotations

import time

import pytest

from eduportal.domain.errors import ValidationError
from eduportal.ports import Queue, QueueDepth, QueueMessage
from tests.support.threads import run_together

EMPTY = QueueDepth(waiting=0, in_flight=0, dead=0)


def received_one(queue: Queue) -> QueueMessage:
    messages = queue.receive(wait_seconds=1)
    assert len(messages) == 1, messages
    return messages[0]


def wait_out(seconds: float) -> None:
    """Until a lease or a delay of `seconds` has run out, with a margin for the clocks."""
    time.sleep(seconds + 0.2)


def test_a_message_is_delivered_and_acknowledged_once(queue: Queue) -> None:
    body = {"image_id": "img-1", "key": "uploads/img-1/cat.png", "sizes": [128, 512], "by": "Zoë"}
    message_id = queue.send(body)
    message = received_one(queue)
    assert (message.message_id, message.body, message.receive_count) == (message_id, body, 1)
    assert queue.receive() == []  # held
    assert queue.ack(message)
    assert not queue.ack(message)  # gone already
    assert queue.depth() == EMPTY


def test_a_held_message_comes_back_when_its_lease_runs_out(
    queue: Queue, queue_lease_seconds: float
) -> None:
    message_id = queue.send({"image_id": "img-1"})
    first = received_one(queue)
    assert queue.depth() == QueueDepth(waiting=0, in_flight=1, dead=0)
    time.sleep(queue_lease_seconds / 2)
    assert queue.receive() == []
    wait_out(queue_lease_seconds / 2)
    assert queue.depth() == QueueDepth(waiting=1, in_flight=0, dead=0)  # its holder is gone
    assert not queue.ack(first)  # too late, even with nobody else holding it yet
    second = received_one(queue)
    assert (second.message_id, second.receive_count) == (message_id, 2)
    assert second.receipt != first.receipt


def test_a_late_worker_changes_nothing_and_the_new_holder_acks(
    queue: Queue, queue_lease_seconds: float
) -> None:
    queue.send({"image_id": "img-1"})
    late = received_one(queue)
    wait_out(queue_lease_seconds)
    current = received_one(queue)
    assert not queue.ack(late)
    assert not queue.extend(late, 30)
    assert not queue.release(late)
    assert queue.depth() == QueueDepth(waiting=0, in_flight=1, dead=0)  # still held, by current
    assert queue.ack(current)
    assert queue.depth() == EMPTY


def test_a_released_message_comes_back_at_once_or_after_its_delay(queue: Queue) -> None:
    now = queue.send({"image_id": "img-1"})
    assert queue.release(received_one(queue))
    again = received_one(queue)
    assert (again.message_id, again.receive_count) == (now, 2)
    assert queue.ack(again)

    later = queue.send({"image_id": "img-2"})
    first = received_one(queue)
    assert queue.release(first, delay_seconds=1)
    assert not queue.ack(first)  # the lease was given back
    assert queue.receive() == []
    wait_out(1)
    again = received_one(queue)
    assert (again.message_id, again.receive_count) == (later, 2)
    assert queue.ack(again)


def test_extending_a_lease_keeps_the_message_hidden(
    queue: Queue, queue_lease_seconds: float
) -> None:
    queue.send({"image_id": "img-1"})
    message = received_one(queue)
    time.sleep(queue_lease_seconds * 0.6)
    assert queue.extend(message, 2)
    time.sleep(queue_lease_seconds * 0.6)  # past the first lease's end
    assert queue.receive() == []
    assert queue.ack(message)
    assert queue.depth() == EMPTY


def test_a_message_never_acknowledged_is_dead_lettered_after_max_receives(
    queue: Queue, queue_lease_seconds: float, queue_max_receives: int
) -> None:
    message_id = queue.send({"image_id": "poison"})
    for count in range(1, queue_max_receives + 1):
        message = received_one(queue)
        assert (message.message_id, message.receive_count) == (message_id, count)
        wait_out(queue_lease_seconds)  # its consumer crashed
    assert queue.receive() == []
    assert queue.depth() == QueueDepth(waiting=0, in_flight=0, dead=1)
    (letter,) = queue.dead_letters(limit=10)
    assert (letter.message_id, letter.body, letter.receive_count) == (
        message_id,
        {"image_id": "poison"},
        queue_max_receives,
    )
    assert f"received {queue_max_receives} times" in letter.reason


def test_dead_letters_are_listed_oldest_first_and_redriven_once(queue: Queue) -> None:
    before = time.time()
    first = queue.dead_letter({"image_id": "a"}, reason="resize failed: truncated", receive_count=4)
    time.sleep(0.05)  # SQS stamps messages in milliseconds
    second = queue.dead_letter({"image_id": "b"}, reason="archive failed", receive_count=1)
    after = time.time()
    letters = queue.dead_letters(limit=10)
    assert [(x.message_id, x.body, x.reason, x.receive_count) for x in letters] == [
        (first, {"image_id": "a"}, "resize failed: truncated", 4),
        (second, {"image_id": "b"}, "archive failed", 1),
    ]
    assert all(before - 0.01 <= x.dead_at <= after for x in letters)
    assert [x.message_id for x in queue.dead_letters(limit=1, offset=1)] == [second]

    assert queue.redrive(first)
    assert not queue.redrive(first)  # redriven already
    redriven = received_one(queue)
    assert (redriven.body, redriven.receive_count) == ({"image_id": "a"}, 1)
    assert queue.receive() == []  # queued once
    assert queue.depth() == QueueDepth(waiting=0, in_flight=1, dead=1)


def test_depth_counts_waiting_delayed_held_and_dead(queue: Queue) -> None:
    queue.send({"n": 1})
    queue.send({"n": 2})
    queue.send({"n": 3}, delay_seconds=5)
    queue.dead_letter({"n": 4}, reason="failed", receive_count=1)
    assert queue.depth() == QueueDepth(waiting=3, in_flight=0, dead=1)
    held = received_one(queue)
    assert held.body != {"n": 3}  # not before its delay
    assert queue.depth() == QueueDepth(waiting=2, in_flight=1, dead=1)


def test_two_consumers_get_each_message_exactly_once(queue: Queue) -> None:
    sent = {queue.send({"n": n}) for n in range(30)}
    got: list[list[QueueMessage]] = [[], []]

    def consume(consumer: int) -> None:
        while messages := queue.receive(max_messages=5):
            for message in messages:
                assert queue.ack(message)
                got[consumer].append(message)

    assert run_together(consume, 2) == []
    ids = [message.message_id for message in got[0] + got[1]]
    assert sorted(ids) == sorted(sent)
    assert {message.receive_count for message in got[0] + got[1]} == {1}
    assert queue.depth() == EMPTY


def test_a_body_that_is_not_a_json_object_is_refused(queue: Queue) -> None:
    with pytest.raises(ValidationError, match="JSON"):
        queue.send({"image": b"\x89PNG"})
    with pytest.raises(ValidationError, match="JSON"):
        queue.send({"ratio": float("nan")})
    with pytest.raises(ValidationError, match="JSON"):
        queue.dead_letter({"error": ValueError("x")}, reason="failed", receive_count=1)
    assert queue.depth() == EMPTY
