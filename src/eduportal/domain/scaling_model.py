"""A replay of CloudWatch alarms and EC2 Auto Scaling on the configured policies, so the
scaling budgets of requirement 10 are checked here, where no AWS account is.

Time advances in fixed steps from 0; everything is deterministic. What AWS does, as its
documentation describes it (the rules themselves are in `domain.scaling_policies`):

- EC2's detailed monitoring gives a CPUUtilization datapoint per minute; the group's datapoint
  for the minute [t, t+60) is the average over that minute of the instances it counts, and
  alarms can read it `publication_delay_seconds` after the minute ends.
- CloudWatch evaluates every alarm each minute, and an alarm whose action is an Auto Scaling
  policy invokes it each minute it stays in ALARM, not only when it enters it (AWS knowledge
  center, "Why doesn't my CloudWatch alarm's state change invoke my Amazon EC2 Auto Scaling
  policy"). A policy acts on the newest datapoint.
- A launched instance is in service `instance_start_seconds` after the scaling activity
  begins and takes its share of the load from then on; its CPU joins the group's average once
  its warmup has passed (the warmup counts from entering service). While any instance is
  launching or warming up, scale-out counts it toward the capacity it adds to and scale-in
  waits.
- A removed instance is deregistered at once (the load balancer sends it nothing new, so it
  neither carries load nor counts in the average: both make the model slower to scale in,
  never faster), drains for the target group's deregistration delay, then takes
  `instance_stop_seconds` to terminate; it stays in the group, `Terminating`, until then.
- Load is offered in CPU-percent of one instance and spread evenly over the instances in
  service; an instance cannot pass 100 %.

The two figures are measured by the scaling watch's own verdicts
(`domain.scaling_verdicts`) on what a poll each step would have seen, so the model and a live
watch are judged by one rule. Times the model computes between steps take effect at the next
step, which can only lengthen a measured figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from eduportal.domain.scaling import IN_SERVICE, CpuPoint, InstanceState, Sample
from eduportal.domain.scaling_policies import (
    ONE_MINUTE,
    AlarmStatus,
    Policy,
    ScalingSetup,
    StepScalingPolicy,
)
from eduportal.domain.scaling_verdicts import (
    CPU_THRESHOLD_PERCENT,
    SCALE_IN_BUDGET_SECONDS,
    SCALE_OUT_BUDGET_SECONDS,
    Check,
    Verdict,
    scale_in_return,
    scale_out_reaction,
)

Load = Callable[[float], float]
"""Offered load at a time, in CPU-percent of one instance: 182 keeps two instances at 91 %."""
IDLE_LOAD: Final = 10.0
"""What is left when the load has ended: health checks and the odd request."""
PENDING: Final = "Pending"
TERMINATING: Final = "Terminating"


def load_between(level: float, *, start: float = 0.0, end: float = math.inf) -> Load:
    """`level` from `start` until `end`, idle before and after."""
    return lambda at: level if start <= at < end else IDLE_LOAD


@dataclass(frozen=True)
class Timings:
    """What the Terraform cannot say: how long AWS and the instances take."""

    instance_start_seconds: float = 90.0
    """From the scaling activity's start to the instance in service: boot, the application's
    start and the load balancer's first passing health checks."""
    instance_stop_seconds: float = 30.0
    """From the end of draining to the instance gone from the group."""
    publication_delay_seconds: float = 60.0
    """From the end of a minute to its datapoint being readable by alarms."""
    step_seconds: int = 5

    def __post_init__(self) -> None:
        if self.step_seconds <= 0 or ONE_MINUTE % self.step_seconds:
            raise ValueError(f"step_seconds must divide a minute, got {self.step_seconds}")


class EventKind(StrEnum):
    START = "start"
    LOAD = "load"
    DATAPOINT = "datapoint"
    ALARM = "alarm"
    INVOKED = "policy"
    WAITS = "scale-in waits"
    DESIRED = "desired"
    LAUNCHED = "launched"
    IN_SERVICE = "in service"
    WARMED = "warmed up"
    TERMINATING = "terminating"
    LEFT = "left"


@dataclass(frozen=True)
class ModelEvent:
    at: float
    kind: EventKind
    text: str
    desired: int
    """The group as it stood after the event."""
    in_service: int


