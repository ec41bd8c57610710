"""The verdicts of a scaling watch (requirement 10.2-10.4), on hand-built stories.

Polls are a minute apart and CloudWatch publishes each one-minute period a minute late, so
the poll at t reads the periods up to t - 60, as on AWS with detailed monitoring.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from eduportal.domain.scaling_verdicts import (
    Budgets,
    Check,
    ScalingReport,
    Verdict,
    evaluate,
    scale_in_return,
    scale_out_reaction,
    spoken,
    target_health,
)
from tests.support.scaling_samples import poll

OUT = 300.0
IN = 600.0

CALM: dict[float, float] = {-180: 20.0, -120: 25.0, -60: 30.0}


def published(at: float, load: Mapping[float, float]) -> dict[float, float]:
    """The periods a poll at `at` reads: the last five, up to a minute ago."""
    return {t: p for t, p in load.items() if at - 360 <= t <= at - 60}


def test_scale_out_within_the_budget() -> None:
    load = {**CALM, 0: 50, 60: 85, 120: 90, 180: 92}
    samples = [
        poll(60, points=published(60, load)),
        poll(120, points=published(120, load)),  # sees 60 s above: the crossing
        poll(180, points=published(180, load), pending=["i-2"]),
        poll(240, points=published(240, load), in_service=["i-1", "i-2"]),
    ]
    check = scale_out_reaction(samples, 70, OUT)
    assert check.verdict is Verdict.PASS
    assert (check.started_at, check.ended_at, check.seconds) == (60, 240, 180)
    assert check.summary == "i-2 was in service 3 min after CPU crossed 70 % (budget 5 min)."


def test_scale_out_over_the_budget_fails_with_the_figure() -> None:
    load = {**CALM, 0: 85, 60: 90}
    samples = [
        poll(0, points=published(0, load)),
        poll(60, points=published(60, load)),
        poll(420, points=published(420, load), in_service=["i-1", "i-2"]),
    ]
    check = scale_out_reaction(samples, 70, OUT)
    assert check.verdict is Verdict.FAIL
    assert check.seconds == 420
    assert "7 min" in check.summary


def test_cpu_never_crossing_is_not_observed_for_both_budgets() -> None:
    load = {**CALM, 0: 55, 60: 69.9}
    samples = [poll(t, points=published(t, load)) for t in (0, 60, 120)]
    report = evaluate(samples)
    assert report.scale_out.verdict is Verdict.NOT_OBSERVED
    assert report.scale_in.verdict is Verdict.NOT_OBSERVED
    assert "never went above 70 % (highest 69.9 %)" in report.scale_out.summary
    assert report.verdict is Verdict.NOT_OBSERVED


def test_an_instance_launched_before_the_crossing_is_not_its_reaction() -> None:
    """i-2 was launched (by hand, a schedule, a replacement) before the watch saw CPU above the
    threshold; it comes into service after the crossing, but only i-3 answers the load."""
    load = {**CALM, 0: 60, 60: 85, 120: 90, 180: 90, 240: 90}
    samples = [
        poll(60, points=published(60, load), pending=["i-2"]),
        poll(120, points=published(120, load), in_service=["i-1", "i-2"]),
        poll(180, points=published(180, load), in_service=["i-1", "i-2"], pending=["i-3"]),
        poll(300, points=published(300, load), in_service=["i-1", "i-2", "i-3"]),
    ]
    check = scale_out_reaction(samples, 70, OUT)
    assert check.verdict is Verdict.PASS
    assert check.seconds == 240
    assert check.summary.startswith("i-3 ")


def test_only_an_earlier_instance_and_the_budget_spent_fails() -> None:
    load = {**CALM, 0: 85, 60: 90, 120: 90}
    samples = [
        poll(0, points=published(0, load), pending=["i-2"]),
        poll(60, points=published(60, load), in_service=["i-1", "i-2"]),
        poll(400, points=published(400, load), in_service=["i-1", "i-2"]),
    ]
    check = scale_out_reaction(samples, 70, OUT)
    assert check.verdict is Verdict.FAIL
    assert check.summary.startswith("No new instance was in service 6 min 40 s after")


def test_a_group_at_its_maximum_says_so() -> None:
    load = {**CALM, 0: 85, 60: 90}
    samples = [
        poll(0, points=published(0, load), max_size=1),
        poll(60, points=published(60, load), max_size=1),
        poll(600, points=published(600, load), max_size=1),
    ]
    check = scale_out_reaction(samples, 70, OUT)
    assert check.verdict is Verdict.FAIL
    assert "already at its maximum size, 1" in check.summary


def test_a_watch_ending_before_the_budget_is_not_observed() -> None:
    load = {**CALM, 0: 85}
    samples = [poll(0, points=published(0, load)), poll(60, points=published(60, load))]
    check = scale_out_reaction(samples, 70, OUT)
    assert check.verdict is Verdict.NOT_OBSERVED
    assert check.started_at == 0
    assert "before the 5 min budget ran out" in check.summary


def test_cpu_already_above_at_the_start_is_not_observed() -> None:
    samples = [poll(0, points={-120: 90, -60: 95}), poll(60, in_service=["i-1", "i-2"])]
    check = scale_out_reaction(samples, 70, OUT)
    assert check.verdict is Verdict.NOT_OBSERVED
    assert "start the watch before the load" in check.summary


def test_no_cpu_data_is_not_observed_with_a_hint() -> None:
    report = evaluate([poll(0), poll(60)])
    assert report.scale_out.verdict is Verdict.NOT_OBSERVED
    assert "no CPU data" in report.scale_out.summary
    assert report.scale_in.summary == report.scale_out.summary


def test_scale_in_within_the_budget() -> None:
    load = {**CALM, 0: 85, 60: 90, 120: 40, 180: 30, 240: 30, 300: 30, 360: 30, 420: 30}
    two = ["i-1", "i-2"]
    samples = [
        poll(60, points=published(60, load), in_service=two),
        poll(180, points=published(180, load), in_service=two),  # sees the load's end (120)
        poll(300, points=published(300, load), in_service=two, desired=1),
        poll(360, points=published(360, load), in_service=["i-1"], leaving=["i-2"], desired=1),
        poll(420, points=published(420, load)),
        poll(480, points=published(480, load)),
    ]
    check = scale_in_return(samples, 70, IN)
    assert check.verdict is Verdict.PASS
    assert (check.started_at, check.ended_at, check.seconds) == (120, 420, 300)
    assert check.summary == (
        "The group was back at its minimum (1 instance) 5 min after the load ended (budget 10 min)."
    )


def test_scale_in_never_completing_fails_with_the_groups_state() -> None:
    load = {**CALM, 0: 85, 60: 30, **{float(t): 30.0 for t in range(120, 900, 60)}}
    two = ["i-1", "i-2"]
    samples = [poll(t, points=published(t, load), in_service=two) for t in (0, 60, 300, 780)]
    check = scale_in_return(samples, 70, IN)
    assert check.verdict is Verdict.FAIL
    assert check.started_at == 60
    assert check.summary == (
        "The group was not back at its minimum 12 min after the load ended (budget 10 min): "
        "2 instances (2 in service), desired 2, minimum 1."
    )


def test_scale_in_not_yet_complete_when_the_watch_ends_is_not_observed() -> None:
    load = {**CALM, 0: 85, 60: 30, 120: 30}
    two = ["i-1", "i-2"]
    samples = [poll(t, points=published(t, load), in_service=two) for t in (60, 120, 180)]
    check = scale_in_return(samples, 70, IN)
    assert check.verdict is Verdict.NOT_OBSERVED
    assert "2 min after the load ended, before the 10 min budget ran out" in check.summary


def test_load_still_on_at_the_end_is_not_observed() -> None:
    load = {**CALM, 0: 85, 60: 90}
    samples = [poll(t, points=published(t, load)) for t in (60, 120)]
    check = scale_in_return(samples, 70, IN)
    assert check.verdict is Verdict.NOT_OBSERVED
    assert "still above 70 %" in check.summary


def test_back_at_the_minimum_for_good_is_the_last_run_there() -> None:
    """At its minimum, up again (an instance replaced), then back: the later return counts."""
    load = {**CALM, 0: 85, 60: 30, 120: 30, 180: 30, 240: 30}
    samples = [
        poll(60, points=published(60, load), in_service=["i-1", "i-2"]),
        poll(120, points=published(120, load)),
        poll(180, points=published(180, load), in_service=["i-1"], pending=["i-3"], desired=1),
        poll(240, points=published(240, load), in_service=["i-1"]),
        poll(300, points=published(300, load), in_service=["i-1"]),
    ]
    check = scale_in_return(samples, 70, IN)
    assert (check.verdict, check.seconds) == (Verdict.PASS, 180)


def test_every_instance_healthy_passes() -> None:
    samples = [poll(0), poll(60, in_service=["i-1", "i-2"])]
    check, never = target_health(samples, 300)
    assert check.verdict is Verdict.PASS
    assert check.summary.startswith("All 2 instances in service passed")
    assert never == ()


def test_an_instance_never_healthy_past_the_grace_fails_and_is_listed() -> None:
    samples = [
        poll(0),
        poll(60, in_service=["i-1", "i-2"], unhealthy=["i-2"]),
        poll(400, in_service=["i-1", "i-2"], unhealthy=["i-2"]),
        poll(460, in_service=["i-1", "i-3"], unregistered=["i-3"]),
        poll(800, in_service=["i-1", "i-3"], unregistered=["i-3"]),
    ]
    check, never = target_health(samples, 300)
    assert check.verdict is Verdict.FAIL
    assert [(n.instance_id, n.in_service_seconds, n.last_states) for n in never] == [
        ("i-2", 340, ("web: unhealthy (Target.ResponseCodeMismatch)",)),
        ("i-3", 340, ("web: not registered",)),
    ]
    assert "2 of 3 instances in service never passed" in check.summary


def test_healthy_once_is_enough() -> None:
    """An instance failing its check later (say, while terminating) did pass it."""
    samples = [poll(0), poll(60, unhealthy=["i-1"]), poll(600, unhealthy=["i-1"])]
    check, _ = target_health(samples, 300)
    assert check.verdict is Verdict.PASS
    assert check.summary.startswith("The instance in service passed")


def test_an_instance_new_at_the_end_is_given_its_grace() -> None:
    samples = [
        poll(0),
        poll(60, in_service=["i-1", "i-2"], unhealthy=["i-2"]),
        poll(120, in_service=["i-1", "i-2"], unhealthy=["i-2"]),
    ]
    check, never = target_health(samples, 300)
    assert check.verdict is Verdict.NOT_OBSERVED
    assert [n.instance_id for n in never] == ["i-2"]
    assert "i-2 (1 min)" in check.summary


def test_a_group_without_target_groups_has_no_health_to_judge() -> None:
    check, _ = target_health([poll(0, target_groups=())], 300)
    assert check.verdict is Verdict.NOT_OBSERVED
    assert "no target group" in check.summary


def test_clock_jitter_irregular_polls_and_cloudwatch_ahead() -> None:
    """Polls 13 to 19 s apart, and CloudWatch's clock 20 s ahead of the watcher's: the new
    instance is told apart by poll order, not by comparing the two clocks, and no duration
    comes out negative."""
    load = {-60.0: 30.0, 20.0: 90.0}
    samples = [
        poll(0, points={-60: 30}),
        poll(13.2, points=load),  # sees CloudWatch's period 20: the crossing, "in the future"
        poll(32.1, points=load, in_service=["i-1", "i-2"]),
        poll(47.0, points={**load, 80.0: 20.0}),
        poll(66.4, points={**load, 80.0: 20.0}),
    ]
    report = evaluate(samples, budgets=Budgets(health_grace_seconds=300))
    assert report.scale_out.verdict is Verdict.PASS
    assert report.scale_out.seconds == pytest.approx(12.1)
    assert (report.scale_in.verdict, report.scale_in.seconds) == (Verdict.PASS, 0.0)


def test_the_watchers_clock_stepping_back_keeps_poll_order() -> None:
    load = {0.0: 30.0, 60.0: 90.0}
    samples = [
        poll(100, points={0: 30}),
        poll(98, points=load),  # NTP stepped the clock back 2 s
        poll(110, points=load, in_service=["i-1", "i-2"]),
    ]
    check = scale_out_reaction(samples, 70, OUT)
    assert (check.verdict, check.seconds, check.ended_at) == (Verdict.PASS, 50, 110)


def test_a_revised_period_counts_from_the_poll_that_saw_it_above() -> None:
    """Period 60 first reads 65 (partial), then 80: the crossing is period 60, and an instance
    launched before the revision was seen is no reaction to it."""
    samples = [
        poll(90, points={0: 30, 60: 65}, pending=["i-2"]),
        poll(150, points={0: 30, 60: 80}, in_service=["i-1", "i-2"], pending=["i-3"]),
        poll(210, points={0: 30, 60: 80}, in_service=["i-1", "i-2", "i-3"]),
    ]
    check = scale_out_reaction(samples, 70, OUT)
    assert check.summary.startswith("i-3 ")
    assert check.seconds == 150


def _report(*verdicts: Verdict) -> ScalingReport:
    out, into, health = (Check(str(i), v, "") for i, v in enumerate(verdicts))
    return ScalingReport(70, Budgets(), out, into, health)


@pytest.mark.parametrize(
    ("verdicts", "overall"),
    [
        ((Verdict.PASS, Verdict.PASS, Verdict.PASS), Verdict.PASS),
        ((Verdict.PASS, Verdict.NOT_OBSERVED, Verdict.PASS), Verdict.NOT_OBSERVED),
        ((Verdict.NOT_OBSERVED, Verdict.FAIL, Verdict.PASS), Verdict.FAIL),
    ],
)
def test_the_overall_verdict_is_the_worst(
    verdicts: tuple[Verdict, Verdict, Verdict], overall: Verdict
) -> None:
    assert _report(*verdicts).verdict is overall


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(3.46, "3.5 s"), (45, "45 s"), (60, "1 min"), (250, "4 min 10 s"), (3720, "1 h 2 min")],
)
def test_spoken_durations(seconds: float, words: str) -> None:
    assert spoken(seconds) == words
