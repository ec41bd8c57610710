"""The event bus's contract (pipeline requirement 4): each subscriber gets exactly the events its
rule matches, with their detail intact, on SQLite (subscribers in process) and on EventBridge
(rules with event patterns on moto's server, each delivering to an SQS queue read back over
the wire). Then what only one of them can show: order and failing subscribers in process,
refused entries on EventBridge.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from eduportal.adapters.aws.clients import events_client
from eduportal.adapters.aws.eventbridge_bus import UNAVAILABLE, EventBridgeBus
from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_events import Rule, SqliteEventBus
from eduportal.domain.errors import StorageUnavailableError
from eduportal.ports import Event, EventBus
from tests.support.network import free_port
from tests.support.sqs_queues import ReadableQueue, new_queue

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

DAY = 1_795_000_000.0  # 2026-11-18 (UTC); whole seconds, which is what EventBridge carries
CREATED = "Object Created"
STAGE_DONE = "Image Stage Completed"


def created(key: str, at: float, source: str = "aws.s3") -> Event:
    """S3's "Object Created" event as EventBridge carries it."""
    return Event(
        source=source,
        detail_type=CREATED,
        detail={
            "bucket": {"name": "eduportal-images"},
            "object": {"key": key, "size": 4096, "etag": "0f343b0931126a20f133d67c2b018a3b"},
        },
        time=at,
    )


def stage_done(image_id: str, at: float, source: str = "eduportal.pipeline") -> Event:
    return Event(
        source=source,
        detail_type=STAGE_DONE,
        detail={"image_id": image_id, "stage": "resize", "seconds": 0.25},
        time=at,
    )


class Routes(Protocol):
    """Subscriptions on one backend, and what each subscriber received."""

    def subscribe(
        self,
        name: str,
        *,
        detail_type: str,
        source: str | None = None,
        key_prefix: str | None = None,
    ) -> None: ...

    def bus(self) -> EventBus:
        """The bus, with every subscription made so far."""
        ...

    def received(self, name: str) -> list[Event]: ...


class InProcessRoutes:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database
        self._rules: list[Rule] = []
        self._received: dict[str, list[Event]] = {}

    def subscribe(
        self,
        name: str,
        *,
        detail_type: str,
        source: str | None = None,
        key_prefix: str | None = None,
    ) -> None:
        got = self._received.setdefault(name, [])
        self._rules.append(Rule(detail_type, got.append, source=source, key_prefix=key_prefix))

    def bus(self) -> SqliteEventBus:
        return SqliteEventBus(self._database, self._rules)

    def received(self, name: str) -> list[Event]:
        return list(self._received[name])


class EventBridgeRoutes:
    """A bus of its own per test, and per subscriber a rule whose pattern says what its
    `Rule` would say, delivering to a queue of its own."""

    def __init__(self, moto_url: str) -> None:
        self._moto_url = moto_url
        self._client: EventBridgeClient = events_client(
            region="us-east-1", timeout_seconds=10.0, endpoint_url=moto_url
        )
        self.bus_name = f"bus-{uuid.uuid4().hex[:12]}"
        self._client.create_event_bus(Name=self.bus_name)
        self._queues: dict[str, ReadableQueue] = {}

    def subscribe(
        self,
        name: str,
        *,
        detail_type: str,
        source: str | None = None,
        key_prefix: str | None = None,
    ) -> None:
        pattern: dict[str, Any] = {"detail-type": [detail_type]}
        if source is not None:
            pattern["source"] = [source]
        if key_prefix is not None:
            pattern["detail"] = {"object": {"key": [{"prefix": key_prefix}]}}
        queue = self._queues[name] = new_queue(self._moto_url, name)
        self._client.put_rule(
            Name=name, EventBusName=self.bus_name, EventPattern=json.dumps(pattern)
        )
        self._client.put_targets(
            Rule=name, EventBusName=self.bus_name, Targets=[{"Id": name, "Arn": queue.arn}]
        )

    def bus(self) -> EventBridgeBus:
        return EventBridgeBus(self._client, self.bus_name)

    def received(self, name: str) -> list[Event]:
        return [
            Event(
                source=envelope["source"],
                detail_type=envelope["detail-type"],
                detail=envelope["detail"],
                time=datetime.fromisoformat(envelope["time"]).timestamp(),
            )
            for envelope in self._queues[name].drain()
        ]

    def close(self) -> None:
        for name, queue in self._queues.items():
            self._client.remove_targets(Rule=name, EventBusName=self.bus_name, Ids=[name])
            self._client.delete_rule(Name=name, EventBusName=self.bus_name)
            queue.delete()
        self._client.delete_event_bus(Name=self.bus_name)


