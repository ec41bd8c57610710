"""The scaling watch over the wire, against an Auto Scaling group on moto's server: a scripted
load (CPU datapoints, alarm states, the desired capacity up then down, an instance whose health
check never passes) in lockstep with polls 0.2 s apart, and the command as an operator runs it.

moto plays AWS's state, not its loop: CPU does not move the alarms and the alarms do not run
the policies, so the script sets each as Auto Scaling would. Its instances are in service the
moment they launch; its only failing target is a stopped instance (`unused`).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from eduportal.config import load_settings
from eduportal.domain.errors import NotFoundError
from eduportal.domain.scaling_events import EventKind, ScalingWindow
from eduportal.domain.scaling_verdicts import Budgets, Verdict
from eduportal.services.scaling_watch import WatchSettings
from eduportal.wiring import run_scaling_watch, start_scaling_watch
from tests.support.cli import run_cli
from tests.support.scaling_group import Lockstep, ScalingGroup, provision

INTERVAL = 0.2
NEW_SECOND = 1.05
"""moto averages CPU per 1 s period: the script's datapoints are this far apart."""


@pytest.fixture
def group(moto_url: str) -> Iterator[ScalingGroup]:
    made = provision(moto_url)
    yield made
    made.delete()


@pytest.fixture
def aws_env(env: dict[str, str], moto_url: str) -> dict[str, str]:
    return {**env, "AWS_ENDPOINT_URL": moto_url, "AWS_REGION": "us-east-1"}


def test_the_watch_measures_what_the_script_did(group: ScalingGroup, moto_url: str) -> None:
    """Scale-out and scale-in timed from the datapoints the script wrote to the polls that saw
    the group change; the stopped instance listed as never healthy; every event in order.

    Step k runs after poll k: poll 2 sees the crossing, poll 3 the new instances, poll 5 the
    load's end, poll 6 the group back at one instance."""
    first = group.instance_ids()[0]
    group.protect([first])  # the instance left after scaling in
    written: dict[str, float] = {}
    stopped: list[str] = []

    def calm() -> None:
        group.put_cpu(30)
        time.sleep(NEW_SECOND)

    def load() -> None:
        written["crossed"] = math.floor(group.put_cpu(85))
        group.set_alarm(group.high_alarm, "ALARM")
        time.sleep(NEW_SECOND)

    def scale_out() -> None:
        group.set_desired(3)
        stopped.append(sorted(set(group.instance_ids()) - {first})[0])
        group.stop(stopped[0])

    def more_load() -> None:
        group.put_cpu(90)
        time.sleep(NEW_SECOND)

    def load_ends() -> None:
        written["ended"] = math.floor(group.put_cpu(40))
        group.set_alarm(group.high_alarm, "OK")
        group.set_alarm(group.low_alarm, "ALARM")
        time.sleep(NEW_SECOND)

    def scale_in() -> None:
        group.set_desired(1)

    def settle() -> None:
        group.set_alarm(group.low_alarm, "OK")
        group.put_cpu(35)

    script = Lockstep([calm, load, scale_out, more_load, load_ends, scale_in, settle])
    result = run_scaling_watch(
        load_settings(aws_endpoint_url=moto_url, aws_region="us-east-1"),
        WatchSettings(group.name, INTERVAL, budgets=Budgets(health_grace_seconds=0)),
        cpu_period_seconds=1,
        stop=script.stop,
        on_sample=script.on_sample,
    )
    assert script.error is None
    samples = result.timeline.samples
    assert len(samples) == 9
    assert result.timeline.failed_polls == ()
    report = result.report

    out = report.scale_out
    assert out.verdict is Verdict.PASS
    assert (out.started_at, out.ended_at) == (written["crossed"], samples[3].at)
    assert out.seconds == pytest.approx(samples[3].at - written["crossed"])
    back = report.scale_in
    assert back.verdict is Verdict.PASS
    assert (back.started_at, back.ended_at) == (written["ended"], samples[6].at)
    assert back.seconds == pytest.approx(samples[6].at - written["ended"])
    assert [n.instance_id for n in report.never_healthy] == stopped
    assert report.never_healthy[0].last_states[0].endswith(": unused (Target.InvalidState)")
    assert report.target_health.verdict is Verdict.FAIL
    assert report.verdict is Verdict.FAIL

    launched = [i.instance_id for i in samples[3].instances if i.instance_id != first]
    leaving = [i.instance_id for i in samples[5].instances if i.instance_id != first]
    high, low = group.high_alarm, group.low_alarm
    assert [(e.kind, e.subject, e.after) for e in result.events] == [
        (EventKind.CPU_ABOVE, "cpu", "85.0"),
        (EventKind.ALARM, high, "ALARM"),
        *[
            event
            for i in launched
            for event in (
                (EventKind.LAUNCHED, i, "InService"),
                (EventKind.IN_SERVICE, i, "InService"),
            )
        ],
        (EventKind.DESIRED, "group", "3"),
        (EventKind.CPU_BELOW, "cpu", "40.0"),
        (EventKind.ALARM, high, "OK"),
        (EventKind.ALARM, low, "ALARM"),
        *[(EventKind.TERMINATED, i, "left the group") for i in leaving],
        (EventKind.DESIRED, "group", "1"),
        (EventKind.ALARM, low, "OK"),
    ]
    assert result.windows == (
        ScalingWindow("scale-out", samples[2].at, samples[3].at, 1, 3, completed=True),
        ScalingWindow("scale-in", samples[5].at, samples[6].at, 3, 1, completed=True),
    )


