"""One upload through every pipeline handler, from the record writer to `complete`, in a
fresh interpreter (`lambda_probe.py`) with the functions' environment, against the pipeline's
resources on moto: what the Lambda package's tests run, on this environment or on the
unpacked package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Collection, Sequence
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any, Final

from eduportal.domain.keys import upload_key
from eduportal.pipeline.definition import PIPELINE, Step
from eduportal.services.uploads import new_image_id
from scripts.lambda_zip.distributions import normalized
from tests.support.aws_pipeline import AwsPipeline
from tests.support.images import gradient, png
from tests.support.lambda_events import object_created, sqs_event

PROBE: Final = Path(__file__).with_name("lambda_probe.py")
STEPS: Final = (Step.BEGIN, *(stage.value for stage in PIPELINE.stages), Step.COMPLETE)


def refused_modules(packaged: Collection[str]) -> list[str]:
    """The top-level modules installed here whose distributions are not among `packaged`
    (normalized names): what the Lambda package would not have."""
    return sorted(
        top
        for top, dists in packages_distributions().items()
        if top not in sys.stdlib_module_names
        and {normalized(d) for d in dists}.isdisjoint(packaged)
    )


def _plan(pipeline: AwsPipeline, refuse: Sequence[str]) -> dict[str, Any]:
    """A PNG uploaded (S3 tells EventBridge, whose rule queues it) and the events each
    handler gets for it."""
    data = png(gradient(64, 48))
    image_id = new_image_id(1_795_000_000.0)
    key = upload_key(image_id, "map.png")
    pipeline.upload(key, data)
    sqs = pipeline.admin.sqs
    deadline = time.monotonic() + 30
    messages: list[Any] = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=pipeline.queue_url, MessageSystemAttributeNames=["All"], WaitTimeSeconds=1
        ).get("Messages", [])
    assert messages, "the upload never reached the processing queue"
    queue = sqs.get_queue_attributes(QueueUrl=pipeline.queue_url, AttributeNames=["QueueArn"])
    return {
        "refuse": list(refuse),
        "record_upload": object_created(pipeline.upload_bucket, key, size=len(data), etag="0"),
        "start_executions": sqs_event(messages, queue["Attributes"]["QueueArn"]),
        "job": {"image_id": image_id, "key": key, "run": 1, "correlation_id": "lambda-probe"},
        "steps": list(STEPS),
    }


def run_handlers(
    pipeline: AwsPipeline,
    pythonpath: Sequence[Path],
    *,
    python: str = sys.executable,
    refuse: Sequence[str] = (),
) -> dict[str, Any]:
    """The probe's report, once it took the upload through every handler with only
    `pythonpath` and the standard library importable, `refuse` refused. The environment is
    the functions' on AWS: the pipeline's resources, metrics to their log
    (`EDUPORTAL_METRICS=emf`, which loads aws-embedded-metrics) and offline generators."""
    plan = _plan(pipeline, refuse)
    settings = ("EDUPORTAL_", "S3_", "PYTHONPATH")
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(settings)},
        **pipeline.environment(),
        "EDUPORTAL_METRICS": "emf",
        "EDUPORTAL_GENERATORS": "offline",
        "PYTHONPATH": os.pathsep.join(str(path) for path in pythonpath),
    }
    done = subprocess.run(
        [python, "-S", "-P", str(PROBE)],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (
        "the handlers failed in a fresh interpreter (a ModuleNotFoundError names a module of a "
        "distribution the Lambda package lacks: scripts/lambda_zip/distributions.py):\n"
        + done.stderr[-4000:]
    )
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    assert report["recorded"] == {"image_id": plan["job"]["image_id"], "status": "UPLOADED"}
    assert report["started"] == {"batchItemFailures": []}
    assert sorted(report["job"]["results"]) == sorted(s.value for s in PIPELINE.stages)
    return report
