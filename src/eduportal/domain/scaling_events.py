"""What happened during a scaling watch, read from its samples: CPU crossing the threshold,
instances launched, in service and terminated, alarms changing state, the desired capacity
changing, and the windows during which the group was scaling.

Samples are taken in poll order and never reordered: the watcher's wall clock may step (NTP),
and the order of the polls is the one thing certain. CPU points are ordered by CloudWatch's
timestamps, each period by its latest reading, since CloudWatch revises a period as late data
arrives. Instance events carry the time of the first poll that saw them, so they are accurate
to one interval; alarm changes carry CloudWatch's own time of the change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from eduportal.domain.scaling import CpuPoint, Sample


class EventKind(StrEnum):
    CPU_ABOVE = "cpu_above"
    CPU_BELOW = "cpu_below"
    LAUNCHED = "instance_launched"
    IN_SERVICE = "instance_in_service"
    TERMINATED = "instance_terminated"
    ALARM = "alarm_state"
    DESIRED = "desired_capacity"


@dataclass(frozen=True)
class ScalingEvent:
    at: float
    kind: EventKind
    subject: str
    """The instance id, the alarm's name, or `cpu` / `group`."""
    before: str
    after: str
    """The state left and the state entered: `OK` → `ALARM`, `2` → `3`, `42.0` → `85.5`."""

    def describe(self) -> str:
        """One line for a person: what changed, with its values."""
        match self.kind:
            case EventKind.CPU_ABOVE:
                return f"CPU rose above the threshold: {self.before} % to {self.after} %"
            case EventKind.CPU_BELOW:
                return f"CPU fell back below the threshold: {self.before} % to {self.after} %"
            case EventKind.LAUNCHED:
                return f"{self.subject} launched ({self.after})"
            case EventKind.IN_SERVICE:
                return f"{self.subject} in service"
            case EventKind.TERMINATED:
                return f"{self.subject} terminated ({self.after})"
            case EventKind.ALARM:
                return f"alarm {self.subject}: {self.before} to {self.after}"
            case EventKind.DESIRED:
                return f"desired capacity {self.before} to {self.after}"


@dataclass(frozen=True)
class ScalingWindow:
    """A stretch during which the group was changing size: from the last poll before the
    desired capacity changed to the first poll that found the group steady again (as many
    instances as desired, all in service). The load test judges success rates within it
    (property 29)."""

    kind: str
    """`scale-out`, `scale-in`, or `scale-out-and-in` when it ended where it began."""
    started_at: float
    ended_at: float
    from_desired: int
    to_desired: int
    completed: bool
    """False when the watch ended before the group was steady: `ended_at` is the last poll."""


def cpu_series(samples: Sequence[Sample]) -> list[CpuPoint]:
    """Every CPU period seen, oldest first, each with the value of the latest poll that read
    it."""
    latest: dict[float, CpuPoint] = {}
    for sample in samples:
        for point in sample.cpu:
            latest[point.at] = point
    return [latest[at] for at in sorted(latest)]


def crossings(points: Sequence[CpuPoint], threshold: float) -> list[ScalingEvent]:
    """A crossing is a period above the threshold right after one at or below it, or the
    reverse. "Above" is strictly above, as the scaling alarm's `GreaterThanThreshold`. The
    crossing's time is the later period's start."""
    events = []
    for before, after in pairwise(points):
        rising = before.percent <= threshold < after.percent
        falling = after.percent <= threshold < before.percent
        if rising or falling:
            events.append(
                ScalingEvent(
                    at=after.at,
                    kind=EventKind.CPU_ABOVE if rising else EventKind.CPU_BELOW,
                    subject="cpu",
                    before=f"{before.percent:.1f}",
                    after=f"{after.percent:.1f}",
                )
            )
    return events


