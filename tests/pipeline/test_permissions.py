"""The least-privilege list is complete, precise and machine-readable: a function for every
step of the state machine and for the two handlers outside it, each naming its entry point;
no wildcard action or resource; object grants limited to a key prefix. That every AWS call a
handler makes is granted is checked where the calls are made, in
tests/integration/test_pipeline_handlers.py."""

from __future__ import annotations

import importlib
import json

from eduportal.pipeline import asl
from eduportal.pipeline.definition import PIPELINE
from eduportal.pipeline.permissions import (
    FUNCTIONS,
    QUEUE_CONSUMER,
    RECORD_WRITER,
    RESOURCES,
    STATE_MACHINE_ROLE,
    Resource,
    document,
)


def test_every_lambda_function_is_listed_with_an_entry_point_that_exists() -> None:
    names = [function.name for function in FUNCTIONS]
    assert names == [
        RECORD_WRITER,
        QUEUE_CONSUMER,
        *(asl.function_name(step) for step in PIPELINE.steps),
    ]
    rendered = asl.render(PIPELINE, "arn:aws:lambda:eu-west-1:123456789012:function:")
    tasks = {
        state["Resource"].rsplit(":", 1)[1]
        for state in rendered["States"].values()
        if state["Type"] == "Task"
    }
    assert tasks == set(names[2:])
    for function in FUNCTIONS:
        module, _, attribute = function.handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), function.handler


def test_no_grant_is_a_wildcard_and_object_grants_keep_to_a_prefix() -> None:
    grants = [grant for function in FUNCTIONS for grant in function.grants]
    grants += STATE_MACHINE_ROLE
    for grant in grants:
        assert grant.actions and grant.why
        for action in grant.actions:
            service, _, name = action.partition(":")
            assert service and name and "*" not in action, action
        assert grant.resource in RESOURCES
        if grant.resource in (Resource.UPLOAD_BUCKET, Resource.ARCHIVE_BUCKET):
            assert (
                grant.key_prefix and grant.key_prefix.endswith("/") and "*" not in grant.key_prefix
            )
        else:
            assert grant.key_prefix is None


def test_the_state_machine_may_invoke_its_step_functions_and_nothing_more() -> None:
    assert [(grant.actions, grant.resource) for grant in STATE_MACHINE_ROLE] == [
        (("lambda:InvokeFunction",), Resource.STEP_FUNCTIONS)
    ]


def test_only_the_failure_step_writes_to_the_dead_letters_and_only_the_consumer_starts() -> None:
    def users(action: str) -> set[str]:
        return {
            function.name
            for function in FUNCTIONS
            for grant in function.grants
            if action in grant.actions
        }

    assert users("sqs:SendMessage") == {asl.function_name("fail")}
    assert users("states:StartExecution") == {QUEUE_CONSUMER}
    assert users("s3:PutObject") == {
        asl.function_name(s) for s in ("resize", "thumbnails", "archive")
    }


def test_the_list_renders_to_json_for_the_infrastructure() -> None:
    rendered = json.loads(json.dumps(document()))
    assert set(rendered) == {"resources", "functions", "roles"}
    assert set(rendered["resources"]) == {resource.value for resource in Resource}
    resize = next(f for f in rendered["functions"] if f["name"] == "eduportal-pipeline-resize")
    assert resize["handler"] == "eduportal.lambdas.resize"
    assert {
        "actions": ["s3:PutObject", "s3:PutObjectTagging"],
        "resource": "upload_bucket",
        "objects": "processed/*",
        "why": "store the processed image",
    } in resize["statements"]
    assert rendered["roles"]["state_machine"]["statements"][0]["resource"] == "step_functions"
