"""The rules by which CloudWatch alarms and EC2 Auto Scaling policies change a group's size.

Requirement 10 fixes two budgets (`domain.scaling_verdicts`) that cannot be tried here, where
no AWS account exists. `domain.scaling_model` replays the configured policies minute by
minute instead; this module holds what it replays: the configuration as data and AWS's
documented arithmetic as small pure functions, each tested on its own.

Sources, as AWS documents them (Amazon CloudWatch and Amazon EC2 Auto Scaling user guides):

- An alarm is in ALARM when `datapoints_to_alarm` of its last `evaluation_periods` datapoints
  breach the threshold ("Evaluating an alarm"); missing datapoints are not breaching.
- A step adjustment is chosen by the metric's distance from the alarm's threshold. Above the
  threshold a lower bound is inclusive and an upper bound exclusive; below it the reverse
  (API reference, `StepAdjustment`).
- `PercentChangeInCapacity` rounds toward zero, a fraction of one instance counts as one, and
  `min_adjustment_magnitude` raises the result to at least that many ("Scaling adjustment
  types").
- While instances warm up, a scale-out counts them as part of the capacity it adds to, so a
  repeated invocation asking for the same step adds nothing; scale-in waits until they have
  warmed ("Set the default instance warmup", "Scaling performance considerations").
- A target tracking policy on `ASGAverageCPUUtilization` creates its own high alarm, 3
  datapoints in 3 one-minute periods above the target, and asks for
  `ceil(capacity * metric / target)` ("Target tracking scaling policies").
- When several policies are invoked at once, Auto Scaling applies the one that gives the
  larger capacity ("Multiple dynamic scaling policies").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

ONE_MINUTE: Final = 60
"""EC2's detailed monitoring publishes CPUUtilization each minute; CloudWatch evaluates
alarms each minute, and invokes an Auto Scaling action each minute its alarm stays in ALARM."""
TARGET_TRACKING_HIGH_PERIODS: Final = 3
"""The high alarm target tracking creates: 3 datapoints in 3 one-minute periods."""


class AlarmStatus(StrEnum):
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
    OK = "OK"
    ALARM = "ALARM"


class Comparison(StrEnum):
    GREATER = "GreaterThanThreshold"
    GREATER_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    LESS = "LessThanThreshold"
    LESS_OR_EQUAL = "LessThanOrEqualToThreshold"

    @property
    def above(self) -> bool:
        """Whether the alarm watches for the metric rising (scale-out) or falling."""
        return self in (Comparison.GREATER, Comparison.GREATER_OR_EQUAL)

    @property
    def symbol(self) -> str:
        return {
            Comparison.GREATER: ">",
            Comparison.GREATER_OR_EQUAL: ">=",
            Comparison.LESS: "<",
            Comparison.LESS_OR_EQUAL: "<=",
        }[self]


@dataclass(frozen=True)
class Alarm:
    """A CloudWatch alarm on the group's average CPUUtilization, one-minute periods."""

    name: str
    threshold: float
    comparison: Comparison
    evaluation_periods: int
    datapoints_to_alarm: int

    def __post_init__(self) -> None:
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise ValueError(
                f"alarm {self.name}: datapoints_to_alarm {self.datapoints_to_alarm} must be "
                f"between 1 and evaluation_periods {self.evaluation_periods}"
            )

    def breaches(self, percent: float) -> bool:
        match self.comparison:
            case Comparison.GREATER:
                return percent > self.threshold
            case Comparison.GREATER_OR_EQUAL:
                return percent >= self.threshold
            case Comparison.LESS:
                return percent < self.threshold
            case Comparison.LESS_OR_EQUAL:
                return percent <= self.threshold

    def status(self, datapoints: Sequence[float]) -> AlarmStatus:
        """The state for the datapoints published so far, oldest first: the last
        `evaluation_periods` of them are evaluated, as CloudWatch does when the newest period
        is still unpublished (it looks back to the datapoints it has)."""
        if not datapoints:
            return AlarmStatus.INSUFFICIENT_DATA
        window = datapoints[-self.evaluation_periods :]
        breaching = sum(1 for percent in window if self.breaches(percent))
        return AlarmStatus.ALARM if breaching >= self.datapoints_to_alarm else AlarmStatus.OK

    def describe(self) -> str:
        """`cpu_high: CPU > 70 % in 2 of 2 minutes`."""
        return (
            f"{self.name}: CPU {self.comparison.symbol} {self.threshold:g} % in "
            f"{self.datapoints_to_alarm} of {self.evaluation_periods} minutes"
        )


class AdjustmentType(StrEnum):
    CHANGE_IN_CAPACITY = "ChangeInCapacity"
    PERCENT_CHANGE_IN_CAPACITY = "PercentChangeInCapacity"


@dataclass(frozen=True)
class StepAdjustment:
    """One step: bounds are distances from the alarm's threshold; None is unbounded."""

    scaling_adjustment: int
    lower_bound: float | None = None
    upper_bound: float | None = None

    def matches(self, distance: float, *, above: bool) -> bool:
        """Whether the metric, `distance` past the threshold, falls in this step. For an
        alarm on a rising metric the lower bound is inclusive and the upper exclusive; for a
        falling one the lower is exclusive and the upper inclusive (AWS's `StepAdjustment`)."""
        if self.lower_bound is not None and (
            distance < self.lower_bound if above else distance <= self.lower_bound
        ):
            return False
        return self.upper_bound is None or (
            distance < self.upper_bound if above else distance <= self.upper_bound
        )


