"""Pipeline requirement 7 and requirements 2.5 and 3.2 on the parsed Terraform: the roles and
the pipeline's resources, checked against eduportal's own lists (`eduportal pipeline asl` and
`eduportal pipeline permissions`), so the infrastructure cannot drift from the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eduportal.adapters.aws.dynamodb_image_records import BY_DAY, BY_KEY, BY_STATUS
from eduportal.config import load_settings
from eduportal.domain.deployment_figures import (
    LAMBDA_ARCHITECTURE,
    LAMBDA_RUNTIME,
    METRICS_NAMESPACE,
)
from eduportal.domain.keys import UPLOADS_PREFIX
from eduportal.pipeline.asl import TEMPLATE_PREFIX, render
from eduportal.pipeline.definition import PipelineDefinition
from eduportal.pipeline.permissions import FUNCTIONS, Resource, document
from eduportal.wiring import build
from tests.support.terraform import ROOT, configuration, environment_names, one

PIPELINE = ROOT / "pipeline"
SERVICE_WIDE: frozenset[str] = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "cloudwatch:PutMetricData",
    }
)
"""Actions AWS authorizes on "*" only (no resource-level permissions); the only grants on "*"."""


def policy(name: str) -> dict[str, Any]:
    return configuration().resources("aws_iam_policy_document", "data")[name]


def statements(name: str) -> list[dict[str, Any]]:
    found = list(policy(name).get("statement", []))
    for dynamic in policy(name).get("dynamic", []):
        found.append(one(dynamic["statement"]["content"]))
    return found


def test_the_state_machine_in_the_configuration_is_eduportal_pipeline_asl(tmp_path: Path) -> None:
    """The file `templatefile` fills is exactly what `eduportal pipeline asl` prints today, for
    the default settings (an operator's EDUPORTAL_PIPELINE_* would change the command's output,
    so the definition is built from defaults, as a fresh deployment's is)."""
    definition: PipelineDefinition = build(load_settings(data_dir=tmp_path)).pipeline_definition
    assert json.loads((PIPELINE / "state_machine.asl.json").read_text()) == render(
        definition, TEMPLATE_PREFIX
    ), "regenerate: eduportal pipeline asl > infrastructure/pipeline/state_machine.asl.json"
    machine = configuration().resource("aws_sfn_state_machine", "pipeline")
    assert "pipeline/state_machine.asl.json" in machine["definition"]
    assert "lambda_arn_prefix" in machine["definition"]


def test_the_permissions_in_the_configuration_are_eduportal_pipeline_permissions() -> None:
    assert json.loads((PIPELINE / "permissions.json").read_text()) == document(), (
        "regenerate: eduportal pipeline permissions > infrastructure/pipeline/permissions.json"
    )


def test_each_function_gets_a_role_and_a_policy_built_from_its_own_grants() -> None:
    # Pipeline requirement 7.1: one role per function, from the pipeline's list.
    functions = configuration().locals["pipeline_functions"]
    assert "local.pipeline_permissions.functions" in functions
    for type_ in ("aws_iam_role", "aws_iam_role_policy", "aws_lambda_function"):
        assert configuration().resource(type_, "pipeline")["for_each"] == (
            "${local.pipeline_functions}"
        )
    content = one(policy("pipeline")["dynamic"])["statement"]
    assert content["for_each"] == "${each.value.statements}"
    granted = one(content["content"])
    assert granted["actions"] == "${statement.value.actions}"
    assert granted["effect"] == "Allow"


def test_every_logical_resource_of_the_list_has_a_specific_arn() -> None:
    """The list names resources logically; each maps to one resource's ARN, never a
    wildcard (the executions' `:*` is the state machine's own executions)."""
    arns = configuration().locals["pipeline_resource_arns"]
    resolved_elsewhere = {Resource.OWN_LOG_GROUP, Resource.STEP_FUNCTIONS}
    used = {grant.resource for function in FUNCTIONS for grant in function.grants}
    assert used - resolved_elsewhere <= {Resource(name) for name in arns}
    for name, arn in arns.items():
        assert (arn != "*" and not arn.endswith(":*")) or name == Resource.EXECUTIONS, name
        assert re.fullmatch(r"\$\{.+\}(:\*)?|arn:\$\{.+", arn), arn
    grant = one(one(policy("pipeline")["dynamic"])["statement"]["content"])
    resources = grant["resources"]
    assert "aws_cloudwatch_log_group.pipeline[each.key].arn" in resources
    assert "local.pipeline_resource_arns[statement.value.resource]}/${statement.value.objects}" in (
        resources
    )


def test_every_object_grant_is_limited_to_a_key_prefix() -> None:
    for function in FUNCTIONS:
        for grant in function.grants:
            if grant.resource in (Resource.UPLOAD_BUCKET, Resource.ARCHIVE_BUCKET):
                assert grant.key_prefix, (function.name, grant.actions)


def test_the_state_machine_may_invoke_its_tasks_and_only_log_and_trace_on_star() -> None:
    # Pipeline requirement 7.2.
    found = statements("state_machine")
    invoke = next(s for s in found if s["actions"] == "${statement.value.actions}")
    assert "aws_lambda_function.pipeline" in invoke["resources"]
    assert "local.entry_functions" in invoke["resources"]
    for statement in found:
        if statement.get("resources") == ["*"]:
            assert set(statement["actions"]) <= SERVICE_WIDE, statement["sid"]


def test_the_app_role_reaches_only_this_stacks_resources() -> None:
    # Requirement 2.5, property 7: read, write, delete, tag and list the image bucket.
    found = {s["sid"]: s for s in statements("app")}
    objects = found["ImagesReadWriteAndTag"]
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging"} <= set(
        objects["actions"]
    )
    assert objects["resources"] == ['${aws_s3_bucket.this["images"].arn}/*']
    assert found["ImagesList"]["actions"] == ["s3:ListBucket"]
    assert found["ImagesList"]["resources"] == ['${aws_s3_bucket.this["images"].arn}']
    assert "foundation-model" in found["GenerateWithBedrock"]["resources"]
    metrics = found["MetricsInOwnNamespaceOnly"]
    assert metrics["actions"] == ["cloudwatch:PutMetricData"]
    condition = one(metrics["condition"])
    assert condition["variable"] == "cloudwatch:namespace"
    assert METRICS_NAMESPACE in condition["values"]
    for sid, statement in found.items():
        if statement["resources"] == ["*"]:
            assert set(statement["actions"]) <= SERVICE_WIDE, sid
        assert all(r != "*" for r in statement["resources"]) or sid == "MetricsInOwnNamespaceOnly"


