"""Every AWS API call the pipeline's Lambda handlers make, recorded with the function that made
it, and checked against what `eduportal.pipeline.permissions` grants that function.

botocore announces each API call on its client's event system once, before building the
request and whatever its retries (`before-parameter-build.SERVICE.OPERATION`), with the call's
parameters. The recorder wraps `boto3.session.Session.client` for the test's duration, so every
client made meanwhile (the handlers' containers build theirs lazily) announces its calls to
it. Which function made a call is read from the log context the handlers bind (`function`):
calls made by the test itself or by moto's own clients carry none and are not counted.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import boto3
import pytest

from eduportal.observability.logging import bound_context
from eduportal.pipeline.permissions import FUNCTIONS, Grant, Resource
from tests.support.aws_pipeline import AwsPipeline

_IAM_ACTIONS: Final = {
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html: "you must have the
    # s3:GetObject permission"; ListObjectsV2 and HeadBucket ask for s3:ListBucket.
    "s3:HeadObject": ("s3:GetObject",),
    "s3:ListObjectsV2": ("s3:ListBucket",),
    "s3:HeadBucket": ("s3:ListBucket",),
}


@dataclass(frozen=True)
class AwsCall:
    function: str
    service: str
    """IAM's prefix for the service: botocore's signing name (`states` for Step Functions)."""
    operation: str
    params: Mapping[str, Any]

    @property
    def actions(self) -> tuple[str, ...]:
        """The IAM actions the call needs: mostly `service:Operation`; a put that tags the
        object needs s3:PutObjectTagging too."""
        name = f"{self.service}:{self.operation}"
        actions: tuple[str, ...] = _IAM_ACTIONS.get(name, (name,))
        if name == "s3:PutObject" and self.params.get("Tagging"):
            actions = (*actions, "s3:PutObjectTagging")
        return actions

    def resource(self, pipeline: AwsPipeline) -> tuple[Resource | str, str | None]:
        """The logical resource the call is on, and the object key for a bucket's object; an
        unknown resource comes back as its own name, which no grant names."""
        params = self.params
        if self.service == "s3":
            buckets = {
                pipeline.upload_bucket: Resource.UPLOAD_BUCKET,
                pipeline.archive_bucket: Resource.ARCHIVE_BUCKET,
            }
            return buckets.get(params["Bucket"], params["Bucket"]), params.get("Key")
        if self.service == "dynamodb":
            if params.get("IndexName") or params["TableName"] != pipeline.table:
                return f"{params['TableName']}/index/{params.get('IndexName')}", None
            return Resource.RECORDS_TABLE, None
        if self.service == "sqs":
            queues = {
                pipeline.queue_url: Resource.QUEUE,
                pipeline.dlq_url: Resource.DEAD_LETTER_QUEUE,
            }
            return queues.get(params["QueueUrl"], params["QueueUrl"]), None
        if self.service == "sns":
            topic = params["TopicArn"]
            return (Resource.TOPIC if topic == pipeline.topic_arn else topic), None
        if self.service == "events":
            buses = {entry.get("EventBusName", "default") for entry in params["Entries"]}
            return (Resource.EVENT_BUS if buses == {pipeline.bus_name} else str(buses)), None
        if self.service == "states":
            machine = pipeline.state_machine_arn
            executions = machine.replace(":stateMachine:", ":execution:") + ":"
            if params.get("stateMachineArn") == machine:
                return Resource.STATE_MACHINE, None
            if str(params.get("executionArn", "")).startswith(executions):
                return Resource.EXECUTIONS, None
        return str(params), None

    def granted_by(self, grants: tuple[Grant, ...], pipeline: AwsPipeline) -> bool:
        resource, key = self.resource(pipeline)
        return all(
            any(
                action in grant.actions
                and grant.resource == resource
                and (grant.key_prefix is None or (key or "").startswith(grant.key_prefix))
                for grant in grants
            )
            for action in self.actions
        )


class AwsCalls:
    def __init__(self) -> None:
        self.calls: list[AwsCall] = []
        self._lock = threading.Lock()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Record from now until the test ends."""
        make_client = boto3.session.Session.client

        def client(session: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
            made = make_client(session, *args, **kwargs)
            made.meta.events.register("before-parameter-build", self._announced)
            return made

        monkeypatch.setattr(boto3.session.Session, "client", client)

    def _announced(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        function = bound_context().get("function")
        if function is None:
            return
        call = AwsCall(
            function=function,
            service=model.service_model.signing_name,
            operation=model.name,
            params=dict(params),
        )
        with self._lock:
            self.calls.append(call)

    def functions(self) -> set[str]:
        """The functions that made a call."""
        return {call.function for call in self.calls}

    def ungranted(self, pipeline: AwsPipeline) -> list[str]:
        """Each call its function's grants do not cover, described for an assertion message."""
        grants = {function.name: function.grants for function in FUNCTIONS}
        return [
            f"{call.function}: {'+'.join(call.actions)} on {call.resource(pipeline)}"
            for call in self.calls
            if not call.granted_by(grants.get(call.function, ()), pipeline)
        ]
