"""A deployment as its Terraform describes it: the outputs `eduportal infra check` reads.

`scripts/deploy.sh` writes `terraform output -json`, a document of `{"NAME": {"sensitive": ...,
"type": ..., "value": ...}}`. The names read here are the contract between the infrastructure
and the check; every one must be there, so a deployment half provisioned (or an outputs file
from an older Terraform) is refused as a whole with the names it lacks, rather than checked in
part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from eduportal.domain.errors import ValidationError

ALARM_KEYS: Final = (
    "upload_failure_rate",
    "bucket_quota",
    "cache_hit_rate",
    "s3_4xx",
    "dead_letters",
    "cpu_high",
    "cpu_low",
)
"""The keys of the `alarm_names` output naming one CloudWatch alarm each; the functions' alarms
come besides, one key each (`LAMBDA_ERRORS_KEY`)."""
LAMBDA_ERRORS_KEY: Final = "lambda_errors:"
"""`lambda_errors:FUNCTION` in `alarm_names` names the alarm on the errors of the pipeline's
Lambda function FUNCTION: one alarm per function, as an alarm's metric math reads at most ten
metrics and the pipeline has more functions than that."""

OUTPUT_NAMES: Final = {
    "region": "s3_bucket_region",
    "image_bucket": "s3_bucket_name",
    "archive_bucket": "archive_bucket_name",
    "distribution_id": "cloudfront_distribution_id",
    "alerts_topic_arn": "alerts_topic_arn",
    "cdn_alerts_topic_arn": "cdn_alerts_topic_arn",
    "scaling_group": "autoscaling_group_name",
    "state_machine_arn": "state_machine_arn",
    "queue_url": "pipeline_queue_url",
    "dlq_url": "pipeline_dlq_url",
    "records_table": "image_records_table_name",
}
"""Each field of `DeploymentOutputs` holding text, and the output it comes from."""
ALARMS_OUTPUT: Final = "alarm_names"
APP_ENV_OUTPUT: Final = "app_env"
"""The environment the portal's servers get; the check reads the storage quota from it."""
QUOTA_VARIABLE: Final = "EDUPORTAL_STORAGE_QUOTA_BYTES"
"""In `app_env`: the quota the bucket's size alarm measures against (requirement 8.3)."""


@dataclass(frozen=True, slots=True)
class DeploymentOutputs:
    region: str
    """The image bucket's region, where everything but CloudFront lives."""
    image_bucket: str
    archive_bucket: str
    distribution_id: str
    alerts_topic_arn: str
    """The topic the alarms in `region` notify."""
    cdn_alerts_topic_arn: str
    """The topic, in us-east-1, of the alarm on CloudFront's cache hit rate: an alarm notifies
    topics of its own region only."""
    scaling_group: str
    state_machine_arn: str
    queue_url: str
    dlq_url: str
    records_table: str
    storage_quota_bytes: int
    """`EDUPORTAL_STORAGE_QUOTA_BYTES` of `app_env`, the quota the bucket's size alarm watches."""
    alarms: Mapping[str, str]
    """The keys of `alarm_names` (`ALARM_KEYS`, then `lambda_errors:FUNCTION` for each function
    by name) to the name of each alarm."""

    @property
    def lambda_error_alarms(self) -> dict[str, str]:
        """Each function with an errors alarm in the outputs, to the alarm's name."""
        return {
            key.removeprefix(LAMBDA_ERRORS_KEY): name
            for key, name in self.alarms.items()
            if key.startswith(LAMBDA_ERRORS_KEY)
        }

    @property
    def partition(self) -> str:
        """`aws`, `aws-cn`, `aws-us-gov`: the partition of the alerts topic, as of the stack."""
        return _partition_and_account(self.alerts_topic_arn)[0]

    @property
    def distribution_arn(self) -> str:
        """The distribution's ARN, in the partition and account of the alerts topic: the stack
        is one account's, and a distribution id is unique across all of them."""
        partition, account = _partition_and_account(self.alerts_topic_arn)
        return f"arn:{partition}:cloudfront::{account}:distribution/{self.distribution_id}"

    def bucket_arn(self, bucket: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket}"

    @property
    def dlq_name(self) -> str:
        """The dead-letter queue's name: the last part of its URL, and of its ARN."""
        return self.dlq_url.rstrip("/").rsplit("/", 1)[-1]


