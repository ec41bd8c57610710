"""What terraform itself can evaluate without a provider (`terraform console` in an empty
folder): the two templates (the dashboard is valid JSON with the widgets requirement 8.5 asks
for; the user data is a bash script that writes the environment and starts the portal) and
the map the pipeline's functions, roles and policies are made from."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from eduportal.observability.metrics import CATALOGUE
from eduportal.pipeline.permissions import FUNCTIONS
from tests.support.terraform import configuration, evaluate, render_template

pytestmark = pytest.mark.skipif(
    shutil.which("terraform") is None,
    reason="terraform is not installed; the templates are rendered where it is",
)


def test_the_dashboard_renders_to_widgets_of_s3_cloudfront_the_portal_and_the_pipeline() -> None:
    body = json.loads(
        render_template(
            "dashboard.json.tftpl",
            {
                "region": "eu-west-1",
                "bucket": "education-portal-images-0a1b2c3d",
                "filter_id": "EntireBucket",
                "storage_classes": ["StandardStorage", "GlacierInstantRetrievalStorage"],
                "distribution_id": "E2QWRUHAPOMQZL",
                "queue": "eduportal-pipeline",
                "dead_letters": "eduportal-pipeline-dead-letters",
                "state_machine": "arn:aws:states:eu-west-1:123456789012:stateMachine:p",
                "functions": ["eduportal-pipeline-validate", "eduportal-pipeline-resize"],
                "asg": "eduportal-app",
            },
        )
    )
    widgets = body["widgets"]
    namespaces = {metric[0] for widget in widgets for metric in widget["properties"]["metrics"]} - {
        "..."
    }
    assert {"AWS/S3", "AWS/CloudFront", "Eduportal", "AWS/SQS", "AWS/States", "AWS/Lambda"} <= (
        namespaces
    )
    ours = {
        metric[1]
        for widget in widgets
        for metric in widget["properties"]["metrics"]
        if metric[0] == "Eduportal"
    }
    assert ours <= {spec.name for spec in CATALOGUE}
    cloudfront = [w for w in widgets if w["properties"]["title"].startswith("CloudFront")]
    assert cloudfront and all(w["properties"]["region"] == "us-east-1" for w in cloudfront)
    for widget in widgets:
        assert {"x", "y", "width", "height", "type", "properties"} <= widget.keys()


def test_the_user_data_is_a_script_that_writes_the_environment_and_starts_the_portal() -> None:
    script = render_template(
        "user_data.sh.tftpl",
        {
            "app_package": "git+https://example.org/eduportal@v0.1.0",
            "mongodb_uri_parameter": "/eduportal/mongodb-uri",
            "app_log_group": "eduportal-app",
            "app_env": {"EDUPORTAL_STORAGE": "s3", "S3_BUCKET_NAME": "bucket-1"},
        },
    )
    assert script.startswith("#!/bin/bash\n")
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    assert "\nEDUPORTAL_STORAGE=s3\nS3_BUCKET_NAME=bucket-1\nMONGODB_URI=$mongodb_uri\n" in script
    assert "'git+https://example.org/eduportal@v0.1.0'" in script
    assert '"log_group_name": "eduportal-app"' in script
    assert "ExecStart=/opt/eduportal/bin/eduportal serve --host 0.0.0.0" in script


def test_the_functions_for_each_is_a_map_terraform_accepts_with_every_grant() -> None:
    """`local.pipeline_functions`, evaluated by terraform on the real permissions.json:
    `for_each` takes only a map, so every function's value must have one type (`tomap`
    fails otherwise), and no statement may be lost on the way."""
    local = configuration().locals
    expression = _unwrap(local["pipeline_functions"]).replace(
        "local.pipeline_permissions", _unwrap(local["pipeline_permissions"])
    )
    functions = evaluate(f"tomap({expression})")
    assert set(functions) == {function.name for function in FUNCTIONS}
    for function in FUNCTIONS:
        statements = functions[function.name]["statements"]
        assert [s["actions"] for s in statements] == [list(g.actions) for g in function.grants]
        assert [s["objects"] for s in statements] == [
            f"{g.key_prefix}*" if g.key_prefix else "" for g in function.grants
        ]


def _unwrap(expression: str) -> str:
    assert expression.startswith("${") and expression.endswith("}")
    return expression[2:-1]
