"""Requirement 10.2 and 10.3 on the configured Auto Scaling policies: no AWS account can be
used here, so the model (`domain.scaling_model`) replays CloudWatch and Auto Scaling on the
figures of `infrastructure/*.tf`, and the scaling watch's verdicts judge the replay.

Run with `-s` to read the timelines. The second half shows the model can fail: configurations
a little slower than ours miss the budgets, by the arithmetic printed beside them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from eduportal.domain.scaling_model import (
    Timeline,
    Timings,
    largest_instance_start,
    load_between,
    simulate,
)
from eduportal.domain.scaling_policies import (
    ONE_MINUTE,
    AdjustmentType,
    Alarm,
    ScalingSetup,
    StepAdjustment,
    StepScalingPolicy,
)
from eduportal.domain.scaling_verdicts import (
    CPU_THRESHOLD_PERCENT,
    SCALE_IN_BUDGET_SECONDS,
    SCALE_OUT_BUDGET_SECONDS,
    Check,
    Verdict,
)
from tests.support.scaling_configuration import detailed_monitoring, scaling_setup

OVERLOAD = 1.3
"""Offered load as a multiple of what keeps every instance at the threshold."""
LOAD_STARTS = 60
"""One quiet minute first: the watch dates a crossing from a period at or below 70 %."""
RUN_SECONDS = 20 * ONE_MINUTE


def overload(instances: int) -> float:
    return OVERLOAD * CPU_THRESHOLD_PERCENT * instances


def show(title: str, timeline: Timeline, check: Check) -> None:
    """Print the timeline under a title, with the verdict it was run for."""
    print(f"\n=== {title}\n{timeline.render(check)}\n")


def scale_out_from_minimum(setup: ScalingSetup, timings: Timings | None = None) -> Timeline:
    minimum = setup.group.min_size
    return simulate(
        setup,
        load_between(overload(minimum), start=LOAD_STARTS),
        initial_instances=minimum,
        duration_seconds=RUN_SECONDS,
        timings=timings,
    )


def test_the_group_publishes_cpu_each_minute() -> None:
    """The model's datapoints are one minute apart, EC2's detailed monitoring; basic
    monitoring's five-minute datapoints would put two alarm periods alone at 10 minutes."""
    assert detailed_monitoring(), "enable monitoring in the group's launch template"


def test_sustained_load_adds_an_instance_within_five_minutes() -> None:
    setup = scaling_setup()
    timeline = scale_out_from_minimum(setup)
    show(f"scale-out: load {OVERLOAD} x 70 % from {LOAD_STARTS} s", timeline, timeline.scale_out)
    assert timeline.scale_out.verdict is Verdict.PASS, timeline.scale_out.summary
    assert timeline.scale_out.seconds is not None
    assert timeline.scale_out.seconds <= SCALE_OUT_BUDGET_SECONDS


@pytest.mark.parametrize(
    ("start", "ends"),
    [("max", 5 * ONE_MINUTE), (2, LOAD_STARTS)],
    ids=["from-max-after-5-min-of-load", "from-2-after-1-min-of-load"],
)
def test_the_group_is_back_at_its_minimum_within_ten_minutes_of_the_load_ending(
    start: str | int, ends: int
) -> None:
    """From two instances the load lasts one minute, too short for the scale-out alarm
    (2 of 2 minutes), so the group starts from two; at the maximum it can last."""
    setup = scaling_setup()
    instances = setup.group.max_size if start == "max" else int(start)
    timeline = simulate(
        setup,
        load_between(overload(instances), end=ends),
        initial_instances=instances,
        duration_seconds=RUN_SECONDS,
    )
    show(
        f"scale-in from {instances} instances, load ending at {ends} s", timeline, timeline.scale_in
    )
    assert timeline.scale_in.verdict is Verdict.PASS, timeline.scale_in.summary


def test_whenever_the_load_ends_the_group_is_back_at_its_minimum_within_ten_minutes() -> None:
    """The hard case is a load that ends just after a scale-out: the new instances warm up
    before scale-in may start. Every end time over 20 minutes, in 15 s steps."""
    setup = scaling_setup()
    load = overload(setup.group.max_size)
    figures = {}
    for ends in range(LOAD_STARTS + ONE_MINUTE, RUN_SECONDS, 15):
        timeline = simulate(
            setup,
            load_between(load, start=LOAD_STARTS, end=ends),
            initial_instances=setup.group.min_size,
            duration_seconds=ends + RUN_SECONDS,
        )
        assert timeline.scale_in.verdict is Verdict.PASS, f"{ends} s: {timeline.scale_in.summary}"
        assert timeline.scale_in.seconds is not None
        figures[ends] = timeline.scale_in.seconds
    worst = max(figures, key=lambda ends: figures[ends])
    print(
        f"\nslowest return to the minimum: {figures[worst]:g} s, for a load ending at {worst} s "
        f"(budget {SCALE_IN_BUDGET_SECONDS:g} s)"
    )