@dataclass(frozen=True)
class Timeline:
    """One run of the model: what happened, what a watch would have polled, and the two
    figures requirement 10 budgets."""

    setup: ScalingSetup
    timings: Timings
    events: tuple[ModelEvent, ...]
    samples: tuple[Sample, ...]
    scale_out: Check
    scale_in: Check

    @property
    def datapoints(self) -> tuple[CpuPoint, ...]:
        """Every CPU datapoint published during the run, oldest first."""
        return self.samples[-1].cpu

    def of_kind(self, kind: EventKind) -> list[ModelEvent]:
        return [event for event in self.events if event.kind is kind]

    def render(self, *checks: Check) -> str:
        """A table an operator reads top to bottom, with the configuration replayed above it
        and the verdicts below: the ones given, else both. A run made for one budget names
        that one, since the watch's rule for the other may read it differently (a scale-out
        that brings CPU under the threshold looks to it like the load ending)."""
        timings = self.timings
        lines = [
            *self.setup.describe(),
            f"model: instance start {timings.instance_start_seconds:g} s, stop "
            f"{timings.instance_stop_seconds:g} s after draining, a minute's datapoint "
            f"readable {timings.publication_delay_seconds:g} s after it ends, "
            f"{timings.step_seconds} s steps",
            "",
            f"{'time':>6}  {'desired':>7}  {'in service':>10}  event",
        ]
        lines += [
            f"{clock(e.at):>6}  {e.desired:>7}  {e.in_service:>10}  {e.kind}: {e.text}"
            for e in self.events
        ]
        lines += [
            "",
            "A policy is invoked each minute its alarm stays in ALARM; an invocation that asks "
            "for what the previous one asked is shown once.",
            *(
                f"{c.name}: {c.verdict} - {c.summary}"
                for c in checks or (self.scale_out, self.scale_in)
            ),
        ]
        return "\n".join(lines)


def clock(seconds: float) -> str:
    """`4:30`: minutes and seconds since the run began."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def simulate(
    setup: ScalingSetup,
    load: Load,
    *,
    initial_instances: int,
    duration_seconds: int,
    timings: Timings | None = None,
) -> Timeline:
    """Run the group from `initial_instances` (in service, warmed up) under `load`."""
    replay = _Replay(setup, timings or Timings(), load, initial_instances)
    step = replay.timings.step_seconds
    for at in range(0, duration_seconds + step, step):
        replay.advance(float(at))
    samples = tuple(replay.samples)
    return Timeline(
        setup=setup,
        timings=replay.timings,
        events=tuple(replay.events),
        samples=samples,
        scale_out=scale_out_reaction(samples, CPU_THRESHOLD_PERCENT, SCALE_OUT_BUDGET_SECONDS),
        scale_in=scale_in_return(samples, CPU_THRESHOLD_PERCENT, SCALE_IN_BUDGET_SECONDS),
    )


def largest_instance_start(
    setup: ScalingSetup,
    load: Load,
    *,
    initial_instances: int,
    duration_seconds: int,
    timings: Timings | None = None,
) -> int | None:
    """The slowest instance start, in whole seconds, with which the model still scales out
    within the budget; None if even an instant start misses it. Found by bisection, since a
    slower start can only put the first new instance in service later."""

    def meets(start: int) -> bool:
        timeline = simulate(
            setup,
            load,
            initial_instances=initial_instances,
            duration_seconds=duration_seconds,
            timings=replace(timings or Timings(), instance_start_seconds=float(start)),
        )
        return timeline.scale_out.verdict is Verdict.PASS

    if not meets(0):
        return None
    passing, failing = 0, math.ceil(SCALE_OUT_BUDGET_SECONDS) + 1
    while failing - passing > 1:
        middle = (passing + failing) // 2
        passing, failing = (middle, failing) if meets(middle) else (passing, middle)
    return passing


@dataclass
class _Instance:
    instance_id: str
    in_service_at: float
    warm_at: float
    state: str = PENDING
    warmed: bool = False
    leaves_at: float = math.inf


@dataclass(frozen=True)
class _Proposal:
    policy: Policy
    capacity: int
    """The desired capacity the policy asks for, within the group's bounds."""
    reason: str


