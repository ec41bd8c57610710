"""AWS's scaling arithmetic as `domain.scaling_policies` and the model apply it, each rule on
the examples AWS's documentation gives or on a hand-built group small enough to follow."""

from __future__ import annotations

import pytest

from eduportal.domain.scaling_model import EventKind, Timings, load_between, simulate
from eduportal.domain.scaling_policies import (
    AdjustmentType,
    Alarm,
    AlarmStatus,
    Comparison,
    Group,
    ScalingSetup,
    StepAdjustment,
    StepScalingPolicy,
    TargetTrackingPolicy,
    percent_change,
)

HIGH = Alarm("high", 70.0, Comparison.GREATER, 2, 2)
LOW = Alarm("low", 30.0, Comparison.LESS, 3, 3)
SCALE_OUT = StepScalingPolicy(
    "out",
    HIGH,
    AdjustmentType.CHANGE_IN_CAPACITY,
    (StepAdjustment(1, 0.0, 20.0), StepAdjustment(2, 20.0, None)),
)
SCALE_IN = StepScalingPolicy(
    "in",
    LOW,
    AdjustmentType.PERCENT_CHANGE_IN_CAPACITY,
    (StepAdjustment(-50, None, 0.0),),
    min_adjustment_magnitude=1,
)
GROUP = Group(min_size=1, max_size=4, default_warmup_seconds=180.0, deregistration_delay_seconds=30)
SETUP = ScalingSetup(GROUP, (SCALE_OUT, SCALE_IN))


@pytest.mark.parametrize(
    ("datapoints", "status"),
    [
        ([], AlarmStatus.INSUFFICIENT_DATA),
        ([80.0], AlarmStatus.OK),
        ([80.0, 71.0], AlarmStatus.ALARM),
        ([80.0, 70.0], AlarmStatus.OK),
        ([90.0, 90.0, 50.0], AlarmStatus.OK),
        ([50.0, 90.0, 90.0], AlarmStatus.ALARM),
    ],
)
def test_an_alarm_needs_its_datapoints_among_the_latest_periods(
    datapoints: list[float], status: AlarmStatus
) -> None:
    assert HIGH.status(datapoints) is status


def test_m_of_n_counts_breaches_anywhere_in_the_window() -> None:
    three_of_five = Alarm("m-of-n", 70.0, Comparison.GREATER, 5, 3)
    assert three_of_five.status([80.0, 10.0, 80.0, 10.0, 80.0]) is AlarmStatus.ALARM
    assert three_of_five.status([80.0, 80.0, 10.0, 10.0, 80.0, 10.0]) is AlarmStatus.OK


def test_an_alarm_cannot_need_more_datapoints_than_it_evaluates() -> None:
    with pytest.raises(ValueError, match="datapoints_to_alarm"):
        Alarm("bad", 70.0, Comparison.GREATER, 2, 3)


@pytest.mark.parametrize(
    ("percent", "adjustment"),
    [(70.0, 1), (89.9, 1), (90.0, 2), (100.0, 2), (69.9, None)],
)
def test_above_the_threshold_a_step_includes_its_lower_bound(
    percent: float, adjustment: int | None
) -> None:
    step = SCALE_OUT.step(percent)
    assert (step.scaling_adjustment if step else None) == adjustment


@pytest.mark.parametrize(("percent", "matched"), [(30.0, True), (29.0, True), (30.1, False)])
def test_below_the_threshold_a_step_includes_its_upper_bound(percent: float, matched: bool) -> None:
    assert (SCALE_IN.step(percent) is not None) is matched


@pytest.mark.parametrize(
    ("percent", "capacity", "minimum", "change"),
    [
        (-50, 4, 1, -2),
        (-50, 3, 1, -1),
        (-50, 2, 1, -1),
        (-50, 1, 1, -1),
        (25, 4, 2, 2),  # AWS's MinAdjustmentMagnitude example
        (10, 4, 0, 1),  # a fraction of one instance is one
        (-10, 36, 0, -3),  # -3.6 rounds toward zero
        (0, 4, 1, 0),
    ],
)
def test_a_percent_change_rounds_toward_zero_but_moves_at_least_the_minimum(
    percent: int, capacity: int, minimum: int, change: int
) -> None:
    assert percent_change(percent, capacity, minimum) == change


def test_target_tracking_asks_for_what_brings_cpu_back_to_the_target() -> None:
    policy = TargetTrackingPolicy("tracking", 70.0)
    assert policy.capacity(91.0, 1) == 2
    assert policy.capacity(91.0, 4) == 6
    assert policy.capacity(70.0, 3) == 3
    assert (policy.alarm.evaluation_periods, policy.alarm.datapoints_to_alarm) == (3, 3)


