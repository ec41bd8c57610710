"""The events of a scaling watch, read from hand-built samples."""

from __future__ import annotations

from eduportal.domain.scaling import CpuPoint
from eduportal.domain.scaling_events import (
    EventKind,
    ScalingWindow,
    alarm_events,
    cpu_series,
    crossings,
    desired_events,
    instance_events,
    scaling_windows,
    timeline_events,
)
from tests.support.scaling_samples import TG, poll


def test_a_period_read_again_keeps_its_latest_value() -> None:
    """CloudWatch revises a period as late data arrives: the later poll's reading wins."""
    samples = [
        poll(60, points={0: 40, 60: 65}),
        poll(120, points={0: 40, 60: 80, 120: 90}),
    ]
    assert cpu_series(samples) == [CpuPoint(0, 40), CpuPoint(60, 80), CpuPoint(120, 90)]


def test_crossings_are_strictly_above_like_the_alarm() -> None:
    points = [CpuPoint(0, 50), CpuPoint(60, 70), CpuPoint(120, 70.1), CpuPoint(180, 70)]
    events = crossings(points, 70)
    assert [(e.kind, e.at, e.before, e.after) for e in events] == [
        (EventKind.CPU_ABOVE, 120, "70.0", "70.1"),
        (EventKind.CPU_BELOW, 180, "70.1", "70.0"),
    ]


def test_no_crossing_when_cpu_stays_on_one_side() -> None:
    assert crossings([CpuPoint(0, 90), CpuPoint(60, 95)], 70) == []
    assert crossings([CpuPoint(0, 10)], 70) == []
    assert crossings([], 70) == []


def test_instances_launched_in_service_and_terminated() -> None:
    samples = [
        poll(0, in_service=["i-1"], pending=["i-0"]),
        poll(15, in_service=["i-1", "i-0"], pending=["i-2"]),
        poll(30, in_service=["i-1", "i-0", "i-2"]),
        poll(45, in_service=["i-1", "i-2"], leaving=["i-0"]),
        poll(60, in_service=["i-2"]),
    ]
    events = [(e.at, e.kind, e.subject, e.after) for e in instance_events(samples)]
    assert events == [
        (15, EventKind.IN_SERVICE, "i-0", "InService"),
        (15, EventKind.LAUNCHED, "i-2", "Pending"),
        (30, EventKind.IN_SERVICE, "i-2", "InService"),
        (45, EventKind.TERMINATED, "i-0", "Terminating"),
        (60, EventKind.TERMINATED, "i-1", "left the group"),
    ]


def test_an_instance_in_service_at_once_is_launched_and_in_service_at_that_poll() -> None:
    events = instance_events([poll(0), poll(15, in_service=["i-1", "i-2"])])
    assert [(e.kind, e.subject) for e in events] == [
        (EventKind.LAUNCHED, "i-2"),
        (EventKind.IN_SERVICE, "i-2"),
    ]


def test_alarm_changes_carry_cloudwatchs_time_or_the_polls() -> None:
    samples = [
        poll(0, alarms={"high": "OK", "low": "ALARM"}),
        poll(15, alarms={"high": "ALARM", "low": "ALARM"}, alarm_times={"high": 9.5}),
        poll(30, alarms={"high": "ALARM", "low": "OK"}),
    ]
    assert [(e.at, e.subject, e.before, e.after) for e in alarm_events(samples)] == [
        (9.5, "high", "OK", "ALARM"),
        (30, "low", "ALARM", "OK"),
    ]


def test_desired_capacity_changes() -> None:
    samples = [poll(0), poll(15, desired=3), poll(30, desired=3), poll(45, desired=1)]
    assert [(e.at, e.before, e.after) for e in desired_events(samples)] == [
        (15, "1", "3"),
        (45, "3", "1"),
    ]


def test_timeline_events_are_in_time_order() -> None:
    samples = [
        poll(0, points={-60: 20}, alarms={"high": "OK"}),
        poll(60, points={-60: 20, 0: 90}, alarms={"high": "ALARM"}, alarm_times={"high": 50}),
        poll(90, in_service=["i-1", "i-2"]),
    ]
    kinds = [e.kind for e in timeline_events(samples, 70)]
    assert kinds == [
        EventKind.CPU_ABOVE,
        EventKind.ALARM,
        EventKind.LAUNCHED,
        EventKind.IN_SERVICE,
        EventKind.DESIRED,
    ]
    assert all(e.describe() for e in timeline_events(samples, 70))


def test_a_scale_out_window_lasts_until_the_group_is_steady() -> None:
    samples = [
        poll(0),
        poll(15, desired=3),
        poll(30, in_service=["i-1"], pending=["i-2", "i-3"]),
        poll(45, in_service=["i-1", "i-2", "i-3"]),
        poll(60, in_service=["i-1", "i-2", "i-3"]),
    ]
    assert scaling_windows(samples) == [ScalingWindow("scale-out", 0, 45, 1, 3, completed=True)]


def test_a_scale_in_window_and_one_left_open() -> None:
    samples = [
        poll(0, in_service=["i-1", "i-2"]),
        poll(15, in_service=["i-1"], leaving=["i-2"], desired=1),
        poll(30, in_service=["i-1"]),
        poll(45, in_service=["i-1"], desired=2),
        poll(60, in_service=["i-1"], pending=["i-3"]),
    ]
    assert scaling_windows(samples) == [
        ScalingWindow("scale-in", 0, 30, 2, 1, completed=True),
        ScalingWindow("scale-out", 30, 60, 1, 2, completed=False),
    ]


def test_a_window_that_ends_where_it_began() -> None:
    samples = [poll(0), poll(15, desired=3), poll(30, desired=1), poll(45)]
    assert scaling_windows(samples) == [
        ScalingWindow("scale-out-and-in", 0, 30, 1, 1, completed=True)
    ]


def test_a_change_the_group_absorbed_between_two_polls() -> None:
    """moto (and a fast group) can be steady at the very poll that sees the new desired."""
    samples = [poll(0), poll(15, in_service=["i-1", "i-2"])]
    assert scaling_windows(samples) == [ScalingWindow("scale-out", 0, 15, 1, 2, completed=True)]


def test_no_samples_no_events() -> None:
    assert timeline_events([], 70) == []
    assert scaling_windows([]) == []


def test_healthy_counts_instances_passing_in_every_target_group() -> None:
    other = TG.replace("/web/", "/api/")
    sample = poll(0, in_service=["i-1", "i-2", "i-3"], unhealthy=["i-2"], target_groups=(TG, other))
    assert sample.healthy == 2
    assert poll(0, in_service=["i-1", "i-2"], unregistered=["i-2"]).healthy == 1
