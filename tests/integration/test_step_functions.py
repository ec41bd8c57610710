"""Starting the pipeline's state machine on Step Functions (moto's server, over HTTP): once per
name, however often the same upload asks; a name Step Functions would refuse is refused before
asking; an unreachable service is a sentence, not a traceback.

moto keeps its executions RUNNING unless told to run them, which is the window in which AWS
answers a repeated start with the same input by returning the running execution.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from eduportal.adapters.aws.clients import stepfunctions_client
from eduportal.adapters.aws.step_functions import UNAVAILABLE, StepFunctionsStarter
from eduportal.domain.errors import StorageUnavailableError
from tests.support.network import free_port
from tests.support.threads import run_together

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

PASS_THROUGH = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
ROLE = "arn:aws:iam::123456789012:role/eduportal-pipeline"
UPLOAD = {"image_id": "img-1", "key": "uploads/img-1/photo.png", "size": 4096}


@pytest.fixture
def client(moto_url: str) -> SFNClient:
    return stepfunctions_client(region="us-east-1", timeout_seconds=10.0, endpoint_url=moto_url)


@pytest.fixture
def state_machine(client: SFNClient) -> Iterator[str]:
    arn = client.create_state_machine(
        name=f"pipeline-{uuid.uuid4().hex[:12]}", definition=PASS_THROUGH, roleArn=ROLE
    )["stateMachineArn"]
    yield arn
    client.delete_state_machine(stateMachineArn=arn)


def executions(client: SFNClient, state_machine: str) -> list[str]:
    return [e["name"] for e in client.list_executions(stateMachineArn=state_machine)["executions"]]


def test_a_name_starts_one_execution_however_often_it_is_started(
    client: SFNClient, state_machine: str
) -> None:
    starter = StepFunctionsStarter(client, state_machine)
    assert starter.start("upload-img-1", UPLOAD)
    assert not starter.start("upload-img-1", UPLOAD)  # AWS: the running one, returned
    assert not starter.start("upload-img-1", {**UPLOAD, "size": 1})  # AWS: refused
    assert executions(client, state_machine) == ["upload-img-1"]
    [execution] = client.list_executions(stateMachineArn=state_machine)["executions"]
    described = client.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == UPLOAD
    assert starter.start("upload-img-2", UPLOAD)
    assert sorted(executions(client, state_machine)) == ["upload-img-1", "upload-img-2"]


def test_of_many_starting_one_name_at_once_exactly_one_starts_it(
    client: SFNClient, state_machine: str
) -> None:
    """With different inputs, each late start is refused by AWS or seen by the check before."""
    starter = StepFunctionsStarter(client, state_machine)
    started: list[int] = []

    def start(n: int) -> None:
        if starter.start("upload-img-1", {**UPLOAD, "attempt": n}):
            started.append(n)

    assert run_together(start, 6) == []
    assert len(started) == 1
    assert executions(client, state_machine) == ["upload-img-1"]


@pytest.mark.parametrize(
    "name",
    ["", "x" * 81, "upload img-1", "uploads/img-1", "img-1:retry", "img-*", "img\x00", "<img>"],
)
def test_a_name_step_functions_would_refuse_is_refused_before_asking(
    client: SFNClient, state_machine: str, name: str
) -> None:
    with pytest.raises(ValueError, match="an execution name"):
        StepFunctionsStarter(client, state_machine).start(name, UPLOAD)
    assert executions(client, state_machine) == []


def test_names_step_functions_accepts_are_used_as_they_are(
    client: SFNClient, state_machine: str
) -> None:
    starter = StepFunctionsStarter(client, state_machine)
    for name in ("x" * 80, "upload-img_1.v2", "Zoë"):
        assert starter.start(name, UPLOAD)
    assert sorted(executions(client, state_machine)) == sorted(["x" * 80, "upload-img_1.v2", "Zoë"])


def test_only_a_state_machines_own_arn_is_taken(client: SFNClient, state_machine: str) -> None:
    for arn in (state_machine + ":live", state_machine.replace(":stateMachine:", ":activity:")):
        with pytest.raises(ValueError, match="not the ARN of a state machine"):
            StepFunctionsStarter(client, arn)


def test_a_missing_state_machine_is_the_pipeline_unavailable(
    client: SFNClient, state_machine: str
) -> None:
    starter = StepFunctionsStarter(client, state_machine + "-gone")
    with pytest.raises(StorageUnavailableError) as caught:
        starter.start("upload-img-1", UPLOAD)
    assert caught.value.user_message == UNAVAILABLE
    assert "DoesNotExist" in caught.value.detail


def test_an_unreachable_step_functions_is_a_sentence_and_may_pass() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = stepfunctions_client(region="us-east-1", timeout_seconds=1.0, endpoint_url=endpoint)
    state_machine = "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline"
    with pytest.raises(StorageUnavailableError) as caught:
        StepFunctionsStarter(client, state_machine).start("upload-img-1", UPLOAD)
    assert caught.value.user_message == UNAVAILABLE
    assert caught.value.transient
    assert "stepfunctions start arn:aws:states:us-east-1:123456789012:execution:pipeline:" in (
        caught.value.detail
    )