def test_the_configuration_has_margin_on_the_instance_start() -> None:
    setup = scaling_setup()
    minimum = setup.group.min_size
    largest = largest_instance_start(
        setup,
        load_between(overload(minimum), start=LOAD_STARTS),
        initial_instances=minimum,
        duration_seconds=RUN_SECONDS,
    )
    assumed = Timings().instance_start_seconds
    print(
        f"\nlargest instance start that still scales out within "
        f"{SCALE_OUT_BUDGET_SECONDS:g} s: {largest} s (the model assumes {assumed:g} s)"
    )
    assert largest is not None and largest >= assumed


def reaction_arithmetic(alarm: Alarm, timings: Timings) -> float:
    """Alarm periods, then the last one's publication, then the instance's start."""
    return (
        alarm.datapoints_to_alarm * ONE_MINUTE
        + timings.publication_delay_seconds
        + timings.instance_start_seconds
    )


def test_the_step_fast_path_is_what_meets_the_budget() -> None:
    """Target tracking's own alarm needs 3 one-minute datapoints: with a 120 s instance start
    it alone misses 5 minutes, which is why a 2-minute step policy stands beside it."""
    setup = scaling_setup()
    tracking = setup.policy("cpu_tracking")
    timings = Timings(instance_start_seconds=120.0)
    alone = scale_out_from_minimum(ScalingSetup(setup.group, (tracking,)), timings)
    both = scale_out_from_minimum(setup, timings)
    step_alarm = setup.policy("scale_out").alarm
    for name, alarm, timeline in (
        ("target tracking alone", tracking.alarm, alone),
        ("with the step policy", step_alarm, both),
    ):
        expected = reaction_arithmetic(alarm, timings)
        print(
            f"\n{name}: {alarm.datapoints_to_alarm} x 60 s + "
            f"{timings.publication_delay_seconds:g} s + {timings.instance_start_seconds:g} s "
            f"= {expected:g} s (budget {SCALE_OUT_BUDGET_SECONDS:g} s); the model measured "
            f"{timeline.scale_out.seconds} s"
        )
        assert timeline.scale_out.seconds == expected
    assert alone.scale_out.verdict is Verdict.FAIL
    assert both.scale_out.verdict is Verdict.PASS


def test_an_alarm_of_five_minutes_misses_the_scale_out_budget() -> None:
    setup = scaling_setup()
    policy = setup.policy("scale_out")
    assert isinstance(policy, StepScalingPolicy)
    slow = replace(policy, alarm=replace(policy.alarm, evaluation_periods=5, datapoints_to_alarm=5))
    timeline = scale_out_from_minimum(setup.with_policy(slow))
    show("scale-out with a 5 of 5 minutes alarm", timeline, timeline.scale_out)
    assert timeline.scale_out.verdict is Verdict.FAIL


def test_removing_one_instance_a_minute_on_a_fifteen_minute_alarm_misses_the_budget() -> None:
    setup = scaling_setup()
    policy = setup.policy("scale_in")
    assert isinstance(policy, StepScalingPolicy)
    slow = replace(
        policy,
        alarm=replace(policy.alarm, evaluation_periods=15, datapoints_to_alarm=15),
        adjustment_type=AdjustmentType.CHANGE_IN_CAPACITY,
        steps=(StepAdjustment(-1, upper_bound=0.0),),
    )
    maximum = setup.group.max_size
    timeline = simulate(
        setup.with_policy(slow),
        load_between(overload(maximum), end=LOAD_STARTS),
        initial_instances=maximum,
        duration_seconds=2 * RUN_SECONDS,
    )
    timings = timeline.timings
    removals = maximum - setup.group.min_size
    expected = (
        15 * ONE_MINUTE
        + timings.publication_delay_seconds
        + (removals - 1) * ONE_MINUTE
        + setup.group.deregistration_delay_seconds
        + timings.instance_stop_seconds
    )
    print(
        f"\n-1 a minute on 15 of 15 minutes: 15 x 60 s + {timings.publication_delay_seconds:g} s"
        f" + {removals - 1} x 60 s + {setup.group.deregistration_delay_seconds:g} s + "
        f"{timings.instance_stop_seconds:g} s = {expected:g} s; the model measured "
        f"{timeline.scale_in.seconds} s"
    )
    assert timeline.scale_in.verdict is Verdict.FAIL
    assert timeline.scale_in.seconds == expected