def outputs_from_terraform(document: object) -> DeploymentOutputs:
    """The outputs of `terraform output -json`, parsed; `ValidationError` with a sentence that
    names every missing or unusable output."""
    if not isinstance(document, Mapping):
        raise ValidationError(
            "This is not the JSON `terraform output -json` writes: it should be an object with "
            "one member per output."
        )
    texts = {field: _value(document, name) for field, name in OUTPUT_NAMES.items()}
    bad = [
        OUTPUT_NAMES[field]
        for field, text in texts.items()
        if not isinstance(text, str) or not text
    ]
    alarms = _alarms(_value(document, ALARMS_OUTPUT))
    if alarms is None:
        bad.append(
            f"{ALARMS_OUTPUT} (a map with {', '.join(ALARM_KEYS)}, and "
            f"{LAMBDA_ERRORS_KEY}FUNCTION for each pipeline function)"
        )
    quota = _quota(_value(document, APP_ENV_OUTPUT))
    if quota is None:
        bad.append(f"{APP_ENV_OUTPUT} (a map with {QUOTA_VARIABLE}, a whole number of bytes)")
    if bad or alarms is None or quota is None:
        raise ValidationError(
            "These outputs are missing or empty: "
            + ", ".join(sorted(bad))
            + ". Apply the Terraform in infrastructure/ and write its outputs again "
            "(scripts/deploy.sh, or `terraform output -json`)."
        )
    topic, cdn_topic = str(texts["alerts_topic_arn"]), str(texts["cdn_alerts_topic_arn"])
    _partition_and_account(topic, OUTPUT_NAMES["alerts_topic_arn"])
    _partition_and_account(cdn_topic, OUTPUT_NAMES["cdn_alerts_topic_arn"])
    return DeploymentOutputs(
        region=str(texts["region"]),
        image_bucket=str(texts["image_bucket"]),
        archive_bucket=str(texts["archive_bucket"]),
        distribution_id=str(texts["distribution_id"]),
        alerts_topic_arn=topic,
        cdn_alerts_topic_arn=cdn_topic,
        scaling_group=str(texts["scaling_group"]),
        state_machine_arn=str(texts["state_machine_arn"]),
        queue_url=str(texts["queue_url"]),
        dlq_url=str(texts["dlq_url"]),
        records_table=str(texts["records_table"]),
        storage_quota_bytes=quota,
        alarms=alarms,
    )


def _alarms(value: object) -> dict[str, str] | None:
    """`alarm_names`: every key of `ALARM_KEYS` and at least one function's, each naming an
    alarm, in that order (the functions by name); keys of neither kind are not read. None
    when it is not so."""
    if not isinstance(value, Mapping):
        return None
    functions = sorted(
        key
        for key in value
        if isinstance(key, str) and key.startswith(LAMBDA_ERRORS_KEY) and key != LAMBDA_ERRORS_KEY
    )
    named = {key: value.get(key) for key in (*ALARM_KEYS, *functions)}
    if not functions or not all(isinstance(name, str) and name for name in named.values()):
        return None
    return {key: str(name) for key, name in named.items()}


def _quota(app_env: object) -> int | None:
    """The quota in `app_env`, as Terraform's `tostring` writes a number of bytes."""
    text = app_env.get(QUOTA_VARIABLE) if isinstance(app_env, Mapping) else None
    if isinstance(text, str) and text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return None


def _value(document: Mapping[object, object], name: str) -> object:
    output = document.get(name)
    return output.get("value") if isinstance(output, Mapping) else None


def _partition_and_account(
    arn: str, output: str = OUTPUT_NAMES["alerts_topic_arn"]
) -> tuple[str, str]:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[4].isdigit():
        raise ValidationError(
            f"The {output} output, {arn!r}, is not an SNS topic's ARN "
            "(arn:aws:sns:REGION:ACCOUNT:NAME)."
        )
    return parts[1], parts[4]
