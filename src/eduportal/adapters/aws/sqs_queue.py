"""`Queue` on Amazon SQS: a standard queue with a redrive policy and its dead-letter queue.

SQS keeps the leases (the visibility timeout), counts the receives, and moves a message that was
received `maxReceiveCount` times to the dead-letter queue by itself, so most of the port maps
straight onto the API. Where SQS does not give what the port promises, this adapter makes up
for it:

- A late ack. SQS accepts a superseded receipt handle: "the request succeeds, but the message
  might not be deleted", its documentation says, and moto even deletes the message the new holder
  is working on. So each receipt handed out here carries the end of its lease as this process
  reckons it, counted from before the request went out and so never later than SQS's own; ack,
  release and extend refuse a receipt whose lease has run out without asking SQS, and also when
  SQS itself calls the handle invalid or expired. A bare SQS receipt handle (from a Lambda event)
  carries no lease end and is left to SQS's judgement.
- Whole seconds. Visibility timeouts, delays and waits are whole seconds in SQS; fractions are
  rounded up, so a lease is never shorter than asked.
- No browsing. The dead-letter queue can only be received from: listing it receives all of it
  (up to `_LISTING_LIMIT` messages) with a `_LISTING_LEASE_SECONDS` visibility timeout, then
  makes every message visible again. Meanwhile another listing or a redrive does not see them.
- No order. A standard queue keeps none: dead letters are sorted here by the time they were sent
  to the dead-letter queue (SQS keeps the original send time of a message it moved itself).
- Approximate counts. `depth` reports SQS's approximate numbers, which lag by up to a minute.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from eduportal.adapters.aws.clients import SQS_LONGEST_POLL_SECONDS
from eduportal.domain.errors import ConfigurationError, StorageUnavailableError
from eduportal.domain.messages import encoded_body
from eduportal.ports import DeadLetter, QueueDepth, QueueMessage

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType
    from mypy_boto3_sqs.type_defs import MessageTypeDef

_UNAVAILABLE: Final = "The processing queue is unavailable right now. Please try again later."
_REASON: Final = "reason"
_RECEIVE_COUNT: Final = "receive_count"
_LISTING_LEASE_SECONDS: Final = 5
"""How long a listing hides the dead letters it has seen: long enough for a listing of
`_LISTING_LIMIT` messages (50 receives and a last one-second long poll), short enough that a
listing cut off halfway hides nothing for long. Should it run out mid-listing, messages come
round again and are counted once."""
_LISTING_LIMIT: Final = 500
_RETENTION_SECONDS: Final = 14 * 24 * 3600
"""The dead letters' retention, SQS's maximum: a moved message keeps its first send time, so
the dead-letter queue must keep messages longer than the main queue does."""
_REFUSED_RECEIPT: Final = frozenset(
    {"ReceiptHandleIsInvalid", "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"}
)


@contextmanager
def _mapped_errors(operation: str) -> Iterator[None]:
    """Any failure but a refused receipt (handled where it is expected) is the queue being
    unavailable, with what failed in the detail for the log."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise StorageUnavailableError(_UNAVAILABLE, detail=f"sqs {operation}: {code}") from exc
    except BotoCoreError as exc:
        raise StorageUnavailableError(_UNAVAILABLE, detail=f"sqs {operation}: {exc}") from exc


def _refused(exc: ClientError) -> bool:
    """SQS's ways of saying a receipt handle is not (or no longer) this delivery's: unknown,
    expired ("Value ... for parameter ReceiptHandle is invalid. Reason: The receipt handle has
    expired."), or its message not in flight."""
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    return code in _REFUSED_RECEIPT or (
        code == "InvalidParameterValue" and "ReceiptHandle" in error.get("Message", "")
    )


def _whole_seconds(seconds: float) -> int:
    return max(math.ceil(seconds), 0)


def _receipt(lease_end: float, handle: str) -> str:
    return f"{lease_end!r} {handle}"


def _parts(receipt: str) -> tuple[float | None, str]:
    """The lease end and SQS receipt handle of a receipt made by `_receipt`; a bare handle
    (SQS's contain no spaces) has no known lease end."""
    lease_end, _, handle = receipt.partition(" ")
    return (float(lease_end), handle) if handle else (None, receipt)


