"""Hand-built samples of an Auto Scaling group, for the scaling watch's pure analysis: each test
writes the story it checks (polls, CPU periods, instances, alarms, target health) in a few
lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eduportal.domain.scaling import AlarmState, CpuPoint, InstanceState, Sample, TargetState

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1f11b94302b5b769"


def cpu(points: Mapping[float, float]) -> tuple[CpuPoint, ...]:
    """`{period start: percent}` as CloudWatch's points, oldest first."""
    return tuple(CpuPoint(at, percent) for at, percent in sorted(points.items()))


def poll(
    at: float,
    *,
    in_service: Iterable[str] = ("i-1",),
    pending: Iterable[str] = (),
    leaving: Iterable[str] = (),
    desired: int | None = None,
    min_size: int = 1,
    max_size: int = 4,
    points: Mapping[float, float] | None = None,
    alarms: Mapping[str, str] | None = None,
    alarm_times: Mapping[str, float] | None = None,
    target_groups: tuple[str, ...] = (TG,),
    unhealthy: Iterable[str] = (),
    unregistered: Iterable[str] = (),
) -> Sample:
    """The group at one poll. Every instance in service is a healthy target unless listed in
    `unhealthy` (failing `/readyz`) or `unregistered`; `desired` defaults to the instances
    in service and pending."""
    serving, starting, going = list(in_service), list(pending), list(leaving)
    bad, absent = set(unhealthy), set(unregistered)
    instances = (
        *(InstanceState(i, "InService", "Healthy") for i in serving),
        *(InstanceState(i, "Pending", "Healthy") for i in starting),
        *(InstanceState(i, "Terminating", "Healthy") for i in going),
    )
    targets = tuple(
        TargetState(
            tg,
            i,
            "unhealthy" if i in bad else "healthy",
            "Target.ResponseCodeMismatch" if i in bad else "",
        )
        for tg in target_groups
        for i in serving
        if i not in absent
    )
    times = alarm_times or {}
    return Sample(
        at=at,
        desired=len(serving) + len(starting) if desired is None else desired,
        min_size=min_size,
        max_size=max_size,
        instances=instances,
        cpu=cpu(points or {}),
        alarms=tuple(
            AlarmState(name, state, times.get(name)) for name, state in (alarms or {}).items()
        ),
        target_groups=target_groups,
        targets=targets,
    )
