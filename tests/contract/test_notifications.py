"""The notifier's contract (pipeline requirement 7): a notification reaches its subscribers with
its subject, its message and its attributes, on SQLite (the notification log) and on SNS
(a topic on moto's server with an SQS subscription, read back through SNS's envelope). Then
SNS's own rules for subjects and attributes, and the embedded log's JSON line and reading.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from eduportal.adapters.aws.clients import sns_client
from eduportal.adapters.aws.sns_notifier import UNAVAILABLE, SnsNotifier, sns_subject
from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_events import SentNotification, SqliteNotifier
from eduportal.domain.errors import StorageUnavailableError
from eduportal.ports import Notification, Notifier
from tests.support.clock import FakeClock
from tests.support.fixture_types import JsonLog
from tests.support.sqs_queues import ReadableQueue, new_queue

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

DAY = 1_795_000_000.0  # 2026-11-18 (UTC)


@dataclass(frozen=True)
class Delivered:
    """What a subscriber received: the subject (None when there was none)."""

    subject: str | None
    message: Any
    attributes: dict[str, str]


def failed(image_id: str, stage: str = "resize") -> Notification:
    return Notification(
        subject=f"Image {image_id} failed at {stage}",
        message={
            "image_id": image_id,
            "stage": stage,
            "error": "cannot identify image file 'uploads/x.png'",
            "attempts": 4,
            "dead_letter": True,
        },
        attributes={"outcome": "failed", "stage": stage, "status": "FAILED"},
    )


class Subscriber(Protocol):
    @property
    def notifier(self) -> Notifier: ...

    def delivered(self) -> list[Delivered]:
        """Everything delivered so far, oldest first."""
        ...


class LogReader:
    def __init__(self, database: SqliteDatabase) -> None:
        self.notifier = SqliteNotifier(database)

    def delivered(self) -> list[Delivered]:
        return [
            Delivered(
                sent.notification.subject,
                sent.notification.message,
                dict(sent.notification.attributes),
            )
            for sent in reversed(self.notifier.notifications(limit=100))
        ]


class TopicSubscriber:
    """A topic of its own per test, with an SQS queue subscribed (SNS's JSON envelope on)."""

    def __init__(self, moto_url: str) -> None:
        self.client: SNSClient = sns_client(
            region="us-east-1", timeout_seconds=10.0, endpoint_url=moto_url
        )
        self.topic_arn = self.client.create_topic(Name=f"pipeline-{uuid.uuid4().hex[:12]}")[
            "TopicArn"
        ]
        self.queue: ReadableQueue = new_queue(moto_url, "notified")
        self.client.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=self.queue.arn)
        self.notifier = SnsNotifier(self.client, self.topic_arn)

    def delivered(self) -> list[Delivered]:
        return [
            Delivered(
                envelope.get("Subject"),
                json.loads(envelope["Message"]),
                {
                    name: attribute["Value"]
                    for name, attribute in envelope.get("MessageAttributes", {}).items()
                },
            )
            for envelope in self.queue.drain()
        ]

    def close(self) -> None:
        self.client.delete_topic(TopicArn=self.topic_arn)
        self.queue.delete()


@pytest.fixture
def topic(moto_url: str) -> Iterator[TopicSubscriber]:
    subscriber = TopicSubscriber(moto_url)
    yield subscriber
    subscriber.close()


@pytest.fixture(params=["sqlite", "sns"])
def subscriber(request: pytest.FixtureRequest) -> Subscriber:
    if request.param == "sqlite":
        return LogReader(request.getfixturevalue("sqlite_database"))
    topic: TopicSubscriber = request.getfixturevalue("topic")
    return topic


# --- The contract, on both ----------------------------------------------------------------------


def test_a_notification_arrives_with_its_subject_message_and_attributes(
    subscriber: Subscriber,
) -> None:
    subscriber.notifier.notify(failed("img-1"))
    assert subscriber.delivered() == [
        Delivered(
            "Image img-1 failed at resize",
            dict(failed("img-1").message),
            {"outcome": "failed", "stage": "resize", "status": "FAILED"},
        )
    ]


def test_each_notification_arrives_once(subscriber: Subscriber) -> None:
    subscriber.notifier.notify(failed("img-1"))
    subscriber.notifier.notify(Notification("Image img-2 is ready", {"image_id": "img-2"}))
    subscriber.notifier.notify(failed("img-3", stage="thumbnails"))
    delivered = subscriber.delivered()
    assert sorted(d.subject or "" for d in delivered) == [
        "Image img-1 failed at resize",
        "Image img-2 is ready",
        "Image img-3 failed at thumbnails",
    ]
    assert [d.attributes for d in delivered if d.subject == "Image img-2 is ready"] == [{}]