def test_the_background_watch_goes_on_past_a_failed_poll(moto_url: str) -> None:
    """What `loadtest --watch-asg` runs: a poll failing mid-watch (here the group is deleted)
    is recorded, and the watch goes on until stopped."""
    group = provision(moto_url)
    settings = load_settings(aws_endpoint_url=moto_url, aws_region="us-east-1")
    failures: list[str] = []
    running = start_scaling_watch(
        settings,
        WatchSettings(group.name, INTERVAL),
        cpu_period_seconds=1,
        on_failure=lambda at, error: failures.append(error.user_message),
    )
    group.delete()
    deadline = time.monotonic() + 30
    while len(failures) < 2 and time.monotonic() < deadline:
        time.sleep(INTERVAL)
    assert running.running
    result = running.stop(timeout=30)
    assert result.timeline.samples, "the first poll, before the group was deleted"
    assert len(result.timeline.failed_polls) >= 2
    assert "There is no Auto Scaling group named" in result.timeline.failed_polls[0].error


def test_the_background_watch_refuses_an_unknown_group_at_once(moto_url: str) -> None:
    """Before the load test starts, not after it."""
    settings = load_settings(aws_endpoint_url=moto_url, aws_region="us-east-1")
    with pytest.raises(NotFoundError) as refused:
        start_scaling_watch(settings, WatchSettings("no-such", INTERVAL))
    assert refused.value.user_message.startswith(
        "There is no Auto Scaling group named 'no-such' in us-east-1"
    )


