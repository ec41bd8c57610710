"""The pipeline's AWS resources on moto's server, provisioned as the infrastructure does, with
queues subscribed to read back what the pipeline published.

Every test gets resources of its own (names with a random suffix), so tests sharing the
session's one moto server never see each other's objects, records, messages or events. S3
sends "Object Created" to the account's default bus only, as on AWS, so the rule that routes
uploads to the processing queue lives there, filtered on this test's bucket.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import boto3

from eduportal.adapters.aws.dynamodb_image_records import create_table
from eduportal.adapters.aws.sqs_queue import create_queues
from eduportal.config import Settings, load_settings
from eduportal.domain.keys import UPLOADS_PREFIX
from eduportal.pipeline.steps import SOURCE
from tests.support.sqs_queues import ReadableQueue, new_queue

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

REGION: Final = "us-east-1"
ROLE: Final = "arn:aws:iam::123456789012:role/eduportal-pipeline"
WAITING: Final = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
"""A state machine whose executions moto keeps RUNNING (it executes none unless told to):
what the queue consumer's tests start, to see which executions were started with what."""


@dataclass
class Admin:
    """Plain clients straight to moto, for arranging and inspecting."""

    s3: S3Client
    dynamodb: DynamoDBClient
    sqs: SQSClient
    sns: SNSClient
    events: EventBridgeClient
    sfn: SFNClient

    @classmethod
    def of(cls, moto_url: str) -> Admin:
        def client(service: str) -> Any:
            return boto3.client(service, endpoint_url=moto_url, region_name=REGION)  # type: ignore[call-overload]

        return cls(
            client("s3"),
            client("dynamodb"),
            client("sqs"),
            client("sns"),
            client("events"),
            client("stepfunctions"),
        )


@dataclass
class AwsPipeline:
    moto_url: str
    admin: Admin
    upload_bucket: str
    archive_bucket: str
    table: str
    queue_url: str
    dlq_url: str
    topic_arn: str
    bus_name: str
    state_machine_arn: str
    notified: ReadableQueue
    """Subscribed to the topic: every notification, in SNS's envelope."""
    published: ReadableQueue
    """Targeted by a rule on the bus: every event the pipeline published."""
    upload_rule: str
    """On the default bus: "Object Created" under uploads/ in this bucket, to the queue."""

    def environment(self) -> dict[str, str]:
        """The variables a Lambda function of the pipeline gets from the infrastructure."""
        return {
            "EDUPORTAL_STORAGE": "s3",
            "S3_BUCKET_NAME": self.upload_bucket,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.moto_url,
            "EDUPORTAL_S3_TIMEOUT_SECONDS": "10",
            "EDUPORTAL_DB_TIMEOUT_SECONDS": "10",
            "IMAGE_RECORDS_TABLE": self.table,
            "PIPELINE_QUEUE_URL": self.queue_url,
            "PIPELINE_DLQ_URL": self.dlq_url,
            "PIPELINE_TOPIC_ARN": self.topic_arn,
            "EVENT_BUS_NAME": self.bus_name,
            "STATE_MACHINE_ARN": self.state_machine_arn,
            "ARCHIVE_BUCKET_NAME": self.archive_bucket,
        }

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {name.lower(): value for name, value in self.environment().items()}
        return load_settings(**{**values, "generators": "offline", **overrides})

    def upload(self, key: str, data: bytes, content_type: str = "image/png") -> None:
        """A PUT under uploads/ as a client of the bucket makes it; S3 tells EventBridge."""
        self.admin.s3.put_object(
            Bucket=self.upload_bucket, Key=key, Body=data, ContentType=content_type
        )

    def events(self) -> list[dict[str, Any]]:
        """The pipeline's events published since the last call, their envelopes oldest first."""
        return self.published.drain()

    def notifications(self) -> list[dict[str, Any]]:
        """The notifications sent since the last call: subject, message and attributes."""
        return [
            {
                "subject": envelope.get("Subject"),
                "message": json.loads(envelope["Message"]),
                "attributes": {
                    name: attribute["Value"]
                    for name, attribute in envelope.get("MessageAttributes", {}).items()
                },
            }
            for envelope in self.notified.drain()
        ]

    def close(self) -> None:
        admin = self.admin
        admin.events.remove_targets(Rule=self.upload_rule, Ids=["processing"])
        admin.events.delete_rule(Name=self.upload_rule)
        admin.events.remove_targets(Rule="published", EventBusName=self.bus_name, Ids=["read"])
        admin.events.delete_rule(Name="published", EventBusName=self.bus_name)
        admin.events.delete_event_bus(Name=self.bus_name)
        admin.sns.delete_topic(TopicArn=self.topic_arn)
        for url in (self.queue_url, self.dlq_url):
            admin.sqs.delete_queue(QueueUrl=url)
        self.notified.delete()
        self.published.delete()
        admin.dynamodb.delete_table(TableName=self.table)
        admin.sfn.delete_state_machine(stateMachineArn=self.state_machine_arn)


