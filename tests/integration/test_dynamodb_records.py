"""DynamoDB failing: the pipeline's records answer in a sentence, with the detail for the log."""

from __future__ import annotations

import pytest

from eduportal.adapters.aws.clients import dynamodb_client
from eduportal.adapters.aws.dynamodb_image_records import DynamoImageRecordRepository
from eduportal.domain.errors import StorageUnavailableError
from tests.support.network import free_port


def test_an_unreachable_database_is_a_sentence_not_a_traceback() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = dynamodb_client(region="us-east-1", timeout_seconds=2.0, endpoint_url=endpoint)
    with pytest.raises(StorageUnavailableError) as caught:
        DynamoImageRecordRepository(client, "image-records").get("img-1")
    assert caught.value.user_message == (
        "The database is unavailable right now. Please try again later."
    )
    assert "dynamodb get image record img-1" in caught.value.detail


def test_a_missing_table_is_the_database_unavailable(moto_url: str) -> None:
    client = dynamodb_client(region="us-east-1", timeout_seconds=5.0, endpoint_url=moto_url)
    with pytest.raises(StorageUnavailableError) as caught:
        DynamoImageRecordRepository(client, "no-such-table").list(limit=5)
    assert "ResourceNotFoundException" in caught.value.detail