def test_the_command_writes_the_timeline_the_report_and_the_chart(
    group: ScalingGroup, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """A calm group for two seconds: nothing to judge (exit 4), every file written and
    readable, progress on standard error."""
    group.put_cpu(25)
    out = tmp_path / "report"
    args = ["scaling", "watch", "--asg", group.name, "--interval", "0.2", "--duration", "2s"]
    done = run_cli([*args, "--cpu-period", "5", "--output-dir", str(out)], aws_env)
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    assert f"Watching Auto Scaling group {group.name} every 0.2 s for 2 s" in done.stderr
    progress = [line for line in done.stderr.splitlines() if "desired 1" in line]
    assert len(progress) >= 5
    assert "CPU  25.0 %" in progress[-1] and "in service 1/1" in progress[-1]
    assert f"{group.high_alarm} OK" in progress[-1] and "healthy 1" in progress[-1]
    assert "Verdict: not observed." in done.stdout
    assert "never went above 70 % (highest 25.0 %)" in done.stdout

    timeline = json.loads((out / "timeline.json").read_text())
    assert timeline["group"] == group.name
    assert len(timeline["samples"]) == len(progress)
    first = timeline["samples"][0]
    assert (first["desired"], first["min_size"], first["max_size"], first["in_service"]) == (
        1,
        1,
        4,
        1,
    )
    assert first["cpu"][-1]["percent"] == 25.0
    assert sorted(a["name"] for a in first["alarms"]) == [group.high_alarm, group.low_alarm]
    assert first["targets"][0]["state"] == "healthy"
    assert timeline["events"] == [] and timeline["failed_polls"] == []
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"] == "not observed"
    assert report["checks"]["target_health"]["verdict"] == "pass"
    with Image.open(out / "timeline.png") as chart:
        assert chart.format == "PNG" and chart.size[0] >= 1000
        chart.verify()


def test_json_prints_the_report(
    group: ScalingGroup, aws_env: dict[str, str], tmp_path: Path
) -> None:
    args = ["scaling", "watch", "--asg", group.name, "--interval", "0.5", "--duration", "1s"]
    done = run_cli([*args, "--json", "--output-dir", str(tmp_path)], aws_env)
    assert done.returncode == 4, done.stderr
    report = json.loads(done.stdout)
    assert report["checks"]["scale_out"]["summary"].startswith("CloudWatch returned no CPU data")
    assert report["files"]["chart"] == str(tmp_path / "timeline.png")


def test_an_unknown_group_is_named_in_a_sentence(aws_env: dict[str, str], tmp_path: Path) -> None:
    done = run_cli(
        ["scaling", "watch", "--asg", "no-such-group"], {**aws_env, "HOME": str(tmp_path)}
    )
    assert done.returncode == 2
    assert "There is no Auto Scaling group named 'no-such-group' in us-east-1" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_help_explains_every_flag(aws_env: dict[str, str]) -> None:
    done = run_cli(["scaling", "watch", "--help"], aws_env)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for flag in (
        "--asg NAME",
        "--interval SECONDS",
        "--duration DURATION",
        "--cpu-threshold PERCENT",
        "--cpu-period SECONDS",
        "--scale-out-budget DURATION",
        "--scale-in-budget DURATION",
        "--health-grace DURATION",
        "--output-dir DIR",
        "--json",
    ):
        assert f"{flag} " in text, flag
    for words in ("exit status", "4 nothing failed, but a check was not observed", "/readyz"):
        assert words in text


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--interval", "0"], "give the interval in seconds"),
        (["--duration", "5x"], "is not a duration"),
        (["--cpu-threshold", "120"], "give a percentage between 0 and 100"),
        (["--cpu-period", "45"], "CloudWatch periods are 1, 5, 10, 20, 30 or a multiple of 60"),
    ],
)
def test_bad_input_is_refused_in_a_sentence(
    aws_env: dict[str, str], args: list[str], complaint: str
) -> None:
    done = run_cli(["scaling", "watch", "--asg", "web", *args], aws_env)
    assert done.returncode == 2
    assert complaint in done.stderr and "Traceback" not in done.stderr


def test_without_matplotlib_the_command_says_how_to_get_it(aws_env: dict[str, str]) -> None:
    """matplotlib comes with the loadtest extra: a server installed without it gets a
    sentence, before any poll."""
    hide = (
        "import sys, importlib.abc\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from eduportal.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide, "scaling", "watch", "--asg", "web"],
        capture_output=True,
        text=True,
        env=aws_env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "pip install 'eduportal[loadtest]'" in done.stderr
    assert "Traceback" not in done.stderr