# --- SNS: its rules for subjects and attributes ---------------------------------------------------


def test_sns_subjects_become_one_line_of_printable_ascii() -> None:
    assert sns_subject("Résumé\nfailed\tat   resize ") == "Resume failed at resize"
    assert sns_subject("写真 ready") == "?? ready"
    assert sns_subject("bell\x07") == "bell?"
    assert sns_subject(" \n ") == ""
    exactly = "x" * 100
    assert sns_subject(exactly) == exactly
    long = sns_subject("Image img-1 failed: " + "word " * 40)
    assert long == ("Image img-1 failed: " + "word " * 40)[:97] + "..."
    assert len(long) == 100


def test_sns_takes_any_subject_after_sanitizing(topic: TopicSubscriber) -> None:
    """SNS would refuse the whole publish over a long subject (moto does too; it accepts line
    breaks and non-ASCII, which AWS has documented as refused): each arrives, made acceptable."""
    attributes = {"outcome": "failed", "stage": "resize", "note": ""}
    for subject in ("x" * 100, "Zoë's upload\nfailed " + "again " * 30, "  "):
        topic.notifier.notify(Notification(subject, {"image_id": "img-1"}, attributes))
    delivered = topic.delivered()
    assert [d.subject for d in delivered] == [
        "x" * 100,
        sns_subject("Zoë's upload\nfailed " + "again " * 30),
        None,  # no subject: SNS's default
    ]
    assert delivered[1].subject is not None
    assert delivered[1].subject.startswith("Zoe's upload failed again")
    # SNS refuses an empty attribute value: left out, the others kept.
    assert {tuple(d.attributes.items()) for d in delivered} == {
        (("outcome", "failed"), ("stage", "resize"))
    }


def test_a_missing_topic_is_notifications_unavailable(topic: TopicSubscriber) -> None:
    notifier = SnsNotifier(topic.client, topic.topic_arn + "-gone")
    with pytest.raises(StorageUnavailableError) as caught:
        notifier.notify(failed("img-1"))
    assert caught.value.user_message == UNAVAILABLE
    assert "sns publish 'Image img-1 failed at resize'" in caught.value.detail
    assert "NotFound" in caught.value.detail


# --- The embedded log: one JSON line each, and the operators' reading ---------------------------


def test_each_notification_is_one_json_line_with_its_subject_and_attributes(
    sqlite_database: SqliteDatabase, json_log: JsonLog
) -> None:
    SqliteNotifier(sqlite_database).notify(failed("img-1"))
    SqliteNotifier(sqlite_database).notify(Notification("Nightly report", {"images": 3}))
    lines = [line for line in json_log() if line["logger"].endswith("sqlite_events")]
    assert [(line["level"], line["subject"], line["attributes"]) for line in lines] == [
        ("INFO", "Image img-1 failed at resize", dict(failed("img-1").attributes)),
        ("INFO", "Nightly report", {}),
    ]
    assert lines[0]["image_id"] == "img-1"
    assert "image_id" not in lines[1]
    assert "dead_letter" not in json.dumps(lines)  # the details stay in the table


def test_operators_read_notifications_newest_first_by_image(
    sqlite_database: SqliteDatabase,
) -> None:
    clock = FakeClock(DAY)
    notifier = SqliteNotifier(sqlite_database, clock=clock.now)
    for image_id in ("img-1", "img-2", "img-1", "img-1"):
        notifier.notify(failed(image_id))
        clock.advance(60)
    notifier.notify(Notification("Nightly report", {"images": 4}))

    def times(sent: list[SentNotification]) -> list[float]:
        return [s.time for s in sent]

    assert times(notifier.notifications(limit=2)) == [DAY + 240, DAY + 180]
    assert times(notifier.notifications(limit=2, offset=2)) == [DAY + 120, DAY + 60]
    assert times(notifier.notifications(limit=10, image_id="img-1")) == [
        DAY + 180,
        DAY + 120,
        DAY,
    ]
    assert notifier.notifications(limit=1, image_id="img-1")[0].notification == failed("img-1")
    assert notifier.notifications(limit=10, image_id="img-9") == []
