"""The load test's parts that need no run: profiles and their overrides, what a user reads from
a response, the server's metrics, Locust's command line and following its progress."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from eduportal.loadtest.accounts import Account
from eduportal.loadtest.locust_process import Progress, command, environment
from eduportal.loadtest.locust_stats import HistoryFollower, parse_history
from eduportal.loadtest.measures import StorageMeasure, cache_outcome, storage_measures
from eduportal.loadtest.operations import (
    CDN_HIT,
    CDN_MISS,
    CREATE,
    S3_DOWNLOAD,
    S3_UPLOAD,
    STUDENT_PASSWORD_ENV,
    TEACHER_PASSWORD_ENV,
)
from eduportal.loadtest.profiles import (
    PROFILES,
    ThinkTime,
    parse_duration,
    parse_think_time,
    with_overrides,
)
from eduportal.loadtest.server_metrics import ServerSample, cpu_series, parse_exposition, summarize
from tests.support.locust_csv import HISTORY_COLUMNS, csv_text, history_row
from tests.support.texts import PASSWORD

TEACHER = Account("ann", PASSWORD)
STUDENT = Account("bob", "another secret")


def test_the_profiles_are_the_designs() -> None:
    figures = {p.name: (p.users, p.run_seconds, p.user_classes) for p in PROFILES.values()}
    assert figures["baseline"] == (10, 300, ("ImageLoadTest",))
    assert figures["stress"] == (50, 600, ("ImageLoadTest",))
    assert figures["endurance"] == (25, 3600, ("ImageLoadTest",))
    assert figures["cache"] == (30, 600, ("CacheTestUser",))
    assert figures["capacity"][2] == ("ImageHeavyUser",)  # ours: saturation, for sizing
    assert PROFILES["capacity"].think_time.high == 0
    assert (PROFILES["spike"].spike_from, PROFILES["spike"].users) == (10, 100)
    assert PROFILES["spike"].run_seconds == 120
    smoke = PROFILES["smoke"]
    assert smoke.run_seconds <= 20 and len(smoke.user_classes) == 3


def test_overrides_change_only_what_is_given_and_the_spike_base_stays_under_its_peak() -> None:
    stress = with_overrides(PROFILES["stress"], run_seconds=180, think_time=ThinkTime(0.5, 2))
    assert (stress.users, stress.spawn_rate, stress.run_seconds) == (50, 5, 180)
    assert stress.think_time == ThinkTime(0.5, 2)
    small_spike = with_overrides(PROFILES["spike"], users=6)
    assert (small_spike.spike_from, small_spike.users) == (6, 6)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("2m5s", 125)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "0s", "5 minutes", "-3m", "1d"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|at least a second"):
        parse_duration(text)


def test_think_times() -> None:
    assert parse_think_time("1-3") == ThinkTime(1.0, 3.0)
    assert parse_think_time("0.5-1.5") == ThinkTime(0.5, 1.5)
    for bad in ("3-1", "1", "a-b", "-1-2", "1-601"):
        with pytest.raises(ValueError, match="MIN-MAX"):
            parse_think_time(bad)


def test_a_create_response_gives_its_uploads_and_an_image_its_download() -> None:
    header = 'storage-put;dur=12.5, storage-put;dur=3;desc="failure", storage-delete;dur=1'
    assert storage_measures(header) == [
        StorageMeasure(S3_UPLOAD, 12.5, False),
        StorageMeasure(S3_UPLOAD, 3.0, True),
    ]
    assert storage_measures("cdn-cache-miss, storage-get;dur=0.4") == [
        StorageMeasure(S3_DOWNLOAD, 0.4, False)
    ]
    assert storage_measures(None) == []
    assert storage_measures("storage-get") == []  # no duration: nothing to time


@pytest.mark.parametrize(
    ("x_cache", "outcome"),
    [
        ("Hit from cloudfront", CDN_HIT),
        ("RefreshHit from cloudfront", CDN_HIT),
        ("Miss from cloudfront", CDN_MISS),
        ("Error from cloudfront", None),
        ("", None),
        (None, None),
    ],
)
def test_x_cache(x_cache: str | None, outcome: str | None) -> None:
    assert cache_outcome(x_cache) == outcome


EXPOSITION = """\
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.048576e+08
# TYPE image_cache_hits_total counter
image_cache_hits_total 40.0
# TYPE image_cache_misses_total counter
image_cache_misses_total 10.0
# TYPE image_upload_seconds histogram
image_upload_seconds_count{backend="local"} 3.0
"""


def test_the_servers_figures_come_from_its_metrics_page() -> None:
    sample = parse_exposition(EXPOSITION, at=100.0)
    assert sample == ServerSample(100.0, 12.5, 104857600.0, 40.0, 10.0)
    assert parse_exposition("# nothing here\n", at=1.0) == ServerSample(1.0)


def test_cpu_seconds_busy_cores_and_peak_memory_over_the_run() -> None:
    samples = [
        ServerSample(0.0, 10.0, 100e6, 0.0, 0.0),
        ServerSample(3.0, 13.0, 300e6, 30.0, 5.0),
        ServerSample(6.0, 16.0, 200e6, 60.0, 6.0),
        ServerSample(6.2, 16.2, 200e6, 60.0, 6.0),  # the last reading, a moment after
    ]
    figures = summarize(samples)
    assert figures["cpu_seconds"] == 6.2
    assert figures["cores_busy"] == 1.0
    assert figures["peak_rss_bytes"] == 300e6
    assert figures["image_cache"] == {"hits": 60.0, "misses": 6.0, "hit_ratio": 0.9091}
    assert cpu_series(samples) == [(3.0, 1.0), (6.0, 1.0)]  # 0.2 s is too short to be a rate


def test_without_samples_or_after_a_restart_nothing_is_invented() -> None:
    nothing = summarize([], note="http://x/metrics could not be read (refused)")
    assert nothing["available"] is False
    assert nothing["cpu_seconds"] is None and nothing["peak_rss_bytes"] is None
    assert nothing["note"] == "http://x/metrics could not be read (refused)"
    restarted = summarize([ServerSample(0.0, 50.0), ServerSample(3.0, 1.0)])
    assert restarted["cpu_seconds"] is None


def test_locusts_command_line_carries_the_profile_and_never_a_password(tmp_path: Path) -> None:
    profile = with_overrides(PROFILES["stress"], run_seconds=180)
    argv = command(profile, "http://h:8000", tmp_path / "lt", tmp_path / "r", TEACHER, STUDENT)
    assert argv[1:3] == ["-m", "locust"]
    options = dict(itertools.pairwise(argv))  # each option -> what follows it
    assert options["-f"] == str(tmp_path / "lt" / "locustfile.py")
    assert options["--users"] == "50"
    assert options["--run-time"] == "180s"
    assert options["--teacher"] == "ann" and options["--student"] == "bob"
    assert "--csv-full-history" in argv and "--headless" in argv
    assert argv[-1] == "ImageLoadTest"
    assert PASSWORD not in argv and "another secret" not in argv
    env = environment({"PATH": "/bin", "PYTHONPATH": "/x"}, TEACHER, STUDENT)
    assert env[TEACHER_PASSWORD_ENV] == PASSWORD and env[STUDENT_PASSWORD_ENV] == "another secret"
    assert env["PYTHONPATH"].endswith(":/x")


def test_only_the_spike_loads_the_shape(tmp_path: Path) -> None:
    argv = command(PROFILES["spike"], "http://h", tmp_path, tmp_path, TEACHER, STUDENT)
    assert f"{tmp_path / 'locustfile.py'},{tmp_path / 'spike_shape.py'}" in argv
    assert argv[argv.index("--spike-from") + 1] == "10"
    assert "--spike-from" not in command(
        PROFILES["baseline"], "h", tmp_path, tmp_path, TEACHER, STUDENT
    )


def test_progress_follows_the_history_file_as_locust_appends_to_it(tmp_path: Path) -> None:
    path = tmp_path / "locust_stats_history.csv"
    follower = HistoryFollower(path)
    assert follower.new_rows() == []  # not written yet
    first = csv_text(
        HISTORY_COLUMNS,
        [
            history_row(100, "POST", CREATE, rps=2.0, total=4),
            history_row(100, "STORAGE", S3_UPLOAD, rps=6.0, total=12),
            history_row(100, "", "Aggregated", users=7, rps=8.0, total=16),
        ],
    )
    later = csv_text(HISTORY_COLUMNS, [history_row(101, "POST", CREATE, total=5, failed=1)])
    later_line = later.splitlines()[1]
    path.write_text(first + later_line[:10])  # Locust is in the middle of a line
    rows = follower.new_rows()
    assert [row.timestamp for row in rows] == [100, 100, 100]
    progress = Progress(total_seconds=300)
    progress.update(rows)
    assert progress.line(65.2) == (
        "loadtest: 1:05 / 5:00 · 7 users · 4 requests · 0 failures · 2.0 requests/s"
    )
    path.write_text(first + later_line + "\n")
    (row,) = follower.new_rows()
    assert (row.timestamp, row.total_failures) == (101, 1)
    assert Progress(total_seconds=15).line(1.0) == "loadtest: 0:01 / 0:15 · starting"


def test_history_rows_read_not_yet_measured_percentiles_as_missing() -> None:
    text = csv_text(HISTORY_COLUMNS, [history_row(5, "GET", CREATE, p95="N/A")])
    (row,) = parse_history(text.splitlines())
    assert row.percentiles_ms["95%"] is None
