"""The verdicts of a scaling watch (requirement 10, properties 27 and 28), from its samples.

- **Scale-out reaction** (10.2): from CPU first crossing the threshold to a *new* instance in
  service, within 5 minutes. The crossing's time is the start of the first CloudWatch period
  above the threshold, which makes the figure conservative by up to one period. A new instance
  is one that was not in the group at any poll before the first poll that saw the crossing:
  the scaling alarm reads the same published data, so an instance already there (launched by
  hand, by a schedule, or replacing an unhealthy one) cannot be its reaction, whatever the two
  clocks say.
- **Scale-in** (10.3): from the load ending (the first period below the threshold after the
  last one above it) to the group back at its minimum for good (the start of the last run of
  polls that found it there), within 10 minutes.
- **Every instance healthy** (10.4, property 28): each instance seen in service passed the
  load balancer's health check (`/readyz`) in every target group of the group at some poll.
  A load balancer needs a few passing checks in a row (5 x 30 s by default) before it calls a
  target healthy, so an instance in service for less than a grace period when the watch ended
  is not held against the group.

A budget the window did not cover is *not observed*, never passed: the watch ended before the
event it waits for could have happened or failed to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from eduportal.domain.scaling import HEALTHY_TARGET, Sample
from eduportal.domain.scaling_events import EventKind, cpu_series, crossings

SCALE_OUT_BUDGET_SECONDS: Final = 5 * 60.0
"""Requirement 10.2: above 70 % CPU, the group scales up within 5 minutes."""
SCALE_IN_BUDGET_SECONDS: Final = 10 * 60.0
"""Requirement 10.3: when load falls, the group is back at its minimum within 10 minutes."""
HEALTH_GRACE_SECONDS: Final = 5 * 60.0
"""Twice what an Application Load Balancer needs by default (5 healthy checks 30 s apart) to
call a new target healthy."""
CPU_THRESHOLD_PERCENT: Final = 70.0
"""Requirement 10.2's threshold, the scaling policy's."""


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    FAIL = "fail"
    NOT_OBSERVED = "not observed"


@dataclass(frozen=True)
class Budgets:
    scale_out_seconds: float = SCALE_OUT_BUDGET_SECONDS
    scale_in_seconds: float = SCALE_IN_BUDGET_SECONDS
    health_grace_seconds: float = HEALTH_GRACE_SECONDS


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    summary: str
    """One sentence for a person: the figure, the budget, or why there is no figure."""
    seconds: float | None = None
    budget_seconds: float | None = None
    started_at: float | None = None
    """The crossing, or the load's end."""
    ended_at: float | None = None
    """The poll that saw the new instance in service, or the group back at its minimum."""


@dataclass(frozen=True)
class NeverHealthy:
    """An instance in service that no poll found healthy in every target group."""

    instance_id: str
    in_service_seconds: float
    """From the first to the last poll that saw it in service."""
    last_states: tuple[str, ...]
    """Per target group, the last state seen: `tg/abc: unhealthy (Target.Timeout)`."""


@dataclass(frozen=True)
class ScalingReport:
    threshold: float
    budgets: Budgets
    scale_out: Check
    scale_in: Check
    target_health: Check
    never_healthy: tuple[NeverHealthy, ...] = field(default=())

    @property
    def checks(self) -> tuple[Check, Check, Check]:
        return (self.scale_out, self.scale_in, self.target_health)

    @property
    def verdict(self) -> Verdict:
        """Failed if any check failed; else not observed if any was not; else passed."""
        verdicts = {check.verdict for check in self.checks}
        if Verdict.FAIL in verdicts:
            return Verdict.FAIL
        if Verdict.NOT_OBSERVED in verdicts:
            return Verdict.NOT_OBSERVED
        return Verdict.PASS


def evaluate(
    samples: Sequence[Sample],
    *,
    threshold: float = CPU_THRESHOLD_PERCENT,
    budgets: Budgets | None = None,
) -> ScalingReport:
    budgets = budgets or Budgets()
    healthy, never = target_health(samples, budgets.health_grace_seconds)
    return ScalingReport(
        threshold=threshold,
        budgets=budgets,
        scale_out=scale_out_reaction(samples, threshold, budgets.scale_out_seconds),
        scale_in=scale_in_return(samples, threshold, budgets.scale_in_seconds),
        target_health=healthy,
        never_healthy=never,
    )