@dataclass
class _Replay:
    """The mutable state of one run; `simulate` is its only user."""

    setup: ScalingSetup
    timings: Timings
    load: Load
    initial_instances: int
    desired: int = 0
    instances: list[_Instance] = field(default_factory=list)
    events: list[ModelEvent] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    published: list[CpuPoint] = field(default_factory=list)
    unpublished: list[tuple[float, CpuPoint]] = field(default_factory=list)
    minute_total: float = 0.0
    minute_count: int = 0
    alarm_states: dict[str, AlarmStatus] = field(default_factory=dict)
    last_asked: dict[str, tuple[int, int]] = field(default_factory=dict)
    offered: float | None = None
    launched: int = 0

    def __post_init__(self) -> None:
        group = self.setup.group
        if group.clamp(self.initial_instances) != self.initial_instances:
            raise ValueError(
                f"{self.initial_instances} instances is outside the group's "
                f"{group.min_size}..{group.max_size}"
            )
        for _ in range(self.initial_instances):
            instance = self._new_instance(0.0, 0.0)
            instance.state, instance.warmed = IN_SERVICE, True
        self.desired = self.initial_instances
        self._note(
            0.0,
            EventKind.START,
            f"{self.initial_instances} in service and warmed up",
        )

    def advance(self, at: float) -> None:
        self._instances_progress(at)
        self._offer(at)
        if at > 0 and at % ONE_MINUTE == 0:
            self._close_minute(at)
        self._publish(at)
        if at % ONE_MINUTE == 0:
            self._evaluate_alarms(at)
        self._measure()
        self.samples.append(self._sample(at))

    def _serving(self) -> list[_Instance]:
        return [i for i in self.instances if i.state == IN_SERVICE]

    def _warming(self) -> list[_Instance]:
        return [i for i in self.instances if i.state != TERMINATING and not i.warmed]

    def _note(self, at: float, kind: EventKind, text: str) -> None:
        self.events.append(ModelEvent(at, kind, text, self.desired, len(self._serving())))

    def _new_instance(self, at: float, warmup: float) -> _Instance:
        self.launched += 1
        start = self.timings.instance_start_seconds
        instance = _Instance(f"i-{self.launched}", at + start, at + start + warmup)
        self.instances.append(instance)
        return instance

    def _instances_progress(self, at: float) -> None:
        for instance in list(self.instances):
            if instance.state == PENDING and at >= instance.in_service_at:
                instance.state = IN_SERVICE
                self._note(at, EventKind.IN_SERVICE, f"{instance.instance_id} takes its share")
            if instance.state == IN_SERVICE and not instance.warmed and at >= instance.warm_at:
                instance.warmed = True
                self._note(
                    at,
                    EventKind.WARMED,
                    f"{instance.instance_id}'s CPU now counts in the group's average",
                )
            if instance.state == TERMINATING and at >= instance.leaves_at:
                self.instances.remove(instance)
                self._note(at, EventKind.LEFT, f"{instance.instance_id} terminated")

    def _offer(self, at: float) -> None:
        offered = self.load(at)
        if offered != self.offered:
            self.offered = offered
            serving = len(self._serving())
            self._note(
                at,
                EventKind.LOAD,
                f"{offered:g} % of one instance ({_cpu(offered, serving):.1f} % on each of "
                f"{serving} in service)",
            )

    def _measure(self) -> None:
        """Add this step to the minute's average: the CPU of each instance in service that
        has warmed up."""
        serving = self._serving()
        counted = sum(1 for instance in serving if instance.warmed)
        self.minute_total += _cpu(self.offered or 0.0, len(serving)) * counted
        self.minute_count += counted

    def _close_minute(self, at: float) -> None:
        if self.minute_count:
            point = CpuPoint(at - ONE_MINUTE, self.minute_total / self.minute_count)
            self.unpublished.append((at + self.timings.publication_delay_seconds, point))
        self.minute_total, self.minute_count = 0.0, 0

    def _publish(self, at: float) -> None:
        due = [point for readable, point in self.unpublished if readable <= at]
        self.unpublished = [(r, p) for r, p in self.unpublished if r > at]
        for point in due:
            self.published.append(point)
            self._note(
                at,
                EventKind.DATAPOINT,
                f"CPU {clock(point.at)}-{clock(point.at + ONE_MINUTE)}: {point.percent:.1f} %",
            )

    def _evaluate_alarms(self, at: float) -> None:
        values = [point.percent for point in self.published]
        proposals = []
        for policy in self.setup.policies:
            alarm = policy.alarm
            status = alarm.status(values)
            before = self.alarm_states.get(alarm.name, AlarmStatus.INSUFFICIENT_DATA)
            if status is not before:
                self.alarm_states[alarm.name] = status
                self.last_asked.pop(policy.name, None)
                self._note(at, EventKind.ALARM, f"{alarm.name} {before} -> {status}")
            if status is AlarmStatus.ALARM:
                proposals.append(self._invoke(policy, values[-1]))
        if proposals:
            self._decide(at, proposals)

    def _invoke(self, policy: Policy, percent: float) -> _Proposal:
        """What one policy asks for on the newest datapoint. Scale-out adds to the capacity
        less the instances still launching or warming, never below what is already desired;
        scale-in takes from the desired capacity."""
        warming = len(self._warming())
        settled = self.desired - warming
        aside = f" ({warming} launching or warming up count toward it)" if warming else ""
        if not isinstance(policy, StepScalingPolicy):
            wanted = policy.capacity(percent, settled)
            reason = f"ceil({settled} x {percent:.1f} / {policy.target:g}) = {wanted}{aside}"
            return self._proposal(policy, max(self.desired, wanted), reason)
        step = policy.step(percent)
        if step is None:
            return _Proposal(policy, self.desired, f"{percent:.1f} % is in none of its steps")
        if step.scaling_adjustment > 0:
            change = policy.change(step, settled)
            reason = f"{settled} settled {change:+d}{aside}"
            return self._proposal(policy, max(self.desired, settled + change), reason)
        change = policy.change(step, self.desired)
        return self._proposal(policy, self.desired + change, f"{self.desired} {change:+d}")

    def _proposal(self, policy: Policy, wanted: int, reason: str) -> _Proposal:
        """`wanted` held within the group's bounds, saying so when it had to be."""
        group = self.setup.group
        capacity = group.clamp(wanted)
        if capacity != wanted:
            bound = "maximum" if wanted > capacity else "minimum"
            reason = f"{reason}, held to the group's {bound}"
        return _Proposal(policy, capacity, reason)

    def _decide(self, at: float, proposals: list[_Proposal]) -> None:
        """Apply the proposal giving the larger capacity, as Auto Scaling does when policies
        are invoked together; scale-in waits while any instance warms up."""
        for proposal in proposals:
            asked = (proposal.capacity, self.desired)
            if self.last_asked.get(proposal.policy.name) != asked:
                self.last_asked[proposal.policy.name] = asked
                self._note(
                    at,
                    EventKind.INVOKED,
                    f"{proposal.policy.name} asks for {proposal.capacity}: {proposal.reason}",
                )
        chosen = max(proposals, key=lambda proposal: proposal.capacity)
        if chosen.capacity == self.desired:
            return
        warming = self._warming()
        if chosen.capacity < self.desired and warming:
            until = max(instance.warm_at for instance in warming)
            self._note(
                at,
                EventKind.WAITS,
                f"{len(warming)} instance(s) warming up until {clock(until)}",
            )
            return
        before, self.desired = self.desired, chosen.capacity
        self._note(at, EventKind.DESIRED, f"{before} -> {self.desired} ({chosen.policy.name})")
        if self.desired > before:
            warmup = self.setup.warmup(chosen.policy)
            for _ in range(self.desired - before):
                instance = self._new_instance(at, warmup)
                self._note(
                    at,
                    EventKind.LAUNCHED,
                    f"{instance.instance_id}, in service at {clock(instance.in_service_at)}",
                )
        else:
            self._remove(at, before - self.desired)

    def _remove(self, at: float, count: int) -> None:
        """Deregister the newest instances in service: all are alike here, so which ones AWS's
        termination policy would pick does not change a figure."""
        drain = self.setup.group.deregistration_delay_seconds
        for instance in self._serving()[-count:]:
            instance.state = TERMINATING
            instance.leaves_at = at + drain + self.timings.instance_stop_seconds
            self._note(
                at,
                EventKind.TERMINATING,
                f"{instance.instance_id} deregistered, drains {drain:g} s, gone at "
                f"{clock(instance.leaves_at)}",
            )

    def _sample(self, at: float) -> Sample:
        group = self.setup.group
        return Sample(
            at=at,
            desired=self.desired,
            min_size=group.min_size,
            max_size=group.max_size,
            instances=tuple(
                InstanceState(instance.instance_id, instance.state, "Healthy")
                for instance in self.instances
            ),
            cpu=tuple(self.published),
        )


def _cpu(offered: float, serving: int) -> float:
    """Each instance's CPU when `serving` instances share the load evenly."""
    return min(100.0, offered / serving) if serving else 0.0
