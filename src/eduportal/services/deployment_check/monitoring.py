"""The alarms' rules: requirement 8 (upload failures above 5 %, the bucket's quota, CloudFront's
cache hit rate below 70 %), the S3 client errors, the pipeline's dead letters and Lambda errors,
and requirement 10's CPU alarms. Every alarm must reach the operators: the alerts topic is
among its actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from eduportal.domain.deployment import AlarmSettings
from eduportal.domain.deployment_figures import (
    ALARM_WINDOW_SECONDS,
    CACHE_HIT_ALARM_PERCENT,
    S3_4XX_ALARM_COUNT,
    UPLOAD_FAILURE_ALARM_PERCENT,
)
from eduportal.domain.scaling_verdicts import CPU_THRESHOLD_PERCENT
from eduportal.services.deployment_check.rules import Finding, Rule, listed

DEAD_LETTER_ALARM_COUNT: Final = 0
"""A message in the dead-letter queue is an image whose processing failed: one is enough."""
ABOVE: Final = frozenset({"GreaterThanThreshold", "GreaterThanOrEqualToThreshold"})
"""An alarm "above" a figure: at the figure itself the two differ by one datapoint in a
continuum, which no requirement tells apart."""
CLOUDFRONT_ALARM: Final = "cache_hit_rate"
"""The alarm on CloudFront's metrics, which CloudFront publishes in us-east-1 only."""


@dataclass(frozen=True, slots=True)
class AlarmRequirement:
    setting: str
    threshold: float | None = None
    """None: any threshold; the alarm must exist and notify."""
    comparisons: frozenset[str] = frozenset()
    period_seconds: int | None = None
    metric_math: bool = False


ALARMS: Final[Mapping[str, AlarmRequirement]] = {
    "upload_failure_rate": AlarmRequirement(
        "upload failure rate alarm",
        UPLOAD_FAILURE_ALARM_PERCENT,
        ABOVE,
        ALARM_WINDOW_SECONDS,
        metric_math=True,
    ),
    "bucket_quota": AlarmRequirement("bucket quota alarm"),
    CLOUDFRONT_ALARM: AlarmRequirement(
        "cache hit rate alarm", CACHE_HIT_ALARM_PERCENT, frozenset({"LessThanThreshold"})
    ),
    "s3_4xx": AlarmRequirement(
        "S3 4xx errors alarm", S3_4XX_ALARM_COUNT, ABOVE, ALARM_WINDOW_SECONDS
    ),
    "dead_letters": AlarmRequirement(
        "dead letters alarm", DEAD_LETTER_ALARM_COUNT, frozenset({"GreaterThanThreshold"})
    ),
    "lambda_errors": AlarmRequirement("Lambda errors alarm"),
    "cpu_high": AlarmRequirement("CPU high alarm", CPU_THRESHOLD_PERCENT, ABOVE),
    "cpu_low": AlarmRequirement("CPU low alarm"),
}
"""Each alarm of the outputs' `alarm_names`, by its key there, and what it must be."""


def alarm_rules(key: str, alerts_topic: str) -> list[Rule[AlarmSettings]]:
    wanted = ALARMS[key]
    return [
        Rule(
            wanted.setting,
            _expected(wanted, alerts_topic),
            lambda alarm: _judge(alarm, wanted, alerts_topic),
        )
    ]


def _expected(wanted: AlarmRequirement, topic: str) -> str:
    parts = []
    if wanted.threshold is not None:
        parts.append(f"threshold {wanted.threshold:.12g} {' or '.join(sorted(wanted.comparisons))}")
    if wanted.period_seconds is not None:
        parts.append(f"period {wanted.period_seconds} s")
    if wanted.metric_math:
        parts.append("metric math")
    return f"{', '.join(parts) or 'the alarm'}; notifies {topic}"


def _judge(alarm: AlarmSettings, wanted: AlarmRequirement, topic: str) -> Finding:
    notifies = topic in alarm.actions
    passed = (
        notifies
        and wanted.threshold in (None, alarm.threshold)
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
    reach = (
        "notifies the alerts topic"
        if notifies
        else f"does not notify the alerts topic (actions: {listed(alarm.actions)})"
    )
    return Finding(passed, f"{', '.join(parts)}; {reach}")


def _only(periods: tuple[int, ...]) -> tuple[int, ...]:
    """The one period of every metric the alarm reads; none when they differ."""
    return tuple(set(periods)) if len(set(periods)) == 1 else ()
