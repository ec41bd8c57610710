"""What the scaling watch sees of an Auto Scaling group at one moment: a `Sample` per poll.

Requirement 10 asks for evidence that the group scales out within 5 minutes of CPU passing
70 %, back to its minimum within 10 minutes of the load ending, and that every instance can
reach the image store. The evidence is a list of samples: the analysis
(`domain.scaling_events`, `domain.scaling_verdicts`) is pure functions over it, so every rule is
tested on hand-built sequences, and a timeline written to disk can be read and judged again.

Times are seconds since the epoch (as `Clock.now`). A sample's `at` is the watcher's clock when
the poll began; a CPU point's `at` is CloudWatch's timestamp, the start of the period it
averages. The two clocks differ a little; the analysis never assumes they agree to the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

IN_SERVICE: Final = "InService"
"""The lifecycle state of an instance that serves: Auto Scaling counts it toward the desired
capacity and the load balancer sends it requests once its health check passes."""
HEALTHY_TARGET: Final = "healthy"
"""The target health of an instance whose health check (`/readyz`) passes on the load balancer."""


@dataclass(frozen=True)
class CpuPoint:
    """One CloudWatch datapoint: the group's average CPU over the period starting at `at`."""

    at: float
    percent: float


@dataclass(frozen=True)
class InstanceState:
    instance_id: str
    lifecycle_state: str
    """`Pending`, `Pending:Wait`, `InService`, `Terminating`, `Terminating:Wait`, ..."""
    health_status: str
    """Auto Scaling's own view: `Healthy` or `Unhealthy`."""

    @property
    def in_service(self) -> bool:
        return self.lifecycle_state == IN_SERVICE

    @property
    def leaving(self) -> bool:
        """On its way out: Auto Scaling is terminating it (or detaching it)."""
        return self.lifecycle_state.startswith(("Terminat", "Detach"))


@dataclass(frozen=True)
class AlarmState:
    """One CloudWatch alarm on one of the group's scaling policies."""

    name: str
    state: str
    """`OK`, `ALARM` or `INSUFFICIENT_DATA`."""
    updated_at: float | None
    """When CloudWatch says the alarm entered `state`: more precise than the poll that saw it."""


@dataclass(frozen=True)
class TargetState:
    """One instance as one of the group's target groups sees it."""

    target_group: str
    """The target group's ARN."""
    instance_id: str
    state: str
    """`initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable`."""
    reason: str = ""
    """The load balancer's reason code when not healthy (`Target.ResponseCodeMismatch`, ...)."""


@dataclass(frozen=True)
class Sample:
    """The group as one poll saw it."""

    at: float
    desired: int
    min_size: int
    max_size: int
    instances: tuple[InstanceState, ...] = ()
    cpu: tuple[CpuPoint, ...] = ()
    """The datapoints of the last few periods, oldest first: a period is published late and
    may be revised, so each poll reads a few and the analysis keeps the latest reading."""
    alarms: tuple[AlarmState, ...] = ()
    target_groups: tuple[str, ...] = ()
    """The ARNs of the target groups attached to the group."""
    targets: tuple[TargetState, ...] = ()
    """The target health of the group's instances in those target groups."""

    @property
    def in_service(self) -> int:
        return sum(1 for instance in self.instances if instance.in_service)

    @property
    def healthy(self) -> int:
        """Instances of the group healthy in every one of its target groups: serving traffic
        behind the load balancer."""
        wanted = set(self.target_groups)
        passing: dict[str, set[str]] = {}
        for target in self.targets:
            if target.state == HEALTHY_TARGET:
                passing.setdefault(target.instance_id, set()).add(target.target_group)
        members = {i.instance_id for i in self.instances}
        return sum(1 for iid, groups in passing.items() if iid in members and groups >= wanted)

    @property
    def latest_cpu(self) -> CpuPoint | None:
        return max(self.cpu, key=lambda point: point.at) if self.cpu else None

    @property
    def at_minimum(self) -> bool:
        """Back where the group rests: desired at the minimum, and exactly that many instances,
        all in service (none still launching or terminating)."""
        return (
            self.desired == self.min_size
            and len(self.instances) == self.min_size
            and self.in_service == self.min_size
        )

    def instance(self, instance_id: str) -> InstanceState | None:
        return next((i for i in self.instances if i.instance_id == instance_id), None)


@dataclass(frozen=True)
class Activity:
    """One scaling activity as Auto Scaling describes it: what it did and why."""

    activity_id: str
    status: str
    """`Successful`, `InProgress`, `Failed`, `Cancelled`, ..."""
    description: str
    cause: str
    started_at: float
    ended_at: float | None


@dataclass(frozen=True)
class GroupReading:
    """What one poll returns: the sample, and the recent scaling activities (kept apart, since
    every poll sees the same activities again; the timeline keeps each once)."""

    sample: Sample
    activities: tuple[Activity, ...] = ()
