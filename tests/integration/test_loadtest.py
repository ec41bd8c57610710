"""`eduportal loadtest` as a newcomer runs it: the smoke profile end to end, against a portal
the command starts itself, and the report it leaves. Timings are not asserted (the machine is
shared); the report's structure, the storage entries and the thresholds' evaluation are. Also:
Ctrl-C still leaves a report, and what cannot run says so in a sentence."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from PIL import Image

from eduportal.config import load_settings
from eduportal.domain.accounts import Role
from eduportal.loadtest.operations import (
    CREATE,
    IMAGE,
    S3_DOWNLOAD,
    S3_UPLOAD,
    STUDENT_PASSWORD_ENV,
    TEACHER_PASSWORD_ENV,
    VIEW,
)
from eduportal.wiring import build
from tests.support.api_server import running_api
from tests.support.cli import cli_env, run_cli
from tests.support.network import free_port, wait_for
from tests.support.processes import children_of, ended
from tests.support.scaling_group import provision
from tests.support.texts import PASSWORD

REPORT_FILES = {
    "index.html", "summary.json", "locust_report.html", "locust_stats.csv",
    "locust_stats_final.csv", "locust_stats_history.csv", "locust_failures.csv",
    "server_metrics.csv", "server.log", "locust.log",
}  # fmt: skip


def only_report(parent: Path, profile: str = "smoke") -> Path:
    (found,) = parent.iterdir()
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}Z-{profile}", found.name), found.name
    return found


def test_the_smoke_profile_leaves_a_whole_report(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    done = run_cli(
        ["loadtest", "--profile", "smoke", "--output-dir", str(reports)],
        cli_env(tmp_path / "data"),
        timeout=150,
    )
    # 3: a threshold failed, which a loaded machine may cause; the structure is the test.
    assert done.returncode in (0, 3), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert re.search(r"loadtest: 0:\d\d / 0:15 · \d+ users · \d+ requests", done.stderr)
    report = only_report(reports)
    assert {path.name for path in report.iterdir()} >= REPORT_FILES

    summary = json.loads((report / "summary.json").read_text())
    operations = {op["name"]: op for op in summary["operations"]}
    for name in (CREATE, VIEW, IMAGE, S3_UPLOAD, S3_DOWNLOAD):
        assert operations[name]["count"] > 0, name
        assert {"p50_ms", "p95_ms", "p99_ms", "error_rate", "success_rate", "rps"} <= set(
            operations[name]
        )
    assert operations[S3_UPLOAD]["type"] == operations[S3_DOWNLOAD]["type"] == "STORAGE"
    # Each create with an image stores the image and its thumbnails.
    assert operations[S3_UPLOAD]["count"] >= operations[CREATE]["count"]
    assert summary["overall"]["requests"] > 0
    assert [t["name"] for t in summary["thresholds"]] == [
        "upload-p95",
        "download-p95",
        "error-rate",
    ]
    assert all(t["pass"] is not None and t["value"] is not None for t in summary["thresholds"])
    assert summary["verdict"] == ("pass" if done.returncode == 0 else "fail")
    assert summary["server"]["available"] is True
    assert summary["server"]["cpu_seconds"] is not None
    assert summary["server"]["peak_rss_bytes"] > 0
    assert summary["cdn_cache"]["hit_ratio"] is None  # no CDN: not available, not invented
    assert summary["profile"]["name"] == "smoke"
    assert summary["machine"]["cores"] >= 1
    assert summary["run"]["interrupted"] is False

    page = (report / "index.html").read_text()
    for chart in summary["charts"].values():
        with Image.open(report / chart) as image:
            image.verify()
            assert image.format == "PNG"
        assert f'src="{chart}"' in page
    assert "upload-p95" in done.stdout and f"report: {report / 'index.html'}" in done.stdout


def test_ctrl_c_stops_the_run_and_still_writes_the_report(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eduportal",
            "loadtest",
            "--profile",
            "smoke",
            "--run-time",
            "2m",
            "--output-dir",
            str(reports),
        ],
        env=cli_env(tmp_path / "data"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # bounded by the suite's timeout
            seen.append(line)
            if re.search(r"· [1-9][\d,]* requests", line):
                break
        else:
            raise AssertionError("no progress line with requests:\n" + "".join(seen))
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr + stdout
    assert "stopping (Ctrl-C)" in stderr
    report = only_report(reports)
    summary = json.loads((report / "summary.json").read_text())
    assert summary["run"]["interrupted"] is True
    assert summary["overall"]["requests"] > 0
    assert "interrupted" in (report / "index.html").read_text()
    assert "verdict:" in stdout


def test_what_cannot_run_says_so_in_a_sentence(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data")
    without_locust = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['locust'] = None; from eduportal.cli import main; "
            "sys.exit(main(['loadtest', '--profile', 'smoke']))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert without_locust.returncode == 1
    assert "pip install 'eduportal[loadtest]'" in without_locust.stderr
    assert "Traceback" not in without_locust.stderr

    bad = run_cli(["loadtest", "--profile", "smoke", "--threshold", "upload-p95=3"], env)
    assert bad.returncode == 2
    assert "give the latency with its unit" in bad.stderr

    unreachable = ["loadtest", "--profile", "smoke", "--host", "http://127.0.0.1:9"]
    unreachable += ["--output-dir", str(tmp_path)]
    no_password = run_cli(
        unreachable,
        env,
    )
    assert no_password.returncode == 1
    assert "Set EDUPORTAL_LOADTEST_TEACHER_PASSWORD" in no_password.stderr

    nobody_there = run_cli(
        unreachable,
        {
            **env,
            "EDUPORTAL_LOADTEST_TEACHER_PASSWORD": "x",
            "EDUPORTAL_LOADTEST_STUDENT_PASSWORD": "y",
        },
    )
    assert nobody_there.returncode == 1
    assert "did not answer a sign-in" in nobody_there.stderr
    assert "Traceback" not in nobody_there.stderr + no_password.stderr


def test_against_a_host_the_accounts_come_from_the_environment(tmp_path: Path) -> None:
    port = free_port()
    settings = load_settings(
        data_dir=tmp_path / "portal",
        generators="offline",
        api_port=port,
        public_url=f"http://127.0.0.1:{port}",
    )
    container = build(settings)
    container.accounts.register("ann", PASSWORD, Role.TEACHER)
    container.accounts.register("bob", PASSWORD, Role.STUDENT)
    env = {
        **cli_env(tmp_path / "data"),
        TEACHER_PASSWORD_ENV: PASSWORD,
        STUDENT_PASSWORD_ENV: PASSWORD,
    }
    reports = tmp_path / "reports"
    with running_api(container) as api:
        command = [
            "loadtest",
            "--profile",
            "smoke",
            "--host",
            api.url,
            "--output-dir",
            str(reports),
        ]
        wrong_role = run_cli([*command, "--teacher", "bob", "--student", "bob"], env)
        assert wrong_role.returncode == 1
        assert "'bob' is a student account; --teacher must name a teacher account." in (
            wrong_role.stderr
        )
        assert not reports.exists()  # nothing written before the accounts were checked
        done = run_cli(
            [*command, "--teacher", "ann", "--student", "bob", "--run-time", "6s"],
            env,
            timeout=120,
        )
    assert done.returncode in (0, 3), done.stderr
    summary = json.loads((only_report(reports) / "summary.json").read_text())
    assert summary["run"]["host"] == api.url
    assert summary["run"]["portal"].startswith("given by --host")
    assert summary["server"]["available"] is True  # the host's /metrics
    assert {op["name"] for op in summary["operations"]} >= {CREATE, S3_UPLOAD}


def test_with_watch_asg_the_report_judges_success_while_the_group_scales(
    tmp_path: Path, moto_url: str
) -> None:
    """The scaling watch runs beside the load, on moto's server over the wire; the group is
    scaled out during the run, and the report holds the watch's files and a success rate
    per operation for the window (requirement 10.5)."""
    port = free_port()
    container = build(
        load_settings(
            data_dir=tmp_path / "portal",
            generators="offline",
            api_port=port,
            public_url=f"http://127.0.0.1:{port}",
        )
    )
    container.accounts.register("ann", PASSWORD, Role.TEACHER)
    container.accounts.register("bob", PASSWORD, Role.STUDENT)
    env = {
        **cli_env(tmp_path / "data"),
        TEACHER_PASSWORD_ENV: PASSWORD,
        STUDENT_PASSWORD_ENV: PASSWORD,
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_REGION": "us-east-1",
    }
    group = provision(moto_url)
    reports = tmp_path / "reports"
    command = [
        "loadtest", "--profile", "smoke", "--teacher", "ann", "--student", "bob",
        "--run-time", "10s", "--output-dir", str(reports),
        "--watch-asg", group.name, "--watch-interval", "0.5",
    ]  # fmt: skip
    scale_out = threading.Timer(5.0, group.set_desired, args=(2,))
    try:
        with running_api(container) as api:
            scale_out.start()
            done = run_cli([*command, "--host", api.url], env, timeout=180)
    finally:
        scale_out.cancel()
        group.delete()
    assert done.returncode in (0, 3), done.stderr
    report = only_report(reports)
    assert {"timeline.json", "report.json", "timeline.png"} <= {
        path.name for path in (report / "scaling").iterdir()
    }
    Image.open(report / "scaling" / "timeline.png").verify()
    scaling = json.loads((report / "summary.json").read_text())["scaling"]
    assert scaling["group"] == group.name
    windows = scaling["windows"]
    assert [w["operation"] for w in windows[:2]] == ["upload", "download"]
    assert windows[0]["kind"] == "scale-out" and windows[0]["to_desired"] == 2
    assert all(w["outcome"] in ("pass", "not measured") for w in windows)  # nothing failed
    assert f"while Auto Scaling group {group.name} changed size" in done.stdout
    assert "scaling/timeline.png" in (report / "index.html").read_text()


def test_watch_asg_without_a_host_is_refused_in_a_sentence(tmp_path: Path) -> None:
    refused = run_cli(
        ["loadtest", "--profile", "smoke", "--watch-asg", "web"], cli_env(tmp_path / "data")
    )
    assert refused.returncode == 2
    assert "--watch-asg needs --host" in refused.stderr and "Traceback" not in refused.stderr


def test_a_loadtest_killed_outright_leaves_no_portal_behind(tmp_path: Path) -> None:
    """The portal the command started runs in a session of its own; killed with SIGKILL, the
    command cannot stop it, so the portal watches its parent and stops by itself."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "eduportal", "loadtest", "--profile", "smoke"),
            *("--run-time", "2m", "--output-dir", str(tmp_path / "reports")),
        ],
        env=cli_env(tmp_path / "data"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: any("eduportal serve" in line for line in children_of(process.pid).values()),
            seconds=60,
            what="the portal the command starts",
        )
        [portal] = [p for p, line in children_of(process.pid).items() if "eduportal serve" in line]
        process.kill()
        process.wait()
        wait_for(lambda: ended(portal), seconds=30, what="the orphaned portal to stop")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