def provision(
    moto_url: str,
    *,
    definition: str = WAITING,
    max_receives: int = 3,
    visibility_seconds: float = 30,
) -> AwsPipeline:
    """Everything the pipeline's Lambda functions use, on moto: the upload bucket (announcing
    uploads to EventBridge), the archive bucket, the records table, the processing queue with
    its dead-letter queue, fed by a rule on the default bus, the topic, the pipeline's own bus
    and the state machine (`definition`)."""
    admin = Admin.of(moto_url)
    suffix = uuid.uuid4().hex[:12]
    upload_bucket, archive_bucket = f"uploads-{suffix}", f"archive-{suffix}"
    for bucket in (upload_bucket, archive_bucket):
        admin.s3.create_bucket(Bucket=bucket)
    admin.s3.put_bucket_notification_configuration(
        Bucket=upload_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    table = f"image-records-{suffix}"
    create_table(admin.dynamodb, table)
    queue_url, dlq_url = create_queues(
        admin.sqs,
        f"pipeline-{suffix}",
        max_receives=max_receives,
        visibility_timeout=visibility_seconds,
    )
    upload_rule = f"uploads-{suffix}"
    admin.events.put_rule(
        Name=upload_rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [upload_bucket]},
                    "object": {"key": [{"prefix": UPLOADS_PREFIX}]},
                },
            }
        ),
    )
    queue_arn = admin.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    admin.events.put_targets(
        Rule=upload_rule,
        Targets=[{"Id": "processing", "Arn": queue_arn["Attributes"]["QueueArn"]}],
    )
    topic_arn = admin.sns.create_topic(Name=f"pipeline-{suffix}")["TopicArn"]
    notified = new_queue(moto_url, "notified")
    admin.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=notified.arn)
    bus_name = f"pipeline-{suffix}"
    admin.events.create_event_bus(Name=bus_name)
    published = new_queue(moto_url, "published")
    admin.events.put_rule(
        Name="published", EventBusName=bus_name, EventPattern=json.dumps({"source": [SOURCE]})
    )
    admin.events.put_targets(
        Rule="published", EventBusName=bus_name, Targets=[{"Id": "read", "Arn": published.arn}]
    )
    state_machine_arn = admin.sfn.create_state_machine(
        name=f"pipeline-{suffix}", definition=definition, roleArn=ROLE
    )["stateMachineArn"]
    return AwsPipeline(
        moto_url=moto_url,
        admin=admin,
        upload_bucket=upload_bucket,
        archive_bucket=archive_bucket,
        table=table,
        queue_url=queue_url,
        dlq_url=dlq_url,
        topic_arn=topic_arn,
        bus_name=bus_name,
        state_machine_arn=state_machine_arn,
        notified=notified,
        published=published,
        upload_rule=upload_rule,
    )


def execution_inputs(pipeline: AwsPipeline) -> dict[str, Mapping[str, Any]]:
    """The executions started on the pipeline's state machine: name to input."""
    sfn = pipeline.admin.sfn
    return {
        execution["name"]: json.loads(
            sfn.describe_execution(executionArn=execution["executionArn"])["input"]
        )
        for execution in sfn.list_executions(stateMachineArn=pipeline.state_machine_arn)[
            "executions"
        ]
    }
