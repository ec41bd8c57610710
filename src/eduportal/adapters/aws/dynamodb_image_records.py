"""`ImageRecordRepository` on DynamoDB: the pipeline's records on AWS.

One item per image, `image_id` the partition key; the record itself is a JSON string beside the
attributes it is found by (`key`, `status`, `uploaded_day`, `uploaded_at`), so numbers keep
their exact values without DynamoDB's decimals. Three global secondary indexes find records by
key, by status and by upload day, newest first. A move is one `PutItem` with a condition on the
stored status (`status IN (...)`): DynamoDB applies it or not, so a late worker or a stale copy
cannot move a record backwards. Infrastructure as code creates the table (issue 10);
`create_table` here builds the same table, for tests and local trials.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from eduportal.adapters.aws.service_errors import unavailable_on_failure
from eduportal.domain import records_table
from eduportal.domain.image_records import (
    DayRange,
    ImageRecord,
    ImageStatus,
    moved_meanwhile,
    no_such_image,
    sources_of,
    upload_day,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_KEY: Final = records_table.BY_KEY.name
BY_STATUS: Final = records_table.BY_STATUS.name
BY_DAY: Final = records_table.BY_DAY.name
_UNAVAILABLE: Final = "The database is unavailable right now. Please try again later."


def _mapped_errors(operation: str) -> AbstractContextManager[None]:
    """Any failure but a refused condition (handled where it is expected) is the database
    being unavailable, with what failed in the detail for the log."""
    return unavailable_on_failure(_UNAVAILABLE, f"dynamodb {operation}")


def _refused(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _item(record: ImageRecord) -> dict[str, Any]:
    return {
        "image_id": {"S": record.image_id},
        "key": {"S": record.key},
        "status": {"S": record.status.value},
        "uploaded_day": {"S": upload_day(record.uploaded_at)},
        "uploaded_at": {"N": repr(record.uploaded_at)},
        "document": {"S": json.dumps(record.to_document(), separators=(",", ":"))},
    }


def _record(item: dict[str, Any]) -> ImageRecord:
    return ImageRecord.from_document(json.loads(item["document"]["S"]))


class DynamoImageRecordRepository:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def add(self, record: ImageRecord) -> bool:
        with _mapped_errors(f"add image record {record.image_id}"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=_item(record),
                    ConditionExpression="attribute_not_exists(image_id)",
                )
            except ClientError as exc:
                if _refused(exc):
                    return False
                raise
        return True

    def get(self, image_id: str) -> ImageRecord:
        with _mapped_errors(f"get image record {image_id}"):
            found = self._client.get_item(
                TableName=self._table, Key={"image_id": {"S": image_id}}, ConsistentRead=True
            )
        if "Item" not in found:
            raise no_such_image(image_id)
        return _record(found["Item"])

    def find_by_key(self, key: str) -> ImageRecord | None:
        with _mapped_errors(f"find image record of {key}"):
            found = self._client.query(
                TableName=self._table,
                IndexName=BY_KEY,
                KeyConditionExpression="#key = :key",
                ExpressionAttributeNames={"#key": "key"},
                ExpressionAttributeValues={":key": {"S": key}},
            )
        items = found.get("Items", [])
        return _record(items[0]) if items else None

    def move(self, record: ImageRecord) -> None:
        sources = sorted(status.value for status in sources_of(record.status))
        names = {f":s{n}": {"S": status} for n, status in enumerate(sources)}
        with _mapped_errors(f"move image record {record.image_id}"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=_item(record),
                    ConditionExpression=f"#status IN ({', '.join(names)})",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=names,
                )
                return
            except ClientError as exc:
                if not _refused(exc):
                    raise
        stored = self.get(record.image_id)  # NotFoundError when there is none
        raise moved_meanwhile(record.image_id, stored.status, record.status)

    def list(
        self,
        *,
        status: ImageStatus | None = None,
        days: DayRange | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[ImageRecord]:
        """A query on an index, newest first: by status (within the days' bounds on its sort
        key), else by day, one day's partition after another; without either, a scan sorted
        here: an operator's view of a small table. Pages are read from the start, so deep
        offsets cost reads in proportion."""
        wanted = offset + limit
        with _mapped_errors("list image records"):
            if status is not None:
                items = _query(self._client, _by_status(self._table, status, days), wanted)
            elif days is not None:
                items = []
                for day in days.newest_first():
                    items += _query(self._client, _by_day(self._table, day), wanted - len(items))
                    if len(items) >= wanted:
                        break
            else:
                items = sorted(
                    _scan(self._client, self._table),
                    key=lambda item: (float(item["uploaded_at"]["N"]), item["image_id"]["S"]),
                    reverse=True,
                )
        return [_record(item) for item in items[offset:wanted]]


def _by_status(table: str, status: ImageStatus, days: DayRange | None) -> dict[str, Any]:
    arguments = _index_query(table, BY_STATUS, "status", status.value)
    if days is not None:
        start, end = days.bounds()
        arguments["KeyConditionExpression"] += " AND uploaded_at BETWEEN :start AND :end"
        arguments["ExpressionAttributeValues"] |= {
            ":start": {"N": repr(start)},
            ":end": {"N": repr(end)},
        }
    return arguments


def _by_day(table: str, day: str) -> dict[str, Any]:
    return _index_query(table, BY_DAY, "uploaded_day", day)


def _index_query(table: str, index: str, attribute: str, value: str) -> dict[str, Any]:
    return {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#part = :part",
        "ExpressionAttributeNames": {"#part": attribute},
        "ExpressionAttributeValues": {":part": {"S": value}},
        "ScanIndexForward": False,
    }


def _query(client: DynamoDBClient, arguments: dict[str, Any], wanted: int) -> list[Any]:
    items: list[Any] = []
    while len(items) < wanted:
        page = client.query(**arguments)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return items


def _scan(client: DynamoDBClient, table: str) -> list[Any]:
    items: list[Any] = []
    arguments: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**arguments)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def create_table(client: DynamoDBClient, table: str) -> None:
    """The table as the infrastructure provisions it (`domain.records_table`): on-demand,
    three indexes."""
    client.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in records_table.ATTRIBUTE_TYPES.items()
        ],
        KeySchema=[{"AttributeName": records_table.PARTITION_KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": name, "KeyType": kind} for name, kind in index.key],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in records_table.INDEXES
        ],
    )