def scale_out_reaction(samples: Sequence[Sample], threshold: float, budget: float) -> Check:
    name = "scale-out"
    points = cpu_series(samples)
    if not points:
        return Check(name, Verdict.NOT_OBSERVED, _NO_CPU, budget_seconds=budget)
    if all(point.percent <= threshold for point in points):
        highest = max(point.percent for point in points)
        return Check(
            name,
            Verdict.NOT_OBSERVED,
            f"CPU never went above {threshold:g} % (highest {highest:.1f} %): "
            "there was no load to scale out for.",
            budget_seconds=budget,
        )
    rises = [e for e in crossings(points, threshold) if e.kind is EventKind.CPU_ABOVE]
    if not rises:
        return Check(
            name,
            Verdict.NOT_OBSERVED,
            f"CPU was already above {threshold:g} % when the watch began, so when it crossed "
            "is unknown: start the watch before the load.",
            budget_seconds=budget,
        )
    crossed = rises[0].at
    seen = next(
        index
        for index, sample in enumerate(samples)
        if any(p.at == crossed and p.percent > threshold for p in sample.cpu)
    )
    there_before = {i.instance_id for s in (samples[0], *samples[:seen]) for i in s.instances}
    for sample in samples[seen:]:
        new = [i for i in sample.instances if i.in_service and i.instance_id not in there_before]
        if new:
            seconds = max(0.0, sample.at - crossed)
            verdict = Verdict.PASS if seconds <= budget else Verdict.FAIL
            return Check(
                name,
                verdict,
                f"{new[0].instance_id} was in service {spoken(seconds)} after CPU crossed "
                f"{threshold:g} % (budget {spoken(budget)}).",
                seconds=seconds,
                budget_seconds=budget,
                started_at=crossed,
                ended_at=sample.at,
            )
    watched = samples[-1].at - crossed
    if watched <= budget:
        return Check(
            name,
            Verdict.NOT_OBSERVED,
            f"The watch ended {spoken(watched)} after CPU crossed {threshold:g} %, before the "
            f"{spoken(budget)} budget ran out, with no new instance in service yet.",
            budget_seconds=budget,
            started_at=crossed,
        )
    at_max = samples[seen].desired >= samples[seen].max_size
    return Check(
        name,
        Verdict.FAIL,
        f"No new instance was in service {spoken(watched)} after CPU crossed "
        f"{threshold:g} % (budget {spoken(budget)})"
        + (
            f"; the group was already at its maximum size, {samples[seen].max_size}."
            if at_max
            else "."
        ),
        budget_seconds=budget,
        started_at=crossed,
    )


def scale_in_return(samples: Sequence[Sample], threshold: float, budget: float) -> Check:
    name = "scale-in"
    points = cpu_series(samples)
    if not points:
        return Check(name, Verdict.NOT_OBSERVED, _NO_CPU, budget_seconds=budget)
    above = [index for index, point in enumerate(points) if point.percent > threshold]
    if not above:
        return Check(
            name,
            Verdict.NOT_OBSERVED,
            f"CPU never went above {threshold:g} %: there was no load to end.",
            budget_seconds=budget,
        )
    if above[-1] == len(points) - 1:
        return Check(
            name,
            Verdict.NOT_OBSERVED,
            f"CPU was still above {threshold:g} % when the watch ended: the load had not "
            "ended yet.",
            budget_seconds=budget,
        )
    ended = points[above[-1] + 1].at
    back = _final_run_at_minimum(samples)
    if back is not None:
        seconds = max(0.0, back.at - ended)
        verdict = Verdict.PASS if seconds <= budget else Verdict.FAIL
        return Check(
            name,
            verdict,
            f"The group was back at its minimum ({_instances(back.min_size)}) "
            f"{spoken(seconds)} after the load ended (budget {spoken(budget)}).",
            seconds=seconds,
            budget_seconds=budget,
            started_at=ended,
            ended_at=back.at,
        )
    last = samples[-1]
    watched = last.at - ended
    state = (
        f"{len(last.instances)} instances ({last.in_service} in service), desired "
        f"{last.desired}, minimum {last.min_size}"
    )
    if watched <= budget:
        return Check(
            name,
            Verdict.NOT_OBSERVED,
            f"The watch ended {spoken(watched)} after the load ended, before the "
            f"{spoken(budget)} budget ran out; the group had {state}.",
            budget_seconds=budget,
            started_at=ended,
        )
    return Check(
        name,
        Verdict.FAIL,
        f"The group was not back at its minimum {spoken(watched)} after the load ended "
        f"(budget {spoken(budget)}): {state}.",
        budget_seconds=budget,
        started_at=ended,
    )