@dataclass(frozen=True)
class StepScalingPolicy:
    name: str
    alarm: Alarm
    adjustment_type: AdjustmentType
    steps: tuple[StepAdjustment, ...]
    min_adjustment_magnitude: int = 0
    warmup_seconds: float | None = None
    """`estimated_instance_warmup`; None takes the group's default instance warmup."""

    def step(self, percent: float) -> StepAdjustment | None:
        """The step for a metric value; None when the value is in no step (a value on the
        threshold's quiet side, possible when the alarm needs fewer breaches than periods)."""
        distance = percent - self.alarm.threshold
        above = self.alarm.comparison.above
        return next((s for s in self.steps if s.matches(distance, above=above)), None)

    def change(self, step: StepAdjustment, capacity: int) -> int:
        """The signed number of instances a step asks for, on `capacity`."""
        if self.adjustment_type is AdjustmentType.CHANGE_IN_CAPACITY:
            return step.scaling_adjustment
        return percent_change(step.scaling_adjustment, capacity, self.min_adjustment_magnitude)

    def describe(self) -> str:
        unit = " %" if self.adjustment_type is AdjustmentType.PERCENT_CHANGE_IN_CAPACITY else ""
        steps = ", ".join(
            f"{_interval(s, self.alarm)}: {s.scaling_adjustment:+d}{unit}" for s in self.steps
        )
        return f"{self.name} (step scaling on {self.alarm.describe()}): {steps}"


@dataclass(frozen=True)
class TargetTrackingPolicy:
    """Target tracking on the group's average CPU with scale-in disabled: the model replays
    only its high alarm, since with scale-in enabled its low alarm (15 of 15 minutes) could
    hold capacity up when it fires with the step scale-in policy (the larger capacity wins)."""

    name: str
    target: float
    warmup_seconds: float | None = None

    @property
    def alarm(self) -> Alarm:
        return Alarm(
            f"{self.name} (high)",
            self.target,
            Comparison.GREATER,
            TARGET_TRACKING_HIGH_PERIODS,
            TARGET_TRACKING_HIGH_PERIODS,
        )

    def capacity(self, percent: float, capacity: int) -> int:
        """What it asks for: as many instances as bring the average back to the target."""
        return math.ceil(capacity * percent / self.target)

    def describe(self) -> str:
        return (
            f"{self.name} (target tracking, CPU {self.target:g} %, scale-in disabled; "
            f"{self.alarm.describe()}): ceil(capacity x CPU / {self.target:g})"
        )


Policy = StepScalingPolicy | TargetTrackingPolicy


@dataclass(frozen=True)
class Group:
    """The Auto Scaling group and what stands between an instance and the load balancer."""

    min_size: int
    max_size: int
    default_warmup_seconds: float
    """How long after entering service an instance's metrics join the group's average, for
    instances a policy without its own warmup launched."""
    deregistration_delay_seconds: float
    """The target group's: a leaving instance drains this long before it is terminated."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_size <= self.max_size:
            raise ValueError(f"sizes must satisfy 1 <= min <= max, got {self}")

    def clamp(self, capacity: int) -> int:
        return max(self.min_size, min(self.max_size, capacity))


@dataclass(frozen=True)
class ScalingSetup:
    """What the Terraform configures: the group and its policies, each with its alarm."""

    group: Group
    policies: tuple[Policy, ...]

    def warmup(self, policy: Policy) -> float:
        """A policy's `estimated_instance_warmup` overrides the group's default."""
        if policy.warmup_seconds is None:
            return self.group.default_warmup_seconds
        return policy.warmup_seconds

    def policy(self, name: str) -> Policy:
        return next(policy for policy in self.policies if policy.name == name)

    def with_policy(self, policy: Policy) -> ScalingSetup:
        """This setup with the policy of the same name replaced: what a changed line of the
        Terraform would give."""
        return replace(
            self, policies=tuple(policy if p.name == policy.name else p for p in self.policies)
        )

    def describe(self) -> list[str]:
        """Lines for the head of a timeline: the configuration the run replayed."""
        group = self.group
        return [
            f"group: min {group.min_size}, max {group.max_size}, default instance warmup "
            f"{group.default_warmup_seconds:g} s, deregistration delay "
            f"{group.deregistration_delay_seconds:g} s",
            *(f"policy {policy.describe()}" for policy in self.policies),
        ]


def percent_change(percent: int, capacity: int, min_magnitude: int) -> int:
    """`PercentChangeInCapacity`: `percent` of `capacity`, rounded toward zero, a fraction of
    one instance counting as one, and at least `min_magnitude` instances either way."""
    exact = capacity * percent / 100
    if exact == 0:
        return 0
    magnitude = max(1, min_magnitude, math.floor(abs(exact)))
    return magnitude if exact > 0 else -magnitude


def _interval(step: StepAdjustment, alarm: Alarm) -> str:
    """`[70, 90)` or `(-inf, 30]`: the CPU values a step covers, as a person reads them."""
    low = "-inf" if step.lower_bound is None else f"{alarm.threshold + step.lower_bound:g}"
    high = "inf" if step.upper_bound is None else f"{alarm.threshold + step.upper_bound:g}"
    return f"[{low}, {high})" if alarm.comparison.above else f"({low}, {high}]"
