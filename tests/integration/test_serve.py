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


def children_of(pid: int) -> dict[int, str]:
    """Process id to command line of `pid`'s children, read from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(stat.parent.name)] = command.decode()
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return found


def test_a_portal_killed_outright_leaves_no_worker_behind(
    server: tuple[str, Path, subprocess.Popen[str]],
) -> None:
    """The worker runs in a session of its own (a Ctrl-C reaches it once, through serve), so a
    SIGKILL of serve cannot pass on; the worker notices its parent gone and stops itself."""
    _, _, process = server
    wait_for(
        lambda: any("eduportal worker" in line for line in children_of(process.pid).values()),
        seconds=30,
        what="serve's worker",
    )
    [worker] = [pid for pid, line in children_of(process.pid).items() if "eduportal worker" in line]
    time.sleep(2)  # long past its start-up: a worker that refused its arguments is gone by now
    assert worker in children_of(process.pid)
    process.kill()
    process.wait()
    wait_for(
        lambda: not Path(f"/proc/{worker}").exists() or is_zombie(worker),
        seconds=15,
        what="the orphaned worker to stop",
    )


def is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
