"""`eduportal infra check`: a deployed stack's settings, read from AWS, against the
requirements; the rules are the service's (`services.deployment_check`), this only presents."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from eduportal.cli.common import EXIT_NEEDS_ATTENTION, Commands, UsageError, print_json, read_input
from eduportal.domain.deployment import READ_PERMISSIONS
from eduportal.domain.deployment_check import CheckResult, all_passed
from eduportal.domain.deployment_figures import SCALE_IN_CPU_PERCENT
from eduportal.domain.deployment_outputs import DeploymentOutputs, outputs_from_terraform
from eduportal.domain.errors import ValidationError
from eduportal.domain.scaling_verdicts import CPU_THRESHOLD_PERCENT
from eduportal.services.storage_usage import QUOTA_ALERT_SHARE

DEFAULT_OUTPUTS: Final = Path(".deploy/outputs.json")
"""Where scripts/deploy.sh writes `terraform output -json`."""


def _cmd_check(args: argparse.Namespace) -> int:
    from eduportal.pipeline.permissions import FUNCTIONS
    from eduportal.services.deployment_check import check_deployment
    from eduportal.wiring import build_deployment_reader

    outputs = _outputs(args.outputs)
    reader = build_deployment_reader(args.settings, region=outputs.region)
    results = check_deployment(
        reader,
        outputs,
        max_receives=args.settings.queue_max_receives,
        pipeline_functions=[function.name for function in FUNCTIONS],
    )
    if args.json:
        print_json([result.as_dict() for result in results])
    else:
        _print_report(results)
    return 0 if all_passed(results) else EXIT_NEEDS_ATTENTION


def _outputs(path: Path) -> DeploymentOutputs:
    if not path.exists():
        raise UsageError(
            f"There is no {path}: scripts/deploy.sh writes it (`terraform output -json`); "
            "give another file with --outputs PATH."
        )
    try:
        return outputs_from_terraform(json.loads(read_input(path)))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{path} is not JSON: write it with `terraform output -json > {path}`."
        ) from exc
    except ValidationError as exc:
        raise UsageError(f"{path}: {exc.user_message}") from exc


def _print_report(results: Sequence[CheckResult]) -> None:
    """A line per setting, under the resource it was read from; then the summary."""
    out = sys.stdout
    resource = None
    for result in results:
        if result.resource != resource:
            resource = result.resource
            out.write(f"{resource}\n")
        line = f"  {'PASS' if result.passed else 'FAIL'}  {result.setting}: {result.found}"
        out.write(line + ("\n" if result.passed else f" (expected: {result.expected})\n"))
    failed = sum(not result.passed for result in results)
    out.write(
        f"{len(results) - failed} of {len(results)} settings pass"
        + (f"; {failed} fail.\n" if failed else ".\n")
    )
    out.flush()


def register(commands: Commands) -> None:
    infra = commands.add_parser(
        "infra",
        help="the deployed AWS stack: check its settings against the requirements",
        description="The AWS stack the Terraform in infrastructure/ provisions.",
    )
    actions = infra.add_subparsers(dest="infra_command", required=True, metavar="ACTION")
    permissions = textwrap.fill(
        ", ".join(READ_PERMISSIONS), width=78, initial_indent="  ", subsequent_indent="  "
    )
    check = actions.add_parser(
        "check",
        help="read the deployed stack and report each required setting as PASS or FAIL",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"""\
Read the stack the Terraform's outputs name (--outputs) from AWS and judge
every setting the requirements fix: the image bucket (versioning, SSE AES256
with the bucket key, public access block, BucketOwnerEnforced, the lifecycle
tiers on lifecycle=auto, noncurrent versions and incomplete uploads cleaned,
a policy that demands TLS and lets only the distribution read, EventBridge
notifications), the archive bucket (versioning, encryption, public access
block), the CloudFront distribution (enabled, an origin access control and no
legacy identity, redirect-to-https, methods, compression, price class, TTLs and
the v query string in the cache key), the alarms (thresholds and periods;
each notifying alerts_topic_arn, but the cache hit rate alarm, in us-east-1,
cdn_alerts_topic_arn; the bucket quota alarm, metric math, at {QUOTA_ALERT_SHARE * 100:g} % of
app_env's EDUPORTAL_STORAGE_QUOTA_BYTES; an errors alarm for each pipeline
function, lambda_errors:FUNCTION in alarm_names; the CPU alarms, above {CPU_THRESHOLD_PERCENT:g} %
and below {SCALE_IN_CPU_PERCENT:g} %, running a scaling policy of the group instead), the Auto
Scaling group (scale-out and scale-in policies on the CPU alarms, IMDSv2 and
encrypted volumes in its launch template), the state machine (logging,
tracing), the queues (redrive after EDUPORTAL_QUEUE_MAX_RECEIVES deliveries,
5 by default; encryption) and the image records table (its key and indexes as the portal
reads them, point-in-time recovery, encryption).

It prints a line per setting: PASS or FAIL, the value found and, on a FAIL,
the value expected; then a summary. A resource that cannot be read (deleted,
a refused read) fails its settings with a sentence saying why.

The region is the outputs' s3_bucket_region (CloudFront and the alarm on its
cache hit rate are read in us-east-1); AWS_REGION is not used. Credentials and
AWS_ENDPOINT_URL come from the environment as for every AWS client. It makes
read-only calls and needs these permissions:
{permissions}

exit status:
  0  every setting passes
  1  the command itself failed (the log line on standard error says why)
  2  bad command-line input: the outputs file missing, not JSON, or lacking
     an output the check reads
  3  a setting fails""",
    )
    check.add_argument(
        "--outputs",
        type=Path,
        default=DEFAULT_OUTPUTS,
        metavar="PATH",
        help=f"the JSON `terraform output -json` wrote (default: {DEFAULT_OUTPUTS}, where "
        "scripts/deploy.sh writes it)",
    )
    check.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of {setting, resource, passed, found, expected} instead",
    )
    check.set_defaults(handler=_cmd_check)
