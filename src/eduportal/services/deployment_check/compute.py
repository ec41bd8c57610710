"""The Auto Scaling group's rules: requirement 10 (the CPU alarms run a scale-out and a scale-in
policy) and the instances' hardening (IMDSv2 only, so a request forged through the portal
cannot read the instance role's credentials; EBS volumes encrypted)."""

from __future__ import annotations

from collections.abc import Callable

from eduportal.domain.deployment import (
    AlarmSettings,
    LaunchTemplateSettings,
    ScalingGroupSettings,
    ScalingPolicy,
)
from eduportal.domain.deployment_outputs import DeploymentOutputs
from eduportal.domain.errors import EduportalError
from eduportal.services.deployment_check.rules import Finding, Rule, listed, setting

REQUIRED_TOKENS = "required"


def scaling_rules(
    outputs: DeploymentOutputs,
    cpu_high: AlarmSettings | EduportalError,
    cpu_low: AlarmSettings | EduportalError,
) -> list[Rule[ScalingGroupSettings]]:
    """`cpu_high` and `cpu_low`: the alarms as read for their own checks, or why they could
    not be."""
    high, low = outputs.alarms["cpu_high"], outputs.alarms["cpu_low"]
    return [
        Rule(
            "scale-out policy",
            f"a policy of the group run by the alarm {high}",
            lambda g: setting(g.policies, lambda found: _run_by(found, high, cpu_high)),
        ),
        Rule(
            "scale-in policy",
            f"a policy of the group run by the alarm {low}",
            lambda g: setting(g.policies, lambda found: _run_by(found, low, cpu_low)),
        ),
        Rule(
            "instance metadata IMDSv2",
            f"HttpTokens {REQUIRED_TOKENS} in the group's launch template",
            lambda g: setting(g.launch_template, _from_template(_imdsv2)),
        ),
        Rule(
            "instance volume encryption",
            "every EBS volume encrypted, by the launch template or by the account's default",
            lambda g: setting(g.launch_template, _from_template(_volumes)),
        ),
    ]


def _run_by(
    policies: tuple[ScalingPolicy, ...], name: str, alarm: AlarmSettings | EduportalError
) -> Finding:
    """A policy is run by an alarm that Auto Scaling lists for it, or whose actions name the
    policy's ARN: AWS fills both, but either alone is enough to run it."""
    actions = () if isinstance(alarm, EduportalError) else alarm.actions
    run = [p.name for p in policies if name in p.alarm_names or p.arn in actions]
    if run:
        return Finding(True, f"policy {listed(run)}")
    unread = (
        f"; the alarm could not be read: {alarm.user_message}"
        if isinstance(alarm, EduportalError)
        else ""
    )
    return Finding(
        False,
        f"no policy run by {name} (policies: {listed(p.name for p in policies)}){unread}",
    )


def _from_template(
    judge: Callable[[LaunchTemplateSettings], Finding],
) -> Callable[[LaunchTemplateSettings | None], Finding]:
    def judged(template: LaunchTemplateSettings | None) -> Finding:
        if template is None:
            return Finding(False, "the group launches from a launch configuration")
        return judge(template)

    return judged


def _imdsv2(template: LaunchTemplateSettings) -> Finding:
    tokens = template.http_tokens or "not set (optional)"
    return Finding(
        template.http_tokens == REQUIRED_TOKENS,
        f"HttpTokens {tokens} in {template.name} version {template.version}",
    )


def _volumes(template: LaunchTemplateSettings) -> Finding:
    volumes = template.volumes
    if volumes and all(v.encrypted for v in volumes):
        return Finding(True, f"encrypted in {template.name}: {listed(v.device for v in volumes)}")
    plain = [v.device for v in volumes if not v.encrypted]
    said = f"not encrypted in {template.name}: {listed(plain)}" if plain else "no EBS volume"
    return setting(
        template.encryption_by_default,
        lambda on: Finding(
            on,
            f"{said}, but the account encrypts every new volume"
            if on
            else f"{said}, and the account does not encrypt new volumes by default",
        ),
    )
