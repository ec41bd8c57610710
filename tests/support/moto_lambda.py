"""The pipeline's own Lambda handlers, invoked by moto's Step Functions executor through moto's
Lambda, so that a test runs the rendered state machine (Retry, Catch, ResultPath) against the
real steps.

Why a private method of moto's is patched: moto 5.2 runs a Lambda function's code only in a
Docker container (`moto.awslambda.models.LambdaFunction._invoke_lambda` starts one), and there
is no Docker here; its Docker-less backend answers every invocation with a canned payload. So
for the test's duration `_invoke_lambda` does what Lambda's Python runtime does instead: import
the function's handler (`module.function`), call it with the event and a context, and answer
its result as JSON, or, when it raised, the runtime's error payload (`errorType` the exception's
class name) flagged as a function error. Everything around that is moto's own: the executor
interprets the ASL, invokes each Task's function over HTTP through moto's Lambda API, reads the
error's name from the payload and applies Retry and Catch.

The handlers run in the moto server's request thread, in this process: they read this
process's environment (which the test sets to what the infrastructure gives the functions),
not the function's configured variables.

moto executes state machines only when told (`execute_state_machine`, a process-wide setting,
switched on here through moto's HTTP config API and off again after), and its executor calls
Lambda at `localhost:$MOTO_PORT`. Executions and state machines live in a separate backend
while it is on: create the state machine after switching it on, delete it before switching off.
"""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import boto3
import httpx
import pytest
from moto.awslambda.models import LambdaFunction

from eduportal.pipeline.permissions import FUNCTIONS
from tests.support.aws_pipeline import REGION
from tests.support.lambda_events import ACCOUNT, LambdaContext, lambda_error

FUNCTION_ARNS: Final = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
_ROLE_TRUST: Final = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _python_runtime(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    """In place of `LambdaFunction._invoke_lambda`: (payload, errored, logs)."""
    assert function.handler, f"{function.function_name} was created without a handler"
    module, _, name = str(function.handler).rpartition(".")
    handler = getattr(importlib.import_module(module), name)
    context = LambdaContext(function.function_name)
    try:
        result = handler(event, context)
    except Exception as exc:  # what the runtime reports, as the runtime does
        return json.dumps(lambda_error(exc, context.aws_request_id)), True, ""
    return json.dumps(result), False, ""


def _execute_state_machines(moto_url: str, on: bool) -> None:
    answer = httpx.post(
        f"{moto_url}/moto-api/config", json={"stepfunctions": {"execute_state_machine": on}}
    )
    answer.raise_for_status()


@contextmanager
def handlers_in_moto(
    moto_server: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """While it lasts, moto executes state machines, and every function of the pipeline
    (`permissions.FUNCTIONS`, each with its handler) exists in moto's Lambda and runs ours."""
    host, port = moto_server
    moto_url = f"http://{host}:{port}"
    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", _python_runtime)
    monkeypatch.setenv("MOTO_PORT", str(port))
    # No type stubs for these two services in the dev extra: typed as Any.
    iam: Any = boto3.client("iam", endpoint_url=moto_url, region_name=REGION)
    functions: Any = boto3.client("lambda", endpoint_url=moto_url, region_name=REGION)
    role = iam.create_role(
        RoleName=f"eduportal-pipeline-{port}", AssumeRolePolicyDocument=_ROLE_TRUST
    )["Role"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("README", "eduportal is installed in the test's own environment")
    for function in FUNCTIONS:
        functions.create_function(
            FunctionName=function.name,
            Runtime="python3.11",
            Role=role["Arn"],
            Handler=function.handler,
            Code={"ZipFile": code.getvalue()},
            Timeout=120,
        )
    _execute_state_machines(moto_url, True)
    try:
        yield
    finally:
        _execute_state_machines(moto_url, False)
        for function in FUNCTIONS:
            functions.delete_function(FunctionName=function.name)
        iam.delete_role(RoleName=role["RoleName"])