def test_eventbridge_reaches_the_queue_only_from_the_uploads_rule() -> None:
    # Pipeline requirement 7.3 (a queue policy with aws:SourceArn).
    allow = next(s for s in statements("from_uploads_rule") if s["effect"] == "Allow")
    assert one(allow["principals"])["identifiers"] == ["events.amazonaws.com"]
    condition = one(allow["condition"])
    assert condition["variable"] == "aws:SourceArn"
    assert condition["values"] == ["${aws_cloudwatch_event_rule.uploads.arn}"]


def test_the_uploads_rule_matches_object_created_under_uploads_with_several_targets() -> None:
    rule = configuration().resource("aws_cloudwatch_event_rule", "uploads")["event_pattern"]
    assert '"Object Created"' in rule and f'prefix = "{UPLOADS_PREFIX}"' in rule
    targets = configuration().resources("aws_cloudwatch_event_target")
    assert {t["rule"] for t in targets.values()} == {"${aws_cloudwatch_event_rule.uploads.name}"}
    assert len(targets) >= 2


def test_the_record_writer_may_be_invoked_by_the_uploads_rule_only() -> None:
    permission = configuration().resource("aws_lambda_permission", "record_writer_from_events")
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["source_arn"] == "${aws_cloudwatch_event_rule.uploads.arn}"


def test_the_queue_sends_to_its_dead_letters_after_the_portals_receive_limit() -> None:
    queue = configuration().resource("aws_sqs_queue", "processing")
    assert "maxReceiveCount = var.queue_max_receives" in queue["redrive_policy"]
    default = configuration().variables["queue_max_receives"]["default"]
    assert default == load_settings().queue_max_receives
    for name in ("processing", "dead_letters", "record_writer_dead_letters"):
        assert configuration().resource("aws_sqs_queue", name)["sqs_managed_sse_enabled"] is True
    mapping = configuration().resource("aws_lambda_event_source_mapping", "processing")
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]


def test_the_records_table_is_the_adapters_with_pitr_and_encryption() -> None:
    # Pipeline requirement 5.3: by key, by upload date, by status.
    table = configuration().resource("aws_dynamodb_table", "image_records")
    assert table["hash_key"] == "image_id"
    assert {index["name"] for index in table["global_secondary_index"]} == {
        BY_KEY,
        BY_STATUS,
        BY_DAY,
    }
    assert one(table["point_in_time_recovery"])["enabled"] is True
    assert one(table["server_side_encryption"])["enabled"] is True


def test_the_functions_run_the_runtime_the_package_is_built_for() -> None:
    variables = configuration().variables
    assert variables["lambda_runtime"]["default"] == LAMBDA_RUNTIME
    assert variables["lambda_architecture"]["default"] == LAMBDA_ARCHITECTURE
    function = configuration().resource("aws_lambda_function", "pipeline")
    assert function["handler"] == "${each.value.handler}"
    assert function["source_code_hash"] == "${filebase64sha256(var.lambda_zip_path)}"
    assert variables["lambda_zip_path"]["default"] == "../build/lambda/eduportal-lambda.zip"


def test_the_state_machine_logs_and_traces() -> None:
    machine = configuration().resource("aws_sfn_state_machine", "pipeline")
    assert one(machine["logging_configuration"])["level"] == "ALL"
    assert one(machine["tracing_configuration"])["enabled"] is True


@pytest.mark.parametrize("name", ["EDUPORTAL_STORAGE", "S3_BUCKET_NAME", "STATE_MACHINE_ARN"])
def test_the_functions_get_the_pipelines_environment(name: str) -> None:
    assert name in environment_names("pipeline_environment")
