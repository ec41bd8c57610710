"""The alarms' rules: requirement 8 (upload failures above 5 %, the bucket above 80 % of its
quota, CloudFront's cache hit rate below 70 %), the S3 client errors, the pipeline's dead
letters and each function's errors, and requirement 10's CPU alarms.

Every alarm must act, as the Terraform makes it: the alarms of the stack's region notify the
alerts topic; the alarm on CloudFront's cache hit rate lives in us-east-1 with CloudFront's
metrics, and notifies the topic of that region (`cdn_alerts_topic_arn`), since an alarm
notifies topics of its own region only; the CPU alarms notify nobody and run the group's
step scaling policies instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from typing import Final

from eduportal.domain.deployment import AlarmSettings
from eduportal.domain.deployment_check import CheckResult
from eduportal.domain.deployment_figures import (
    ALARM_WINDOW_SECONDS,
    CACHE_HIT_ALARM_PERCENT,
    S3_4XX_ALARM_COUNT,
    SCALE_IN_CPU_PERCENT,
    UPLOAD_FAILURE_ALARM_PERCENT,
)
from eduportal.domain.deployment_outputs import (
    ALARMS_OUTPUT,
    LAMBDA_ERRORS_KEY,
    QUOTA_VARIABLE,
    DeploymentOutputs,
)
from eduportal.domain.scaling_verdicts import CPU_THRESHOLD_PERCENT
from eduportal.services.deployment_check.rules import Finding, Rule, listed
from eduportal.services.storage_usage import QUOTA_ALERT_SHARE

DEAD_LETTER_ALARM_COUNT: Final = 0
"""A message in the dead-letter queue is an image whose processing failed: one is enough."""
LAMBDA_ERROR_ALARM_COUNT: Final = 0
"""One error of a function is enough: Step Functions retries a Task and the queue redelivers,
so an error an operator hears of is one the pipeline may be hiding."""
BUCKET_SIZE_PERIOD_SECONDS: Final = 86_400
"""S3 publishes a bucket's size once a day."""
CPU_PERIOD_SECONDS: Final = 60
"""One-minute datapoints: the scaling budgets of requirement 10 are counted in minutes."""
ABOVE: Final = frozenset({"GreaterThanThreshold", "GreaterThanOrEqualToThreshold"})
"""An alarm "above" a figure: at the figure itself the two differ by one datapoint in a
continuum, which no requirement tells apart."""
STRICTLY_ABOVE: Final = frozenset({"GreaterThanThreshold"})
"""Above 0: at or above 0 would be in ALARM all the time."""
BELOW: Final = frozenset({"LessThanThreshold"})
CLOUDFRONT_ALARM: Final = "cache_hit_rate"
"""The alarm on CloudFront's metrics, which CloudFront publishes in us-east-1 only."""
MISSING_RESOURCE: Final = f"{ALARMS_OUTPUT} output"
"""Where the report puts a function whose errors alarm the outputs do not name."""


class Action(Enum):
    """What an alarm must do on entering ALARM."""

    ALERTS = "the alerts topic"
    CDN_ALERTS = "the us-east-1 alerts topic"
    SCALING = "a scaling policy of the group"


@dataclass(frozen=True, slots=True)
class AlarmRequirement:
    setting: str
    threshold: float | None = None
    """None: any threshold; the alarm must exist and act."""
    comparisons: frozenset[str] = frozenset()
    period_seconds: int | None = None
    metric_math: bool = False
    action: Action = Action.ALERTS
    threshold_source: str = ""
    """Where a threshold that is not a fixed figure comes from, for the report."""


_FIXED: Final = {
    "upload_failure_rate": AlarmRequirement(
        "upload failure rate alarm",
        UPLOAD_FAILURE_ALARM_PERCENT,
        ABOVE,
        ALARM_WINDOW_SECONDS,
        metric_math=True,
    ),
    CLOUDFRONT_ALARM: AlarmRequirement(
        "cache hit rate alarm", CACHE_HIT_ALARM_PERCENT, BELOW, action=Action.CDN_ALERTS
    ),
    "s3_4xx": AlarmRequirement(
        "S3 4xx errors alarm", S3_4XX_ALARM_COUNT, ABOVE, ALARM_WINDOW_SECONDS
    ),
    "dead_letters": AlarmRequirement("dead letters alarm", DEAD_LETTER_ALARM_COUNT, STRICTLY_ABOVE),
    "cpu_high": AlarmRequirement(
        "CPU high alarm",
        CPU_THRESHOLD_PERCENT,
        ABOVE,
        CPU_PERIOD_SECONDS,
        action=Action.SCALING,
    ),
    "cpu_low": AlarmRequirement(
        "CPU low alarm",
        SCALE_IN_CPU_PERCENT,
        BELOW,
        CPU_PERIOD_SECONDS,
        action=Action.SCALING,
    ),
}
"""The alarms whose figures are fixed, by their key in `alarm_names`."""


