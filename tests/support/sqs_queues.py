"""SQS queues on moto's server, subscribed to EventBridge rules and SNS topics by the contract
tests, to read back what those services delivered over the wire."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@dataclass(frozen=True)
class ReadableQueue:
    client: SQSClient
    url: str
    arn: str

    def drain(self) -> list[Any]:
        """The bodies of every message waiting, parsed, oldest first as moto keeps them.

        moto delivers to the queue within the publishing call, so what a publish delivered is
        here when it returns: no waiting, and an empty answer means nothing was delivered.
        """
        bodies: list[Any] = []
        while messages := self.client.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10
        ).get("Messages", []):
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.client.delete_message(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"]
                )
        return bodies

    def delete(self) -> None:
        self.client.delete_queue(QueueUrl=self.url)


def new_queue(moto_url: str, purpose: str) -> ReadableQueue:
    """A fresh queue named after `purpose`, unique within the session's one moto server."""
    client: SQSClient = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    url = client.create_queue(QueueName=f"{purpose}-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return ReadableQueue(client, url, arn)