@pytest.fixture
def eventbridge(moto_url: str) -> Iterator[EventBridgeRoutes]:
    routes = EventBridgeRoutes(moto_url)
    yield routes
    routes.close()


@pytest.fixture(params=["sqlite", "eventbridge"])
def routes(request: pytest.FixtureRequest) -> Routes:
    if request.param == "sqlite":
        return InProcessRoutes(request.getfixturevalue("sqlite_database"))
    eventbridge: EventBridgeRoutes = request.getfixturevalue("eventbridge")
    return eventbridge


def by_time(events: list[Event]) -> list[Event]:
    """EventBridge does not promise order to a target; the contract compares sets of events."""
    return sorted(events, key=lambda event: event.time)


# --- The contract, on both ----------------------------------------------------------------------


def test_each_subscriber_gets_exactly_the_events_its_rule_matches(routes: Routes) -> None:
    routes.subscribe("uploads", detail_type=CREATED, source="aws.s3", key_prefix="uploads/")
    routes.subscribe("anything-created", detail_type=CREATED)
    routes.subscribe("stages", detail_type=STAGE_DONE, source="eduportal.pipeline")
    upload = created("uploads/img-1/photo.png", DAY)
    processed = created("processed/img-1.webp", DAY + 1)
    elsewhere = created("uploads/img-2/photo.png", DAY + 2, source="eduportal.tests")
    stage = stage_done("img-1", DAY + 3)
    stranger = stage_done("img-1", DAY + 4, source="eduportal.tests")
    unrelated = Event("eduportal.pipeline", "Image Rejected", {"image_id": "img-3"}, DAY + 5)
    bus = routes.bus()
    for event in (upload, processed, elsewhere, stage, stranger, unrelated):
        bus.publish(event)
    assert routes.received("uploads") == [upload]
    assert by_time(routes.received("anything-created")) == [upload, processed, elsewhere]
    assert routes.received("stages") == [stage]


def test_a_key_prefix_does_not_match_an_event_without_an_object_key(routes: Routes) -> None:
    routes.subscribe("uploads", detail_type=CREATED, key_prefix="uploads/")
    routes.subscribe("anything-created", detail_type=CREATED)
    keyless = Event("aws.s3", CREATED, {"bucket": {"name": "eduportal-images"}}, DAY)
    not_a_key = Event("aws.s3", CREATED, {"object": {"key": 7}}, DAY + 1)
    bus = routes.bus()
    bus.publish(keyless)
    bus.publish(not_a_key)
    assert routes.received("uploads") == []
    assert by_time(routes.received("anything-created")) == [keyless, not_a_key]


def test_the_detail_arrives_intact(routes: Routes) -> None:
    routes.subscribe("stages", detail_type=STAGE_DONE)
    detail = {
        "image_id": "img-1",
        "name": 'Zoë\'s 写真 "final" name.png',
        "sizes": [128, 256, 512],
        "ratio": 0.1 + 0.2,
        "big": 2**53 + 1,
        "archived": False,
        "error": None,
        "metadata": {"exif": {"orientation": 6}, "mode": "RGBA"},
    }
    routes.bus().publish(Event("eduportal.pipeline", STAGE_DONE, detail, DAY))
    [received] = routes.received("stages")
    assert received.detail == detail
    assert received == Event("eduportal.pipeline", STAGE_DONE, detail, DAY)