def alarm_requirement(key: str, outputs: DeploymentOutputs) -> AlarmRequirement:
    """What the alarm `key` of the outputs' `alarm_names` must be; `KeyError` for a key the
    outputs contract does not know."""
    if key == "bucket_quota":
        # Every storage class added up by metric math, against the quota the servers get.
        quota = outputs.storage_quota_bytes
        return AlarmRequirement(
            "bucket quota alarm",
            QUOTA_ALERT_SHARE * quota,
            ABOVE,
            BUCKET_SIZE_PERIOD_SECONDS,
            metric_math=True,
            threshold_source=f"{QUOTA_ALERT_SHARE * 100:g} % of {QUOTA_VARIABLE} {quota}",
        )
    if key.startswith(LAMBDA_ERRORS_KEY):
        return _function_errors(key.removeprefix(LAMBDA_ERRORS_KEY))
    return _FIXED[key]


def _function_errors(function: str) -> AlarmRequirement:
    return AlarmRequirement(
        f"Lambda errors alarm ({function})", LAMBDA_ERROR_ALARM_COUNT, STRICTLY_ABOVE
    )


def alarm_rules(key: str, outputs: DeploymentOutputs) -> list[Rule[AlarmSettings]]:
    wanted = alarm_requirement(key, outputs)
    return [
        Rule(
            wanted.setting,
            _expected(wanted, outputs),
            lambda alarm: _judge(alarm, wanted, outputs),
        )
    ]


def unalarmed_functions(
    outputs: DeploymentOutputs, functions: Collection[str]
) -> list[CheckResult]:
    """A failed result for each of the pipeline's `functions` that the outputs name no errors
    alarm for; the outputs' functions are judged by `alarm_rules`."""
    results = []
    for function in sorted(set(functions) - set(outputs.lambda_error_alarms)):
        wanted = _function_errors(function)
        results.append(
            CheckResult(
                wanted.setting,
                MISSING_RESOURCE,
                False,
                f"no alarm: {ALARMS_OUTPUT} has no key {LAMBDA_ERRORS_KEY}{function}",
                _expected(wanted, outputs),
            )
        )
    return results


def _expected(wanted: AlarmRequirement, outputs: DeploymentOutputs) -> str:
    parts = []
    if wanted.threshold is not None:
        figure = f"threshold {wanted.threshold:.12g}"
        if wanted.threshold_source:
            figure += f" ({wanted.threshold_source})"
        parts.append(f"{figure} {' or '.join(sorted(wanted.comparisons))}")
    if wanted.period_seconds is not None:
        parts.append(f"period {wanted.period_seconds} s")
    if wanted.metric_math:
        parts.append("metric math")
    if wanted.action is Action.SCALING:
        act = f"runs a scaling policy of the group {outputs.scaling_group}"
    else:
        act = f"notifies {_topic(wanted.action, outputs)}"
    return f"{', '.join(parts) or 'the alarm'}; {act}"


def _judge(alarm: AlarmSettings, wanted: AlarmRequirement, outputs: DeploymentOutputs) -> Finding:
    acts, reach = _acts(alarm, wanted.action, outputs)
    passed = (
        acts
        and _same(wanted.threshold, alarm.threshold)
        and (not wanted.comparisons or alarm.comparison in wanted.comparisons)
        and wanted.period_seconds in (None, *_only(alarm.periods))
        and (alarm.metric_math or not wanted.metric_math)
    )
    threshold = "no threshold" if alarm.threshold is None else f"threshold {alarm.threshold:.12g}"
    parts = [
        f"{threshold} {alarm.comparison}",
        f"period {listed((str(p) for p in sorted(set(alarm.periods))), empty='none')} s",
    ]
    if alarm.metric_math:
        parts.append("metric math")
    return Finding(passed, f"{', '.join(parts)}; {reach}")


def _same(wanted: float | None, found: float | None) -> bool:
    """A threshold computed here (a share of the quota) and one CloudWatch stores as a double
    may differ in the last bits."""
    return wanted is None or (found is not None and math.isclose(wanted, found, rel_tol=1e-9))


def _acts(alarm: AlarmSettings, action: Action, outputs: DeploymentOutputs) -> tuple[bool, str]:
    """Whether the alarm does what it must on entering ALARM, and the words for it."""
    if action is Action.SCALING:
        group = outputs.scaling_group
        policies = [found for arn in alarm.actions if (found := _policy_of(group, arn))]
        if policies:
            return True, f"runs the policy {listed(policies)} of the group {group}"
        return False, (
            f"runs no scaling policy of the group {group} (actions: {listed(alarm.actions)})"
        )
    label = action.value
    if _topic(action, outputs) in alarm.actions:
        return True, f"notifies {label}"
    return False, f"does not notify {label} (actions: {listed(alarm.actions)})"


def _topic(action: Action, outputs: DeploymentOutputs) -> str:
    return outputs.cdn_alerts_topic_arn if action is Action.CDN_ALERTS else outputs.alerts_topic_arn


def _policy_of(group: str, arn: str) -> str:
    """The name of the scaling policy `arn` names when it is a policy of `group`, else ""."""
    found = re.fullmatch(
        r"arn:[^:]+:autoscaling:[^:]*:[^:]*:scalingPolicy:[^:]+:"
        rf"autoScalingGroupName/{re.escape(group)}:policyName/(.+)",
        arn,
    )
    return found[1] if found else ""


def _only(periods: tuple[int, ...]) -> tuple[int, ...]:
    """The one period of every metric the alarm reads; none when they differ."""
    return tuple(set(periods)) if len(set(periods)) == 1 else ()
