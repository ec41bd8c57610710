"""The Step Functions definition is rendered from the local one and agrees with it; the offline
validator (npm's asl-validator, installed by `make test`) accepts it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eduportal.domain.image_records import Stage
from eduportal.pipeline import asl
from eduportal.pipeline.definition import (
    PIPELINE,
    REJECTED_ERROR,
    SETTLED_ERROR,
    TRANSIENT_ERRORS,
    PipelineDefinition,
    RetryPolicy,
)

VALIDATOR = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "asl-validator"
ARNS = "arn:aws:lambda:eu-west-1:123456789012:function:"


def validate(definition: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert VALIDATOR.exists(), "asl-validator is missing: `make test` installs it (npm ci)"
    path = tmp_path / "pipeline.asl.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(
        [str(VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_rendered_definition_is_valid_states_language(tmp_path: Path) -> None:
    checked = validate(asl.render(PIPELINE, ARNS), tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_validator_refuses_a_broken_definition(tmp_path: Path) -> None:
    """So the test above could fail: a transition to a state that does not exist."""
    broken = asl.render(PIPELINE, ARNS)
    broken["States"]["Validate"]["Next"] = "NoSuchState"
    checked = validate(broken, tmp_path)
    assert checked.returncode == 1
    assert "NoSuchState" in checked.stdout + checked.stderr


def walk(machine: dict[str, Any]) -> list[str]:
    """The states of the happy path, from StartAt to the end."""
    names, state = [], machine["StartAt"]
    while state:
        names.append(state)
        state = machine["States"][state].get("Next")
    return names


def test_it_takes_the_local_path_through_the_same_functions() -> None:
    machine = asl.render(PIPELINE, ARNS)
    assert walk(machine) == [
        "Begin",
        "Validate",
        "ExtractMetadata",
        "Resize",
        "Thumbnails",
        "Archive",
        "RecordCompletion",
        "Completed",
    ]
    resources = {
        name: state["Resource"] for name, state in machine["States"].items() if "Resource" in state
    }
    assert resources["ExtractMetadata"] == ARNS + "eduportal-pipeline-extract-metadata"
    assert sorted(resources.values()) == sorted(
        ARNS + asl.function_name(step) for step in PIPELINE.steps
    )
    for stage in Stage:
        catches = {
            error: catch["Next"]
            for catch in machine["States"][asl.state_name(stage)]["Catch"]
            for error in catch["ErrorEquals"]
        }
        assert catches == {
            SETTLED_ERROR: "Settled",
            REJECTED_ERROR: "RecordRejection",
            "States.ALL": "RecordFailure",
        }
    assert walk({**machine, "StartAt": "RecordFailure"})[-1] == "Failed"
    assert machine["States"]["Failed"]["Type"] == "Fail"


@pytest.mark.parametrize(
    "policy", [RetryPolicy(), RetryPolicy(interval_seconds=1, backoff_rate=3.0, retries=5)]
)
def test_every_step_retries_as_the_runner_does(policy: RetryPolicy) -> None:
    """ASL's MaxAttempts counts retries, not tries: three retries are four tries."""
    machine = asl.render(PipelineDefinition(retry=policy), ARNS)
    tasks = [state for state in machine["States"].values() if state["Type"] == "Task"]
    assert len(tasks) == len(PIPELINE.steps)
    for task in tasks:
        (retrier,) = task["Retry"]
        assert retrier["ErrorEquals"] == list(TRANSIENT_ERRORS)
        assert retrier["MaxAttempts"] == policy.retries == policy.tries - 1
        waits = [
            min(
                retrier["IntervalSeconds"] * retrier["BackoffRate"] ** n, retrier["MaxDelaySeconds"]
            )
            for n in range(retrier["MaxAttempts"])
        ]
        assert tuple(waits) == policy.delays()


def test_a_definition_step_functions_cannot_wait_for_is_refused() -> None:
    with pytest.raises(ValueError, match="whole seconds"):
        asl.render(PipelineDefinition(retry=RetryPolicy(interval_seconds=0.5)), ARNS)