def instance_events(samples: Sequence[Sample]) -> list[ScalingEvent]:
    """Launched (first seen after the first poll), in service (first seen `InService`, for an
    instance that was not yet at the first poll or arrived later) and terminated (first seen
    terminating, or gone from the group)."""
    if not samples:
        return []
    events: list[ScalingEvent] = []
    seen = {i.instance_id for i in samples[0].instances}
    in_service = {i.instance_id for i in samples[0].instances if i.in_service}
    gone = {i.instance_id for i in samples[0].instances if i.leaving}
    for previous, sample in pairwise(samples):
        for instance in sample.instances:
            iid = instance.instance_id
            if iid not in seen:
                seen.add(iid)
                events.append(
                    ScalingEvent(sample.at, EventKind.LAUNCHED, iid, "", instance.lifecycle_state)
                )
            if instance.in_service and iid not in in_service:
                in_service.add(iid)
                events.append(ScalingEvent(sample.at, EventKind.IN_SERVICE, iid, "", "InService"))
            if instance.leaving and iid not in gone:
                gone.add(iid)
                events.append(
                    ScalingEvent(sample.at, EventKind.TERMINATED, iid, "", instance.lifecycle_state)
                )
        current = {i.instance_id for i in sample.instances}
        for old in previous.instances:
            if old.instance_id not in current and old.instance_id not in gone:
                gone.add(old.instance_id)
                events.append(
                    ScalingEvent(
                        sample.at, EventKind.TERMINATED, old.instance_id, "", "left the group"
                    )
                )
    return events


def alarm_events(samples: Sequence[Sample]) -> list[ScalingEvent]:
    """A change of an alarm's state between two polls, at CloudWatch's time of the change
    (the poll's time when CloudWatch gave none)."""
    events = []
    for previous, sample in pairwise(samples):
        before = {alarm.name: alarm.state for alarm in previous.alarms}
        for alarm in sample.alarms:
            old = before.get(alarm.name)
            if old is not None and old != alarm.state:
                at = alarm.updated_at if alarm.updated_at is not None else sample.at
                events.append(ScalingEvent(at, EventKind.ALARM, alarm.name, old, alarm.state))
    return events


def desired_events(samples: Sequence[Sample]) -> list[ScalingEvent]:
    return [
        ScalingEvent(
            sample.at, EventKind.DESIRED, "group", str(previous.desired), str(sample.desired)
        )
        for previous, sample in pairwise(samples)
        if sample.desired != previous.desired
    ]


def timeline_events(samples: Sequence[Sample], threshold: float) -> list[ScalingEvent]:
    """Every event of the watch, by time (ties in the order of the kinds above)."""
    events = [
        *crossings(cpu_series(samples), threshold),
        *instance_events(samples),
        *alarm_events(samples),
        *desired_events(samples),
    ]
    return sorted(events, key=lambda event: event.at)


def scaling_windows(samples: Sequence[Sample]) -> list[ScalingWindow]:
    """The stretches during which the group changed size, in order."""
    return list(_windows(samples))


def _steady(sample: Sample) -> bool:
    return len(sample.instances) == sample.desired == sample.in_service


def _windows(samples: Sequence[Sample]) -> Iterator[ScalingWindow]:
    opened: Sample | None = None
    for previous, sample in pairwise(samples):
        if opened is None and sample.desired != previous.desired:
            opened = previous
        if opened is not None and _steady(sample):
            yield _window(opened, sample, completed=True)
            opened = None
    if opened is not None:
        yield _window(opened, samples[-1], completed=False)


def _window(opened: Sample, closed: Sample, *, completed: bool) -> ScalingWindow:
    if closed.desired > opened.desired:
        kind = "scale-out"
    elif closed.desired < opened.desired:
        kind = "scale-in"
    else:
        kind = "scale-out-and-in"
    return ScalingWindow(
        kind=kind,
        started_at=opened.at,
        ended_at=closed.at,
        from_desired=opened.desired,
        to_desired=closed.desired,
        completed=completed,
    )