def target_health(
    samples: Sequence[Sample], grace: float
) -> tuple[Check, tuple[NeverHealthy, ...]]:
    name = "target-health"
    if not any(sample.target_groups for sample in samples):
        return (
            Check(
                name,
                Verdict.NOT_OBSERVED,
                "The group has no target group, so no load balancer checked its instances.",
            ),
            (),
        )
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    expected: dict[str, set[str]] = {}
    healthy: dict[str, set[str]] = {}
    states: dict[tuple[str, str], str] = {}
    for sample in samples:
        for instance in sample.instances:
            if instance.in_service:
                iid = instance.instance_id
                first.setdefault(iid, sample.at)
                last[iid] = sample.at
                expected.setdefault(iid, set()).update(sample.target_groups)
        for target in sample.targets:
            reason = f" ({target.reason})" if target.reason else ""
            states[(target.instance_id, target.target_group)] = target.state + reason
            if target.state == HEALTHY_TARGET:
                healthy.setdefault(target.instance_id, set()).add(target.target_group)
    never = tuple(
        NeverHealthy(
            instance_id=iid,
            in_service_seconds=last[iid] - first[iid],
            last_states=tuple(
                f"{_short(tg)}: {states.get((iid, tg), 'not registered')}"
                for tg in sorted(groups - healthy.get(iid, set()))
            ),
        )
        for iid, groups in expected.items()
        if groups - healthy.get(iid, set())
    )
    failing = [n for n in never if n.in_service_seconds >= grace]
    if failing:
        listed = "; ".join(f"{n.instance_id} ({', '.join(n.last_states)})" for n in failing)
        summary = (
            f"{len(failing)} of {len(expected)} instances in service never passed the load "
            f"balancer's health check (/readyz): {listed}."
        )
        return Check(name, Verdict.FAIL, summary, budget_seconds=grace), never
    if never:
        listed = ", ".join(f"{n.instance_id} ({spoken(n.in_service_seconds)})" for n in never)
        summary = (
            f"Not yet healthy when the watch ended, in service for less than the "
            f"{spoken(grace)} a health check may take to settle: {listed}."
        )
        return Check(name, Verdict.NOT_OBSERVED, summary, budget_seconds=grace), never
    return (
        Check(
            name,
            Verdict.PASS,
            (f"All {len(expected)} instances" if len(expected) > 1 else "The instance")
            + " in service passed the load balancer's health check (/readyz).",
            budget_seconds=grace,
        ),
        (),
    )


def spoken(seconds: float) -> str:
    """`45 s`, `4 min 10 s`, `1 h 2 min`: what a person reads in a report."""
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.1f} s" if seconds < 10 and whole != seconds else f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _final_run_at_minimum(samples: Sequence[Sample]) -> Sample | None:
    start = None
    for sample in reversed(samples):
        if not sample.at_minimum:
            break
        start = sample
    return start


def _instances(count: int) -> str:
    return f"{count} instance" if count == 1 else f"{count} instances"


def _short(target_group_arn: str) -> str:
    """`targetgroup/web/1f11b9...` → `web`: the name a person gave it."""
    parts = target_group_arn.split("/")
    return parts[1] if len(parts) >= 3 else target_group_arn


_NO_CPU: Final = (
    "CloudWatch returned no CPU data for the group (AWS/EC2 CPUUtilization by "
    "AutoScalingGroupName): check the group's name and region, and that its instances "
    "have been running for a period."
)
