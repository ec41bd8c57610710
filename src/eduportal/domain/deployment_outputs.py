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
    "lambda_errors",
    "cpu_high",
    "cpu_low",
)
"""The keys of the `alarm_names` output, each naming one CloudWatch alarm."""

_NAMES: Final = {
    "region": "s3_bucket_region",
    "image_bucket": "s3_bucket_name",
    "archive_bucket": "archive_bucket_name",
    "distribution_id": "cloudfront_distribution_id",
    "alerts_topic_arn": "alerts_topic_arn",
    "scaling_group": "autoscaling_group_name",
    "state_machine_arn": "state_machine_arn",
    "queue_url": "pipeline_queue_url",
    "dlq_url": "pipeline_dlq_url",
    "records_table": "image_records_table_name",
}
"""Each field of `DeploymentOutputs` holding text, and the output it comes from."""
ALARMS_OUTPUT: Final = "alarm_names"


@dataclass(frozen=True, slots=True)
class DeploymentOutputs:
    region: str
    """The image bucket's region, where everything but CloudFront lives."""
    image_bucket: str
    archive_bucket: str
    distribution_id: str
    alerts_topic_arn: str
    scaling_group: str
    state_machine_arn: str
    queue_url: str
    dlq_url: str
    records_table: str
    alarms: Mapping[str, str]
    """`ALARM_KEYS` to the name of each alarm."""

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
    texts = {field: _value(document, name) for field, name in _NAMES.items()}
    bad = [_NAMES[field] for field, text in texts.items() if not isinstance(text, str) or not text]
    alarms = _value(document, ALARMS_OUTPUT)
    named = {key: alarms.get(key) for key in ALARM_KEYS} if isinstance(alarms, Mapping) else {}
    if not all(isinstance(name, str) and name for name in named.values()) or not named:
        bad.append(f"{ALARMS_OUTPUT} (a map with {', '.join(ALARM_KEYS)})")
    if bad:
        raise ValidationError(
            "These outputs are missing or empty: "
            + ", ".join(sorted(bad))
            + ". Apply the Terraform in infrastructure/ and write its outputs again "
            "(scripts/deploy.sh, or `terraform output -json`)."
        )
    topic = str(texts["alerts_topic_arn"])
    _partition_and_account(topic)
    return DeploymentOutputs(
        region=str(texts["region"]),
        image_bucket=str(texts["image_bucket"]),
        archive_bucket=str(texts["archive_bucket"]),
        distribution_id=str(texts["distribution_id"]),
        alerts_topic_arn=topic,
        scaling_group=str(texts["scaling_group"]),
        state_machine_arn=str(texts["state_machine_arn"]),
        queue_url=str(texts["queue_url"]),
        dlq_url=str(texts["dlq_url"]),
        records_table=str(texts["records_table"]),
        alarms={key: str(name) for key, name in named.items()},
    )


def _value(document: Mapping[object, object], name: str) -> object:
    output = document.get(name)
    return output.get("value") if isinstance(output, Mapping) else None


def _partition_and_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[4].isdigit():
        raise ValidationError(
            f"The alerts_topic_arn output, {arn!r}, is not an SNS topic's ARN "
            "(arn:aws:sns:REGION:ACCOUNT:NAME)."
        )
    return parts[1], parts[4]