def scale_in_threshold(setup: ScalingSetup) -> float:
    policy = setup.policy("scale_in")
    assert isinstance(policy, StepScalingPolicy)
    return policy.alarm.threshold


def with_scale_in_threshold(setup: ScalingSetup, threshold: float) -> ScalingSetup:
    policy = setup.policy("scale_in")
    assert isinstance(policy, StepScalingPolicy)
    return setup.with_policy(replace(policy, alarm=replace(policy.alarm, threshold=threshold)))


def just_below_the_scale_in_threshold(setup: ScalingSetup, instances: int) -> Timeline:
    """A steady load that keeps `instances` a hair under the scale-in threshold: the most a
    removal can leave the others to carry."""
    load = 0.999 * scale_in_threshold(setup) * instances
    return simulate(setup, lambda _: load, initial_instances=instances, duration_seconds=900)


def flapped(timeline: Timeline) -> bool:
    """Whether the group grew again after shrinking."""
    desired = [sample.desired for sample in timeline.samples]
    return desired != sorted(desired, reverse=True)


def test_one_halving_at_the_scale_in_threshold_leaves_cpu_at_or_below_70_percent() -> None:
    """From every size, the instances left after one invocation of the scale-in policy
    carry the load of the threshold at or below the scale-out threshold."""
    setup = scaling_setup()
    policy = setup.policy("scale_in")
    assert isinstance(policy, StepScalingPolicy)
    threshold = policy.alarm.threshold
    step = policy.step(threshold - 0.01)
    assert step is not None
    for instances in range(setup.group.min_size + 1, setup.group.max_size + 1):
        left = setup.group.clamp(instances + policy.change(step, instances))
        cpu = threshold * instances / left
        print(f"\n{instances} at {threshold:g} % -> {left} at {cpu:.1f} %")
        assert cpu <= CPU_THRESHOLD_PERCENT


def test_the_group_does_not_flap_just_below_the_scale_in_threshold() -> None:
    setup = scaling_setup()
    outcomes = {}
    for instances in range(setup.group.min_size, setup.group.max_size + 1):
        timeline = just_below_the_scale_in_threshold(setup, instances)
        outcomes[instances] = flapped(timeline)
        if outcomes[instances]:
            show(
                f"flapping from {instances} instances just below the threshold",
                timeline,
                timeline.scale_in,
            )
    assert not any(outcomes.values()), f"flapped from {[n for n, f in outcomes.items() if f]}"


def test_how_low_the_scale_in_threshold_must_be_not_to_flap() -> None:
    """The highest scale-in threshold, in half percents, from which no size flaps; the
    scale-in budgets still hold there."""
    setup = scaling_setup()
    sizes = range(setup.group.min_size, setup.group.max_size + 1)
    threshold = scale_in_threshold(setup)
    while threshold > 0 and any(
        flapped(just_below_the_scale_in_threshold(with_scale_in_threshold(setup, threshold), n))
        for n in sizes
    ):
        threshold -= 0.5
    print(
        f"\nno flapping with the scale-in alarm at {threshold:g} % or below "
        f"(configured {scale_in_threshold(setup):g} %)"
    )
    assert threshold > 0
    maximum = setup.group.max_size
    timeline = simulate(
        with_scale_in_threshold(setup, threshold),
        load_between(overload(maximum), end=LOAD_STARTS),
        initial_instances=maximum,
        duration_seconds=RUN_SECONDS,
    )
    assert timeline.scale_in.verdict is Verdict.PASS, timeline.scale_in.summary


def test_flapping_is_seen_when_one_halving_overloads() -> None:
    """The flapping check can fail on a single removal too: two instances at 40 % halve to
    one at 80 %, which the scale-out alarm answers."""
    timeline = just_below_the_scale_in_threshold(with_scale_in_threshold(scaling_setup(), 40.0), 2)
    assert flapped(timeline)