def test_a_policy_warmup_overrides_the_group_default() -> None:
    assert SETUP.warmup(SCALE_OUT) == 180.0
    assert SETUP.warmup(TargetTrackingPolicy("tracking", 70.0, warmup_seconds=60.0)) == 60.0


def test_the_group_keeps_capacity_within_its_bounds() -> None:
    assert [GROUP.clamp(n) for n in (0, 1, 4, 6)] == [1, 1, 4, 4]
    with pytest.raises(ValueError, match="sizes"):
        Group(min_size=3, max_size=2, default_warmup_seconds=0, deregistration_delay_seconds=0)


def test_a_datapoint_reaches_the_alarm_only_after_the_publication_delay() -> None:
    """Load from 1:00: the minutes 1:00 and 2:00 are readable at 3:00 and 4:00 with a 60 s
    delay, so the alarm fires at 4:00; without a delay, at 3:00."""
    fired = {}
    for delay in (60.0, 0.0):
        timeline = simulate(
            SETUP,
            load_between(91.0, start=60),
            initial_instances=1,
            duration_seconds=600,
            timings=Timings(publication_delay_seconds=delay),
        )
        fired[delay] = next(
            e.at for e in timeline.of_kind(EventKind.ALARM) if e.text == "high OK -> ALARM"
        )
    assert fired == {60.0: 240.0, 0.0: 180.0}


def test_an_alarm_in_alarm_invokes_its_policy_each_minute() -> None:
    """Once per minute, not only on entering ALARM: +1 at 4:00, and again at 5:00 once the
    first instance no longer counts as warming (warmup 0 here)."""
    setup = ScalingSetup(
        Group(1, 4, default_warmup_seconds=0.0, deregistration_delay_seconds=0),
        (
            StepScalingPolicy(
                "out", HIGH, AdjustmentType.CHANGE_IN_CAPACITY, (StepAdjustment(1, 0.0),)
            ),
        ),
    )
    timeline = simulate(
        setup,
        load_between(400.0, start=60),
        initial_instances=1,
        duration_seconds=330,
        timings=Timings(instance_start_seconds=30.0),
    )
    assert [(e.at, e.text) for e in timeline.of_kind(EventKind.DESIRED)] == [
        (240.0, "1 -> 2 (out)"),
        (300.0, "2 -> 3 (out)"),
    ]


def test_instances_warming_up_count_toward_a_scale_out() -> None:
    """With a 180 s warmup, the invocations after the first ask for the same step and add
    nothing until the new instances have warmed up."""
    timeline = simulate(
        SETUP, load_between(400.0, start=60), initial_instances=1, duration_seconds=600
    )
    changes = [(e.at, e.text) for e in timeline.of_kind(EventKind.DESIRED)]
    assert changes == [(240.0, "1 -> 3 (out)"), (540.0, "3 -> 4 (out)")]


def test_scale_in_waits_for_instances_warming_up() -> None:
    """A burst that ends as instances launch: scale-in asks at 7:00 but waits until they
    have warmed up (in service 5:30, plus 180 s)."""
    timeline = simulate(
        SETUP, load_between(400.0, start=60, end=180), initial_instances=1, duration_seconds=900
    )
    assert [e.at for e in timeline.of_kind(EventKind.WAITS)] == [420.0, 480.0]
    assert timeline.of_kind(EventKind.DESIRED)[1].at == 540.0


def test_of_policies_invoked_together_the_larger_capacity_wins() -> None:
    bigger = StepScalingPolicy(
        "bigger", HIGH, AdjustmentType.CHANGE_IN_CAPACITY, (StepAdjustment(3, 0.0),)
    )
    timeline = simulate(
        ScalingSetup(GROUP, (SCALE_OUT, bigger)),
        load_between(75.0, start=60),
        initial_instances=1,
        duration_seconds=300,
    )
    assert [e.text for e in timeline.of_kind(EventKind.DESIRED)] == ["1 -> 4 (bigger)"]


def test_a_removed_instance_leaves_after_draining_and_stopping() -> None:
    timeline = simulate(SETUP, load_between(10.0), initial_instances=2, duration_seconds=600)
    removed = timeline.of_kind(EventKind.TERMINATING)[0]
    left = timeline.of_kind(EventKind.LEFT)[0]
    assert left.at - removed.at == GROUP.deregistration_delay_seconds + 30.0
    assert removed.in_service == 1


def test_the_step_must_divide_a_minute() -> None:
    with pytest.raises(ValueError, match="step_seconds"):
        Timings(step_seconds=7)
