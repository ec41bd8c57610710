"""The container with the pipeline on AWS (moto's server, over HTTP): each part is its AWS
adapter, and together they carry an upload from the bucket to COMPLETED. The embedded default
and S3 storage without the pipeline's settings keep their parts on this machine."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from eduportal.adapters.aws.dynamodb_image_records import DynamoImageRecordRepository
from eduportal.adapters.aws.eventbridge_bus import EventBridgeBus
from eduportal.adapters.aws.s3_store import S3ObjectStore
from eduportal.adapters.aws.sns_notifier import SnsNotifier
from eduportal.adapters.aws.sqs_queue import SqsQueue
from eduportal.adapters.aws.step_functions import StepFunctionsStarter
from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.adapters.local.sqlite_events import SqliteEventBus, SqliteNotifier
from eduportal.adapters.local.sqlite_image_records import SqliteImageRecordRepository
from eduportal.adapters.local.sqlite_queue import SqliteQueue
from eduportal.config import load_settings
from eduportal.domain.errors import ConfigurationError
from eduportal.domain.image_records import ImageStatus, Stage
from eduportal.observability.logged_store import LoggedObjectStore
from eduportal.ports import ObjectStore
from eduportal.wiring import Container, build
from tests.support.aws_pipeline import AwsPipeline, execution_inputs
from tests.support.images import gradient, png


def test_every_pipeline_part_is_its_aws_adapter(aws_pipeline: AwsPipeline) -> None:
    container = build(aws_pipeline.settings())
    assert isinstance(container.image_records, DynamoImageRecordRepository)
    assert isinstance(container.queue, SqsQueue)
    assert isinstance(container.events, EventBridgeBus)
    assert isinstance(container.notifier, SnsNotifier)
    assert isinstance(container.step_functions, StepFunctionsStarter)
    archive = adapter(container.archive_store)
    assert isinstance(archive, S3ObjectStore)
    assert archive.bucket == aws_pipeline.archive_bucket
    stored = adapter(container.stored_objects)
    assert isinstance(stored, S3ObjectStore)
    assert stored.bucket == aws_pipeline.upload_bucket
    assert container.object_store is container.stored_objects  # S3 announces uploads itself


def adapter(store: ObjectStore) -> ObjectStore:
    """The adapter under the log every store of the container writes."""
    assert isinstance(store, LoggedObjectStore)
    return store.inner


def test_an_upload_goes_from_the_bucket_to_completed_on_aws_services(
    aws_pipeline: AwsPipeline,
) -> None:
    """The upload service puts into the bucket, S3 tells EventBridge, the default bus's rule
    queues it in SQS; a worker over these parts runs it with DynamoDB, S3, SNS and the
    pipeline's bus."""
    container = build(aws_pipeline.settings(pipeline_retry_seconds=0.01))
    uploaded = container.uploads.upload(
        png(gradient(1500, 1000)), file_name="map.png", content_type="image/png", uploader="t1"
    )
    assert container.queue.depth().waiting == 1

    assert container.worker().run(drain=True).runs == {"COMPLETED": 1}
    item = aws_pipeline.admin.dynamodb.get_item(
        TableName=aws_pipeline.table, Key={"image_id": {"S": uploaded.image_id}}
    )["Item"]
    assert item["status"]["S"] == "COMPLETED"
    record = container.image_records.get(uploaded.image_id)
    assert record.processed_key == f"processed/{uploaded.image_id}.webp"
    processed = aws_pipeline.admin.s3.get_object(
        Bucket=aws_pipeline.upload_bucket, Key=record.processed_key
    )["Body"].read()
    assert Image.open(io.BytesIO(processed)).size == (1024, 683)
    archived = aws_pipeline.admin.s3.get_object(
        Bucket=aws_pipeline.archive_bucket, Key=f"archive/{uploaded.image_id}/map.png"
    )["Body"].read()
    assert archived == png(gradient(1500, 1000))
    assert [event["detail-type"] for event in aws_pipeline.events()] == [
        "Image Processing Started",
        *["Image Stage Completed"] * len(Stage),
        "Image Processing Completed",
    ]
    notifications = aws_pipeline.notifications()
    assert notifications[-1]["attributes"]["status"] == "COMPLETED"
    assert notifications[-1]["message"]["processed_key"] == record.processed_key
    assert container.queue.depth().waiting == 0


def test_the_starter_starts_the_configured_state_machine(aws_pipeline: AwsPipeline) -> None:
    container = build(aws_pipeline.settings())
    job = {"image_id": "1795000000000-0a1b2c3d", "key": "uploads/x/a.png", "run": 1}
    assert container.step_functions.start("1795000000000-0a1b2c3d-1", job)
    assert execution_inputs(aws_pipeline) == {"1795000000000-0a1b2c3d-1": job}


def assert_embedded(container: Container) -> None:
    assert isinstance(container.image_records, SqliteImageRecordRepository)
    assert isinstance(container.queue, SqliteQueue)
    assert isinstance(container.events, SqliteEventBus)
    assert isinstance(container.notifier, SqliteNotifier)
    assert isinstance(adapter(container.archive_store), LocalObjectStore)
    with pytest.raises(ConfigurationError) as caught:
        container.step_functions  # noqa: B018 - the property builds the part
    assert "STATE_MACHINE_ARN" in caught.value.detail


def test_the_embedded_default_keeps_the_pipeline_on_this_machine(tmp_path: Path) -> None:
    assert_embedded(build(load_settings(storage="local", data_dir=tmp_path)))


def test_s3_storage_without_the_pipelines_settings_keeps_the_pipeline_here(
    tmp_path: Path, aws_pipeline: AwsPipeline
) -> None:
    settings = load_settings(
        storage="s3",
        s3_bucket_name=aws_pipeline.upload_bucket,
        aws_endpoint_url=aws_pipeline.moto_url,
        data_dir=tmp_path,
    )
    container = build(settings)
    assert isinstance(adapter(container.stored_objects), S3ObjectStore)
    assert_embedded(container)
    assert not settings.aws_pipeline
    # Uploads to the bucket are announced on the local bus, so the workers here get them.
    record = container.uploads.upload(
        png(gradient(64, 48)), file_name="a.png", content_type="image/png", uploader="t"
    )
    assert container.worker().run(drain=True).runs == {"COMPLETED": 1}
    assert container.uploads.get(record.image_id).status is ImageStatus.COMPLETED
