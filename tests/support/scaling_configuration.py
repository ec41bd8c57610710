"""The scaling model's configuration read from `infrastructure/*.tf`, so the tests of the
scaling budgets replay what a plain `terraform apply` would deploy: change a figure in
compute.tf and their outcome changes with it.

Every policy of the group is read, with the alarm whose `alarm_actions` invoke it; what the
model cannot replay (another metric, period or statistic, target tracking that scales in) is
refused with the reason, rather than replayed wrongly.
"""

from __future__ import annotations

from typing import Any, Final

from eduportal.domain.scaling_policies import (
    ONE_MINUTE,
    AdjustmentType,
    Alarm,
    Comparison,
    Group,
    Policy,
    ScalingSetup,
    StepAdjustment,
    StepScalingPolicy,
    TargetTrackingPolicy,
)
from tests.support.terraform import Configuration, configuration, one

GROUP: Final = "app"
"""`aws_autoscaling_group.app` and its target group `aws_lb_target_group.app`."""
DEFAULT_DEREGISTRATION_DELAY: Final = 300
"""What an Elastic Load Balancing target group drains for when the configuration is silent."""
DEFAULT_COOLDOWN: Final = 300
"""AWS's fallback for a policy's warmup when neither it nor the group sets one."""


def scaling_setup(config: Configuration | None = None) -> ScalingSetup:
    """The group and every scaling policy attached to it, as configured."""
    config = config or configuration()
    group_body = config.resource("aws_autoscaling_group", GROUP)
    target_group = config.resource("aws_lb_target_group", GROUP)
    warmup = group_body.get("default_instance_warmup", group_body.get("default_cooldown"))
    group = Group(
        min_size=_int(config, group_body["min_size"]),
        max_size=_int(config, group_body["max_size"]),
        default_warmup_seconds=_number(config, DEFAULT_COOLDOWN if warmup is None else warmup),
        deregistration_delay_seconds=_number(
            config, target_group.get("deregistration_delay", DEFAULT_DEREGISTRATION_DELAY)
        ),
    )
    policies = tuple(
        _policy(config, name, body)
        for name, body in sorted(config.resources("aws_autoscaling_policy").items())
        if body.get("autoscaling_group_name") == f"${{aws_autoscaling_group.{GROUP}.name}}"
    )
    return ScalingSetup(group, policies)


def detailed_monitoring(config: Configuration | None = None) -> bool:
    """Whether the group's instances publish CPU each minute: a launch template's
    `monitoring` is off unless enabled, a launch configuration's on unless disabled."""
    config = config or configuration()
    group_body = config.resource("aws_autoscaling_group", GROUP)
    if "launch_configuration" in group_body:
        name = _referenced(group_body["launch_configuration"], "aws_launch_configuration")
        body = config.resource("aws_launch_configuration", name)
        return bool(config.value(body.get("enable_monitoring", True)))
    template = one(group_body["launch_template"])
    name = _referenced(template.get("id", template.get("name", "")), "aws_launch_template")
    monitoring = config.resource("aws_launch_template", name).get("monitoring")
    return bool(monitoring) and bool(config.value(one(monitoring).get("enabled", False)))


def _policy(config: Configuration, name: str, body: dict[str, Any]) -> Policy:
    warmup_raw = body.get("estimated_instance_warmup")
    warmup = None if warmup_raw is None else _number(config, warmup_raw)
    policy_type = body.get("policy_type", "SimpleScaling")
    if policy_type == "TargetTrackingScaling":
        tracking = one(body["target_tracking_configuration"])
        metric = one(tracking["predefined_metric_specification"])["predefined_metric_type"]
        assert metric == "ASGAverageCPUUtilization", f"{name}: the model replays CPU, not {metric}"
        assert config.value(tracking.get("disable_scale_in", False)) is True, (
            f"{name}: the model replays target tracking with scale-in disabled only"
        )
        return TargetTrackingPolicy(name, _number(config, tracking["target_value"]), warmup)
    assert policy_type == "StepScaling", f"{name}: the model does not replay {policy_type}"
    assert body.get("metric_aggregation_type", "Average") == "Average", name
    return StepScalingPolicy(
        name=name,
        alarm=_alarm(config, name),
        adjustment_type=AdjustmentType(body["adjustment_type"]),
        steps=tuple(
            StepAdjustment(
                scaling_adjustment=_int(config, step["scaling_adjustment"]),
                lower_bound=_bound(config, step.get("metric_interval_lower_bound")),
                upper_bound=_bound(config, step.get("metric_interval_upper_bound")),
            )
            for step in body["step_adjustment"]
        ),
        min_adjustment_magnitude=_int(config, body.get("min_adjustment_magnitude", 0)),
        warmup_seconds=warmup,
    )


def _alarm(config: Configuration, policy: str) -> Alarm:
    """The one alarm whose action is the policy."""
    action = f"${{aws_autoscaling_policy.{policy}.arn}}"
    found = [
        (name, body)
        for name, body in config.resources("aws_cloudwatch_metric_alarm").items()
        if action in body.get("alarm_actions", [])
    ]
    assert len(found) == 1, f"expected one alarm invoking {policy}, got {[n for n, _ in found]}"
    name, body = found[0]
    watched = (body["namespace"], body["metric_name"], body["statistic"])
    assert watched == ("AWS/EC2", "CPUUtilization", "Average"), f"{name} watches {watched}"
    assert body["dimensions"] == {
        "AutoScalingGroupName": f"${{aws_autoscaling_group.{GROUP}.name}}"
    }, f"{name} is not on the group's average: {body['dimensions']}"
    assert _int(config, body["period"]) == ONE_MINUTE, f"{name}: the model has 1-minute periods"
    periods = _int(config, body["evaluation_periods"])
    return Alarm(
        name=name,
        threshold=_number(config, body["threshold"]),
        comparison=Comparison(body["comparison_operator"]),
        evaluation_periods=periods,
        datapoints_to_alarm=_int(config, body.get("datapoints_to_alarm", periods)),
    )


def _referenced(expression: str, type_: str) -> str:
    """`${aws_launch_template.app.id}` -> `app`."""
    prefix = f"${{{type_}."
    assert expression.startswith(prefix), f"expected a reference to a {type_}: {expression}"
    return expression.removeprefix(prefix).split(".")[0]


def _number(config: Configuration, raw: Any) -> float:
    return float(config.value(raw))


def _int(config: Configuration, raw: Any) -> int:
    value = _number(config, raw)
    assert value.is_integer(), f"expected a whole number, got {raw!r}"
    return int(value)


def _bound(config: Configuration, raw: Any) -> float | None:
    return None if raw is None else _number(config, raw)
