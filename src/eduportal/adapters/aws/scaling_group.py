"""An Auto Scaling group read from AWS for the scaling watch (`ports.ScalingGroupReader`).

One poll makes a handful of read-only calls: DescribeAutoScalingGroups (size, instances,
target groups), GetMetricData (`AWS/EC2` `CPUUtilization` by `AutoScalingGroupName`, the
metric the scaling policy watches), DescribePolicies and DescribeAlarms (the alarms that
drive the policies), DescribeTargetHealth per target group (the load balancer's `/readyz`
check), and DescribeScalingActivities (what Auto Scaling did and why).

A policy names its alarms in DescribePolicies' `Alarms`. The alarms whose actions name the
policy's ARN are read as well (DescribeAlarms with `ActionPrefix`): on AWS the two agree, and a
reader that relied on one of them alone would miss alarms wherever it is incomplete (moto, for
one, never fills `Alarms`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from eduportal.adapters.aws.read_errors import read_errors
from eduportal.domain.errors import NotFoundError
from eduportal.domain.scaling import (
    Activity,
    AlarmState,
    CpuPoint,
    GroupReading,
    InstanceState,
    Sample,
    TargetState,
)

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricAlarmTypeDef, MetricDataQueryTypeDef
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

PERMISSIONS: Final = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribePolicies",
    "autoscaling:DescribeScalingActivities",
    "cloudwatch:GetMetricData",
    "cloudwatch:DescribeAlarms",
    "elasticloadbalancing:DescribeTargetHealth",
)
"""What the watch needs, all read-only: the error for a refused call lists them."""
CPU_PERIODS_READ: Final = 5
"""Periods read per poll: CloudWatch publishes a period late and may revise it, so each poll
reads the last few again and the analysis keeps the latest reading of each."""
ACTIVITIES_READ: Final = 20


class AwsScalingGroupReader:
    def __init__(
        self,
        autoscaling: AutoScalingClient,
        cloudwatch: CloudWatchClient,
        elbv2: ElasticLoadBalancingv2Client,
        *,
        cpu_period_seconds: int = 60,
    ) -> None:
        """`cpu_period_seconds`: 60 for instances with detailed monitoring (what a scaling
        policy should watch), 300 with basic monitoring."""
        self._autoscaling = autoscaling
        self._cloudwatch = cloudwatch
        self._elbv2 = elbv2
        self._period = cpu_period_seconds

    def read(self, group: str, *, now: float) -> GroupReading:
        with _aws("read the Auto Scaling group", "DescribeAutoScalingGroups"):
            found = self._autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])[
                "AutoScalingGroups"
            ]
        if not found:
            region = self._autoscaling.meta.region_name
            raise NotFoundError(
                f"There is no Auto Scaling group named {group!r} in {region}: check the name "
                "(`aws autoscaling describe-auto-scaling-groups` lists them) and AWS_REGION.",
                detail=f"DescribeAutoScalingGroups found no group {group!r} in {region}",
            )
        described = found[0]
        instances = tuple(
            InstanceState(i["InstanceId"], i["LifecycleState"], i["HealthStatus"])
            for i in described.get("Instances", [])
        )
        target_groups = tuple(described.get("TargetGroupARNs", []))
        sample = Sample(
            at=now,
            desired=described["DesiredCapacity"],
            min_size=described["MinSize"],
            max_size=described["MaxSize"],
            instances=instances,
            cpu=self._cpu(group, now),
            alarms=self._alarms(group),
            target_groups=target_groups,
            targets=self._targets(target_groups, {i.instance_id for i in instances}),
        )
        return GroupReading(sample, self._activities(group))

    def _cpu(self, group: str, now: float) -> tuple[CpuPoint, ...]:
        """The last few periods up to the current one, aligned on the period as CloudWatch
        aggregates them."""
        end = (math.floor(now / self._period) + 1) * self._period
        start = end - (CPU_PERIODS_READ + 1) * self._period
        query: MetricDataQueryTypeDef = {
            "Id": "cpu",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/EC2",
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "AutoScalingGroupName", "Value": group}],
                },
                "Period": self._period,
                "Stat": "Average",
            },
        }
        points: dict[float, float] = {}
        token: dict[str, str] = {}
        with _aws("read the group's CPU", "GetMetricData"):
            while True:
                answer = self._cloudwatch.get_metric_data(
                    MetricDataQueries=[query],
                    StartTime=datetime.fromtimestamp(start, UTC),
                    EndTime=datetime.fromtimestamp(end, UTC),
                    ScanBy="TimestampAscending",
                    **token,  # type: ignore[arg-type]
                )
                for result in answer["MetricDataResults"]:
                    for at, value in zip(result["Timestamps"], result["Values"], strict=True):
                        points[at.timestamp()] = value
                if "NextToken" not in answer:
                    break
                token = {"NextToken": answer["NextToken"]}
        return tuple(CpuPoint(at, points[at]) for at in sorted(points))

    def _alarms(self, group: str) -> tuple[AlarmState, ...]:
        alarms: dict[str, AlarmState] = {}
        with _aws("read the alarms of the group's scaling policies", "DescribePolicies"):
            pages = self._autoscaling.get_paginator("describe_policies")
            policies = [
                policy
                for page in pages.paginate(AutoScalingGroupName=group)
                for policy in page["ScalingPolicies"]
            ]
        named = {a["AlarmName"] for p in policies for a in p.get("Alarms", []) if "AlarmName" in a}
        with _aws("read the alarms of the group's scaling policies", "DescribeAlarms"):
            for policy in policies:
                arn = policy.get("PolicyARN", "")
                for alarm in self._describe_alarms(ActionPrefix=arn):
                    if arn in alarm.get("AlarmActions", []):
                        alarms[alarm["AlarmName"]] = _alarm_state(alarm)
            missing = sorted(named - alarms.keys())
            for chunk in (missing[i : i + 100] for i in range(0, len(missing), 100)):
                for alarm in self._describe_alarms(AlarmNames=chunk):
                    alarms[alarm["AlarmName"]] = _alarm_state(alarm)
        return tuple(alarms[name] for name in sorted(alarms))

    def _describe_alarms(self, **query: Any) -> Iterator[MetricAlarmTypeDef]:
        pages = self._cloudwatch.get_paginator("describe_alarms")
        for page in pages.paginate(AlarmTypes=["MetricAlarm"], **query):
            yield from page["MetricAlarms"]

    def _targets(
        self, target_groups: Sequence[str], instance_ids: set[str]
    ) -> tuple[TargetState, ...]:
        """The group's instances only: a target group may serve other targets as well."""
        targets = []
        with _aws("read the target health of the group's instances", "DescribeTargetHealth"):
            for arn in target_groups:
                answer = self._elbv2.describe_target_health(TargetGroupArn=arn)
                for description in answer["TargetHealthDescriptions"]:
                    target_id = description.get("Target", {}).get("Id", "")
                    health = description.get("TargetHealth", {})
                    if target_id in instance_ids:
                        targets.append(
                            TargetState(
                                arn, target_id, health.get("State", ""), health.get("Reason", "")
                            )
                        )
        return tuple(targets)

    def _activities(self, group: str) -> tuple[Activity, ...]:
        with _aws("read the group's scaling activities", "DescribeScalingActivities"):
            answer = self._autoscaling.describe_scaling_activities(
                AutoScalingGroupName=group, MaxRecords=ACTIVITIES_READ
            )
        return tuple(
            Activity(
                activity_id=a["ActivityId"],
                status=a["StatusCode"],
                description=a.get("Description", ""),
                cause=a.get("Cause", ""),
                started_at=a["StartTime"].timestamp(),
                ended_at=a["EndTime"].timestamp() if "EndTime" in a else None,
            )
            for a in answer["Activities"]
        )


def _alarm_state(alarm: MetricAlarmTypeDef) -> AlarmState:
    updated = alarm.get("StateUpdatedTimestamp")
    return AlarmState(
        name=alarm["AlarmName"],
        state=alarm["StateValue"],
        updated_at=updated.timestamp() if updated is not None else None,
    )


def _aws(what: str, operation: str) -> AbstractContextManager[None]:
    return read_errors(
        what, operation, needs="The scaling watch needs " + ", ".join(PERMISSIONS) + "."
    )
