"""An Auto Scaling group on moto's server, provisioned as the infrastructure would (a VPC with
two subnets, a launch template, the group, a target group checking `/readyz` behind an
Application Load Balancer, step policies with their CPU alarms), and the moves a test script
makes on it: CPU datapoints, alarm states, desired capacity, a stopped instance.

moto does not run the loop AWS runs (CPU does not drive the alarms, and alarms do not run the
policies), so a script plays those parts, step by step; `Lockstep` runs its steps between the
watch's polls, so what each poll sees is known.

Resource names are unique per group: one moto server serves the whole session, and moto keys
scaling policies by name alone.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

REGION = "us-east-1"
AMI = "ami-12c6146b"  # one of the images moto knows


@dataclass
class ScalingGroup:
    name: str
    target_group_arn: str
    high_alarm: str
    low_alarm: str
    autoscaling: AutoScalingClient
    cloudwatch: CloudWatchClient
    ec2: Any  # no stubs for EC2 in the dev extra: the script only stops an instance
    elbv2: ElasticLoadBalancingv2Client

    def instance_ids(self) -> list[str]:
        group = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[self.name])
        return [i["InstanceId"] for i in group["AutoScalingGroups"][0].get("Instances", [])]

    def put_cpu(self, percent: float) -> float:
        """A CPU datapoint for the group, now; returns its time."""
        now = datetime.now(UTC)
        self.cloudwatch.put_metric_data(
            Namespace="AWS/EC2",
            MetricData=[
                {
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "AutoScalingGroupName", "Value": self.name}],
                    "Timestamp": now,
                    "Value": percent,
                    "Unit": "Percent",
                }
            ],
        )
        return now.timestamp()

    def set_alarm(self, name: str, state: str) -> None:
        self.cloudwatch.set_alarm_state(
            AlarmName=name,
            StateValue=state,  # type: ignore[arg-type]
            StateReason="set by the test script",
        )

    def set_desired(self, capacity: int) -> None:
        self.autoscaling.set_desired_capacity(
            AutoScalingGroupName=self.name, DesiredCapacity=capacity
        )

    def protect(self, instance_ids: Sequence[str]) -> None:
        """Keep these when the group scales in (moto otherwise picks by list order)."""
        self.autoscaling.set_instance_protection(
            AutoScalingGroupName=self.name,
            InstanceIds=list(instance_ids),
            ProtectedFromScaleIn=True,
        )

    def stop(self, instance_id: str) -> None:
        """A stopped instance is what moto reports as a target that is not healthy
        (`unused`, `Target.InvalidState`); it has no other way to fail a health check."""
        self.ec2.stop_instances(InstanceIds=[instance_id])

    def delete(self) -> None:
        self.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=self.name, ForceDelete=True)


def provision(moto_url: str, *, min_size: int = 1, max_size: int = 4) -> ScalingGroup:
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto_url, region_name=REGION)  # type: ignore[call-overload]

    ec2, autoscaling, cloudwatch, elbv2 = (
        client(s) for s in ("ec2", "autoscaling", "cloudwatch", "elbv2")
    )
    suffix = uuid.uuid4().hex[:10]
    name = f"web-{suffix}"
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    ec2.create_launch_template(
        LaunchTemplateName=f"lt-{suffix}",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.small"},
    )
    target_group = elbv2.create_target_group(
        Name=f"tg-{suffix}",
        Protocol="HTTP",
        Port=8000,
        VpcId=vpc,
        HealthCheckPath="/readyz",
    )["TargetGroups"][0]["TargetGroupArn"]
    balancer = elbv2.create_load_balancer(Name=f"alb-{suffix}", Subnets=subnets)
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=min_size,
        MaxSize=max_size,
        DesiredCapacity=min_size,
        LaunchTemplate={"LaunchTemplateName": f"lt-{suffix}"},
        VPCZoneIdentifier=",".join(subnets),
    )
    autoscaling.attach_load_balancer_target_groups(
        AutoScalingGroupName=name, TargetGroupARNs=[target_group]
    )
    alarms = {}
    for direction, step, operator, threshold in (
        ("out", 1, "GreaterThanThreshold", 70.0),
        ("in", -1, "LessThanThreshold", 30.0),
    ):
        policy = f"scale-{direction}-{suffix}"
        autoscaling.put_scaling_policy(
            AutoScalingGroupName=name,
            PolicyName=policy,
            AdjustmentType="ChangeInCapacity",
            ScalingAdjustment=step,
        )
        # moto's PutScalingPolicy answer lacks the PolicyARN botocore reads: ask for it.
        arn = autoscaling.describe_policies(AutoScalingGroupName=name, PolicyNames=[policy])[
            "ScalingPolicies"
        ][0]["PolicyARN"]
        alarm = f"cpu-{'high' if step > 0 else 'low'}-{suffix}"
        cloudwatch.put_metric_alarm(
            AlarmName=alarm,
            Namespace="AWS/EC2",
            MetricName="CPUUtilization",
            Dimensions=[{"Name": "AutoScalingGroupName", "Value": name}],
            Statistic="Average",
            Period=60,
            EvaluationPeriods=2,
            Threshold=threshold,
            ComparisonOperator=operator,
            AlarmActions=[arn],
        )
        alarms[direction] = alarm
    return ScalingGroup(
        name=name,
        target_group_arn=target_group,
        high_alarm=alarms["out"],
        low_alarm=alarms["in"],
        autoscaling=autoscaling,
        cloudwatch=cloudwatch,
        ec2=ec2,
        elbv2=elbv2,
    )


class Lockstep:
    """A script's steps, run in the script's own thread between the watch's polls: after poll
    k, step k runs while the watch waits for it, so poll k + 1 sees exactly what the steps up to
    k did. Give `on_sample` to the watch; `stop` is set once every step has run and `tail`
    more polls have been taken."""

    def __init__(self, steps: Sequence[Callable[[], None]], *, tail: int = 2) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._steps = list(steps)
        self._tail = tail
        self._polls = 0
        self._polled = threading.Semaphore(0)
        self._stepped = threading.Semaphore(0)
        self._thread = threading.Thread(target=self._run, name="scaling-script", daemon=True)
        self._thread.start()

    def on_sample(self, sample: object, events: object) -> None:
        self._polls += 1
        if self._polls <= len(self._steps):
            self._polled.release()
            if not self._stepped.acquire(timeout=30):
                self.stop.set()
        elif self._polls >= len(self._steps) + self._tail:
            self.stop.set()

    def _run(self) -> None:
        for step in self._steps:
            if not self._polled.acquire(timeout=30):
                return
            try:
                step()
            except BaseException as exc:  # the test re-raises it
                self.error = exc
                self.stop.set()
            finally:
                self._stepped.release()
