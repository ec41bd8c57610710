"""`eduportal serve`: the portal (REST API, image origin, Streamlit UI) and its workers."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

from eduportal.cli.common import Commands
from eduportal.cli.parent_watch import process_id, stop_with_parent
from eduportal.cli.worker import worker_command
from eduportal.config import Settings

WORKER_GRACE_SECONDS = 60
"""How long stopping waits for the worker to finish its image; a worker stopped harder loses
nothing (its lease runs out), it only delays that image."""


def _cmd_serve(args: argparse.Namespace) -> int:
    from eduportal.api.app import create_app
    from eduportal.wiring import build

    settings: Settings = args.settings
    host = args.host or settings.api_host
    port = args.port or settings.api_port
    ui_port = args.ui_port or settings.ui_port
    workers = (0 if settings.aws_pipeline else 1) if args.workers is None else args.workers
    container = build(settings)
    container.check()
    demo = container.accounts.ensure_demo_accounts()
    api = f"http://{host}:{port}"
    lines = [f"eduportal: {settings.storage} storage" + _where(settings)]
    if not args.no_ui:
        lines.append(f"  portal (UI):  http://{host}:{ui_port}")
    lines += [
        f"  REST API:     {api}/api (docs: {api}/docs)",
        f"  image origin: {api}/images/{{key}}",
        f"  health:       {api}/healthz, {api}/readyz; metrics: {api}/metrics",
    ]
    if workers:
        processes = "1 process" if workers == 1 else f"{workers} processes"
        lines.append(f"  worker:       {processes} processing uploads (logs below)")
    if demo:
        lines.append("Demo accounts created (shown only now; add more: `eduportal users add`):")
        lines += [f"  {name:<9} password: {password}" for name, password in demo.items()]
    lines.append("Press Ctrl-C to stop.")
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    ui = None if args.no_ui else _start_ui(settings, host, ui_port)
    worker = _start_workers(settings, workers) if workers else None
    stop_with_parent(args.parent_pid, lambda: os.kill(os.getpid(), signal.SIGINT))
    try:
        _run_api(create_app(container), settings, host, port)
    finally:
        if ui is not None:
            _stop(ui)
        if worker is not None:
            _stop(worker, grace_seconds=WORKER_GRACE_SECONDS)
    return 0


def _where(settings: Settings) -> str:
    if settings.storage == "local":
        return f" and SQLite in {settings.data_dir.resolve()}"
    return f" in bucket {settings.s3_bucket_name}"


def _run_api(app: object, settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from eduportal.api.server import server_config

    server = uvicorn.Server(server_config(app, settings, host=host, port=port))
    # uvicorn shuts down gracefully on Ctrl-C, then raises the signal again; stopping the
    # server is what Ctrl-C is for here, so it ends like `uvicorn.run` does, with success.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()


def _start_ui(settings: Settings, host: str, port: int) -> subprocess.Popen[bytes]:
    """Streamlit in a child process: it insists on owning its own event loop and signals."""
    command = streamlit_command(settings, host, port)
    return subprocess.Popen(command, env=_child_env(settings), stdout=subprocess.DEVNULL)  # noqa: S603 - fixed argv


def _start_workers(settings: Settings, count: int) -> subprocess.Popen[bytes]:
    """`eduportal worker` in a child process of its own session: a Ctrl-C here stops it once,
    through `_stop`, so it finishes its current image rather than dropping it; if this
    process is killed outright, the worker sees its parent gone and stops by itself."""
    command = [*worker_command(), "--concurrency", str(count)]
    return subprocess.Popen(  # noqa: S603 - fixed argv
        command, env=_child_env(settings), stdout=subprocess.DEVNULL, start_new_session=True
    )


def _child_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "EDUPORTAL_DATA_DIR": str(settings.data_dir.resolve())}


def streamlit_command(settings: Settings, host: str, port: int) -> list[str]:
    """The UI's command line: Streamlit's, stopping with this process (`streamlit_child`).
    Its upload limit is ours, in Streamlit's whole megabytes (rounded up, so the uploader
    never refuses what the optimizer would take); the uploader then states it, and larger
    files are stopped in the browser."""
    upload_mb = max(1, math.ceil(settings.max_upload_bytes / (1024 * 1024)))
    app = Path(__file__).parents[1] / "ui" / "app.py"
    return [
        sys.executable, "-m", "eduportal.cli.streamlit_child", str(os.getpid()), "run", str(app),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal", "--server.maxUploadSize", str(upload_mb),
    ]  # fmt: skip


def _stop(process: subprocess.Popen[bytes], *, grace_seconds: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def register(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="start the portal: REST API, image origin, Streamlit UI and a worker",
        description="Start the REST API (with the image origin, health and metrics), the "
        "Streamlit UI and a worker that processes uploaded images (none when the pipeline "
        "runs on AWS, where Step Functions does). On a database with no account, demo accounts are "
        "created and their passwords printed. Stops them all on Ctrl-C.",
    )
    serve.add_argument("--host", help="interface to listen on (default: EDUPORTAL_API_HOST)")
    serve.add_argument(
        "--port", type=int, help="port of the REST API (default: EDUPORTAL_API_PORT, 8000)"
    )
    serve.add_argument(
        "--ui-port", type=int, help="port of the Streamlit UI (default: EDUPORTAL_UI_PORT, 8501)"
    )
    serve.add_argument("--no-ui", action="store_true", help="do not start the Streamlit UI")
    serve.add_argument(
        "--workers",
        type=int,
        choices=range(0, 17),
        metavar="N",
        help="worker processes to start (default: 1; 0 when the pipeline runs on AWS)",
    )
    serve.add_argument(
        "--parent-pid",
        type=process_id,
        metavar="PID",
        help="stop (as on Ctrl-C) once process PID, which started this one, has ended: for a "
        "tool that runs the portal for a while (eduportal loadtest passes its own)",
    )
    serve.set_defaults(handler=_cmd_serve)
