"""`eduportal serve` (what `make run` starts) as a real process, reached over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.images import photograph, png
from tests.support.network import free_port, wait_for, wait_until_up
from tests.support.processes import children_of, ended


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EDUPORTAL_")},
        "EDUPORTAL_DATA_DIR": str(tmp_path / "data"),
        "EDUPORTAL_API_PORT": str(port),
        "EDUPORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "eduportal", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process=process, seconds=60)
    except AssertionError as exc:
        process.kill()
        pytest.fail(f"server did not start ({exc}): {process.communicate()[1]}")
    yield base, tmp_path / "data", process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serves_stored_images_and_stops_cleanly_on_ctrl_c(
    server: tuple[str, Path, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, data_dir, process = server
    photo = tmp_path / "photo.png"
    photo.write_bytes(png(photograph("coffee")))
    env = {**os.environ, "EDUPORTAL_DATA_DIR": str(data_dir), "EDUPORTAL_PUBLIC_URL": base}
    put = subprocess.run(
        [sys.executable, "-m", "eduportal", "image", "put", str(photo), "--assignment-id", "c1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert '"url": "' + base + "/images/generated_images/c1.webp?v=" in put.stdout

    with httpx.Client(base_url=base, timeout=5) as client:
        image = client.get("/images/generated_images/c1.webp")
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
        cached = client.get(
            "/images/generated_images/c1.webp", headers={"If-None-Match": image.headers["etag"]}
        )
        assert cached.status_code == 304
        assert client.get("/images/generated_images/none.webp").status_code == 404
        assert client.get("/readyz").json()["status"] == "ready"

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    banner = process.stderr.read() if process.stderr else ""
    assert "image origin: " + base in banner


def test_a_portal_killed_outright_leaves_no_worker_and_no_ui_behind(
    server: tuple[str, Path, subprocess.Popen[str]],
) -> None:
    """The worker runs in a session of its own (a Ctrl-C reaches it once, through serve), so a
    SIGKILL of serve cannot pass on, nor can it stop the UI; each notices its parent gone and
    stops itself, so the next start finds its ports free."""
    _, _, process = server

    def children() -> dict[str, int]:
        found = children_of(process.pid)
        return {
            role: pid
            for pid, line in found.items()
            for role, mark in (("worker", "eduportal worker"), ("ui", "streamlit_child"))
            if mark in line
        }

    wait_for(lambda: len(children()) == 2, seconds=30, what="serve's worker and UI")
    started = children()
    time.sleep(2)  # long past their start-up: a child that refused its arguments is gone by now
    assert children() == started
    process.kill()
    process.wait()
    for role, pid in started.items():
        wait_for(
            lambda pid=pid: ended(pid),  # type: ignore[misc]
            seconds=20,
            what=f"the orphaned {role} to stop",
        )