class SqsQueue:
    backend = "sqs"

    def __init__(
        self,
        client: SQSClient,
        queue_url: str,
        dead_letter_url: str,
        *,
        visibility_timeout: float | None = None,
    ) -> None:
        """`visibility_timeout` None: the queue's own, read from SQS when first needed."""
        self._client = client
        self._url = queue_url
        self._dead_letter_url = dead_letter_url
        self._lease_seconds = (
            None if visibility_timeout is None else _whole_seconds(visibility_timeout)
        )
        self._settings: Mapping[QueueAttributeNameType, str] | None = None
        # Receipts whose lease moved after it was handed out: extended, or ended by an ack or a
        # release (0.0). An entry is dropped once its end and the receipt's own have both
        # passed: from then on the receipt alone gives the same answer.
        self._moved_leases: dict[str, float] = {}
        self._lock = threading.Lock()

    def send(self, body: Mapping[str, Any], *, delay_seconds: float = 0.0) -> str:
        text = encoded_body(body)
        with _mapped_errors("send message"):
            return self._client.send_message(
                QueueUrl=self._url, MessageBody=text, DelaySeconds=_whole_seconds(delay_seconds)
            )["MessageId"]

    def receive(self, *, max_messages: int = 1, wait_seconds: float = 0.0) -> list[QueueMessage]:
        """At most 10 messages, SQS's limit per request. A lease is counted from before the
        request, which is never later than SQS's start; but a message that arrived during a
        long poll was taken when it arrived, so when the request took more than a tenth of the
        lease the leases are started again at a known time rather than counted short."""
        lease = self._lease()
        asked_at = time.time()
        with _mapped_errors("receive messages"):
            messages = self._client.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(max(max_messages, 1), 10),
                WaitTimeSeconds=min(_whole_seconds(wait_seconds), SQS_LONGEST_POLL_SECONDS),
                VisibilityTimeout=lease,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            ).get("Messages", [])
        if messages and time.time() - asked_at > lease / 10:
            asked_at = time.time()
            messages = self._set_visibility(self._url, messages, lease)
        return [
            QueueMessage(
                message_id=message["MessageId"],
                body=json.loads(message["Body"]),
                receipt=_receipt(asked_at + lease, message["ReceiptHandle"]),
                receive_count=int(message["Attributes"]["ApproximateReceiveCount"]),
            )
            for message in messages
        ]

    def ack(self, message: QueueMessage) -> bool:
        handle = self._held(message.receipt)
        if handle is None:
            return False
        with _mapped_errors(f"ack message {message.message_id}"):
            try:
                self._client.delete_message(QueueUrl=self._url, ReceiptHandle=handle)
            except ClientError as exc:
                if _refused(exc):
                    return False
                raise
        self._move_lease(message.receipt, 0.0)
        return True

    def release(self, message: QueueMessage, *, delay_seconds: float = 0.0) -> bool:
        """The receipt is spent: whatever the delay, this delivery can no longer ack."""
        return self._change_lease(message, delay_seconds, keep=False)

    def extend(self, message: QueueMessage, seconds: float) -> bool:
        return self._change_lease(message, seconds, keep=True)

    def _change_lease(self, message: QueueMessage, seconds: float, *, keep: bool) -> bool:
        handle = self._held(message.receipt)
        if handle is None:
            return False
        timeout = _whole_seconds(seconds)
        asked_at = time.time()
        with _mapped_errors(f"change the lease of message {message.message_id}"):
            try:
                self._client.change_message_visibility(
                    QueueUrl=self._url, ReceiptHandle=handle, VisibilityTimeout=timeout
                )
            except ClientError as exc:
                if _refused(exc):
                    return False
                raise
        self._move_lease(message.receipt, asked_at + timeout if keep else 0.0)
        return True

    def _held(self, receipt: str) -> str | None:
        """The SQS receipt handle, unless this process knows the lease has run out."""
        lease_end, handle = _parts(receipt)
        with self._lock:
            lease_end = self._moved_leases.get(receipt, lease_end)
        return None if lease_end is not None and lease_end <= time.time() else handle

    def _move_lease(self, receipt: str, lease_end: float) -> None:
        now = time.time()
        with self._lock:
            self._moved_leases[receipt] = lease_end
            for gone in [
                moved
                for moved, end in self._moved_leases.items()
                if max(end, _parts(moved)[0] or 0.0) <= now
            ]:
                del self._moved_leases[gone]

    def dead_letter(self, body: Mapping[str, Any], *, reason: str, receive_count: int) -> str:
        text = encoded_body(body)
        with _mapped_errors("send a dead letter"):
            return self._client.send_message(
                QueueUrl=self._dead_letter_url,
                MessageBody=text,
                MessageAttributes={
                    _REASON: {"DataType": "String", "StringValue": reason},
                    _RECEIVE_COUNT: {"DataType": "Number", "StringValue": str(receive_count)},
                },
            )["MessageId"]

    def dead_letters(self, *, limit: int, offset: int = 0) -> list[DeadLetter]:
        held = self._hold_dead_letters()
        letters = sorted(
            (self._as_dead_letter(message) for message in held.values()),
            key=lambda letter: (letter.dead_at, letter.message_id),
        )
        self._set_visibility(self._dead_letter_url, held.values(), 0)
        return letters[offset : offset + limit]

    def redrive(self, message_id: str) -> bool:
        """Sent to the queue first, then deleted from the dead letters: cut off in between, the
        message is in both (queued twice at worst, never lost)."""
        held = self._hold_dead_letters(until_found=message_id)
        found = held.pop(message_id, None)
        if found is not None:
            with _mapped_errors(f"redrive message {message_id}"):
                self._client.send_message(QueueUrl=self._url, MessageBody=found["Body"])
                self._client.delete_message(
                    QueueUrl=self._dead_letter_url, ReceiptHandle=found["ReceiptHandle"]
                )
        self._set_visibility(self._dead_letter_url, held.values(), 0)
        return found is not None

    def _hold_dead_letters(self, until_found: str | None = None) -> dict[str, MessageTypeDef]:
        """Receive the dead letters until SQS answers none (a one-second long poll, which asks
        every SQS server: a short poll samples some and may miss a message), or `until_found`
        turns up. Later copies of a message replace earlier ones: their handle is the valid one."""
        held: dict[str, MessageTypeDef] = {}
        with _mapped_errors("list dead letters"):
            for _ in range(_LISTING_LIMIT // 10):
                messages = self._client.receive_message(
                    QueueUrl=self._dead_letter_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    VisibilityTimeout=_LISTING_LEASE_SECONDS,
                    MessageSystemAttributeNames=["SentTimestamp"],
                    MessageAttributeNames=[_REASON, _RECEIVE_COUNT],
                ).get("Messages", [])
                held.update((message["MessageId"], message) for message in messages)
                if not messages or until_found in held:
                    break
        return held

    def _set_visibility(
        self, queue_url: str, messages: Iterable[MessageTypeDef], seconds: int
    ) -> list[MessageTypeDef]:
        """Change the visibility of `messages`, ten per request; returns those changed (a
        message whose handle SQS refuses is held by someone else now)."""
        pending = list(messages)
        changed: list[MessageTypeDef] = []
        with _mapped_errors("change the visibility of messages"):
            for start in range(0, len(pending), 10):
                batch = pending[start : start + 10]
                failed = {
                    failure["Id"]
                    for failure in self._client.change_message_visibility_batch(
                        QueueUrl=queue_url,
                        Entries=[
                            {
                                "Id": str(n),
                                "ReceiptHandle": message["ReceiptHandle"],
                                "VisibilityTimeout": seconds,
                            }
                            for n, message in enumerate(batch)
                        ],
                    ).get("Failed", [])
                }
                changed += [message for n, message in enumerate(batch) if str(n) not in failed]
        return changed

    def _as_dead_letter(self, message: MessageTypeDef) -> DeadLetter:
        attributes = message.get("MessageAttributes", {})
        if _REASON in attributes:
            reason = attributes[_REASON]["StringValue"]
            receive_count = int(attributes[_RECEIVE_COUNT]["StringValue"])
        else:  # moved by the redrive policy, which says nothing but the count
            receive_count = self._max_receives()
            reason = f"received {receive_count} times without being acknowledged"
        return DeadLetter(
            message_id=message["MessageId"],
            body=json.loads(message["Body"]),
            reason=reason,
            receive_count=receive_count,
            dead_at=int(message["Attributes"]["SentTimestamp"]) / 1000,
        )

    def depth(self) -> QueueDepth:
        main, dead = (self._counts(url) for url in (self._url, self._dead_letter_url))
        return QueueDepth(
            waiting=main["ApproximateNumberOfMessages"]
            + main["ApproximateNumberOfMessagesDelayed"],
            in_flight=main["ApproximateNumberOfMessagesNotVisible"],
            dead=sum(dead.values()),
        )

    def _counts(self, queue_url: str) -> dict[str, int]:
        with _mapped_errors("count messages"):
            attributes = self._client.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesDelayed",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        return {name: int(value) for name, value in attributes.items()}

    def _lease(self) -> int:
        if self._lease_seconds is None:
            self._lease_seconds = int(self._queue_settings()["VisibilityTimeout"])
        return self._lease_seconds

    def _max_receives(self) -> int:
        try:
            return int(json.loads(self._queue_settings()["RedrivePolicy"])["maxReceiveCount"])
        except (KeyError, ValueError) as exc:
            raise ConfigurationError(
                detail=f"sqs queue {self._url} has no redrive policy with a maxReceiveCount: {exc}"
            ) from exc

    def _queue_settings(self) -> Mapping[QueueAttributeNameType, str]:
        if self._settings is None:
            with _mapped_errors("read the queue's settings"):
                self._settings = self._client.get_queue_attributes(
                    QueueUrl=self._url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
                )["Attributes"]
        return self._settings


def create_queues(
    client: SQSClient, name: str, *, max_receives: int, visibility_timeout: float
) -> tuple[str, str]:
    """The queue and its dead-letter queue (`{name}-dead-letters`) as the infrastructure
    provisions them, for tests and local trials; returns their URLs, the queue's first."""
    dead_letter_url = client.create_queue(
        QueueName=f"{name}-dead-letters",
        Attributes={"MessageRetentionPeriod": str(_RETENTION_SECONDS)},
    )["QueueUrl"]
    dead_letter_arn = client.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    queue_url = client.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(_whole_seconds(visibility_timeout)),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receives}
            ),
        },
    )["QueueUrl"]
    return queue_url, dead_letter_url