# --- In process: order, failing subscribers, the operators' reading ------------------------------


def test_subscribers_are_called_in_order_for_each_event(sqlite_database: SqliteDatabase) -> None:
    calls: list[tuple[str, float]] = []

    def subscriber(name: str) -> Rule:
        return Rule(CREATED, lambda event: calls.append((name, event.time)))

    bus = SqliteEventBus(
        sqlite_database, [subscriber("record"), subscriber("queue"), subscriber("count")]
    )
    bus.publish(created("uploads/img-1/a.png", DAY))
    bus.publish(created("uploads/img-2/b.png", DAY + 1))
    assert calls == [
        ("record", DAY),
        ("queue", DAY),
        ("count", DAY),
        ("record", DAY + 1),
        ("queue", DAY + 1),
        ("count", DAY + 1),
    ]


def test_a_failing_subscriber_reaches_the_publisher_and_the_event_stays_logged(
    sqlite_database: SqliteDatabase,
) -> None:
    called: list[str] = []

    def refuse(event: Event) -> None:
        raise StorageUnavailableError(detail="queue full")

    bus = SqliteEventBus(
        sqlite_database,
        [
            Rule(CREATED, lambda event: called.append("record")),
            Rule(CREATED, refuse),
            Rule(CREATED, lambda event: called.append("count")),
        ],
    )
    upload = created("uploads/img-1/a.png", DAY)
    with pytest.raises(StorageUnavailableError, match="queue full"):
        bus.publish(upload)
    assert called == ["record"]  # called before the failure; the later one never was
    assert bus.recent(10) == [upload]


def test_operators_read_an_images_events_and_the_latest_newest_first(
    sqlite_database: SqliteDatabase,
) -> None:
    bus = SqliteEventBus(sqlite_database)  # no subscribers: the log alone
    for n, image_id in enumerate(["img-1", "img-2", "img-1", "img-1"]):
        bus.publish(stage_done(image_id, DAY + n))
    bus.publish(created("uploads/img-1/a.png", DAY + 9))  # S3's events carry no image id
    assert [event.time for event in bus.events_for("img-1", limit=10)] == [DAY + 3, DAY + 2, DAY]
    assert [event.time for event in bus.events_for("img-1", limit=2)] == [DAY + 3, DAY + 2]
    assert bus.events_for("img-9", limit=10) == []
    assert bus.recent(2) == [created("uploads/img-1/a.png", DAY + 9), stage_done("img-1", DAY + 3)]
    again = SqliteDatabase(sqlite_database.path)  # the log is in the file, not in the process
    assert len(SqliteEventBus(again).recent(10)) == 5
    again.close()


# --- EventBridge: what it refuses -----------------------------------------------------------------


def test_an_entry_eventbridge_refuses_is_an_error_though_the_call_succeeded(
    eventbridge: EventBridgeRoutes,
) -> None:
    """PutEvents answers HTTP 200 with `FailedEntryCount` 1 for an event without a source
    (moto as AWS); retrying cannot help, so the error says it is not transient."""
    eventbridge.subscribe("anything-created", detail_type=CREATED)
    with pytest.raises(StorageUnavailableError) as refused:
        eventbridge.bus().publish(created("uploads/img-1/a.png", DAY, source=""))
    assert refused.value.user_message == UNAVAILABLE
    assert "entry refused: InvalidArgument" in refused.value.detail
    assert not refused.value.transient
    assert eventbridge.received("anything-created") == []


def test_an_unreachable_event_bus_is_a_sentence_and_may_pass() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = events_client(region="us-east-1", timeout_seconds=1.0, endpoint_url=endpoint)
    with pytest.raises(StorageUnavailableError) as caught:
        EventBridgeBus(client).publish(created("uploads/img-1/a.png", DAY))
    assert caught.value.user_message == UNAVAILABLE
    assert caught.value.transient
    assert "eventbridge put events 'Object Created' on default" in caught.value.detail
