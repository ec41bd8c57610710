"""The `eduportal` command: run the service and check images by hand on any backend.

Every command reads its settings from the environment (see README), so
`EDUPORTAL_STORAGE=s3 S3_BUCKET_NAME=... eduportal image put photo.png --assignment-id a1`
checks a real deployment. Failures print the user's sentence and a reference on stderr and
exit non-zero, never a traceback; the technical detail is in the JSON log line above it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from eduportal.config import Settings, load_settings
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import EduportalError, ErrorKind
from eduportal.observability.logging import configure_logging, log_context, log_error

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2

log = logging.getLogger("eduportal.cli")

Handler = Callable[[argparse.Namespace], int]


def _print_json(payload: object) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


def _read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _UsageError(f"Cannot read {path}: {exc.strerror or exc}.") from exc


def _write_output(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise _UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


class _UsageError(Exception):
    """Bad command-line input (a path, a password typed twice differently): exit 2."""


def _cmd_optimize(args: argparse.Namespace) -> int:
    from eduportal.wiring import build_optimizer

    settings: Settings = args.settings
    options = {"max_image_dimension": args.max_dimension, "webp_quality": args.quality}
    overrides = {name: value for name, value in options.items() if value}
    if overrides:  # validated like the environment's values
        settings = load_settings(**overrides)
    optimizer = build_optimizer(settings)
    result = optimizer.optimize(_read_input(args.input))
    _write_output(args.output, result.data)
    _print_json(
        {
            **result.figures.as_dict(),
            "optimized": result.optimized,
            "content_type": result.content_type,
            **({"fallback_reason": result.fallback_reason} if result.fallback_reason else {}),
        }
    )
    return 0


def _cmd_put(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    container = build(args.settings)
    data = _read_input(args.file)
    with log_context(user=args.teacher_id, assignment_id=args.assignment_id):
        stored = container.image_store.store_generated(
            args.assignment_id, data, teacher_id=args.teacher_id
        )
    _print_json(stored.as_dict())
    return 0


def _cmd_get(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    stored = build(args.settings).image_store.fetch(args.key)
    _write_output(args.output, stored.data)
    _print_json({"key": stored.key, "bytes": len(stored.data), "content_type": stored.content_type})
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    build(args.settings).image_store.delete(args.key)
    _print_json({"key": args.key, "deleted": True})
    return 0


def _cmd_permanent(args: argparse.Namespace) -> int:
    from eduportal.domain.images import Lifecycle
    from eduportal.wiring import build

    lifecycle = Lifecycle.AUTO if args.undo else Lifecycle.PERMANENT
    build(args.settings).image_store.set_lifecycle(args.key, lifecycle)
    _print_json({"key": args.key, "lifecycle": lifecycle.value})
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from eduportal.api.app import create_app
    from eduportal.wiring import build

    settings: Settings = args.settings
    host = args.host or settings.api_host
    port = args.port or settings.api_port
    ui_port = args.ui_port or settings.ui_port
    container = build(settings)
    container.object_store.check()
    container.repositories.assignments.check()
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
    if demo:
        lines.append("Demo accounts created (shown only now; add more: `eduportal users add`):")
        lines += [f"  {name:<9} password: {password}" for name, password in demo.items()]
    lines.append("Press Ctrl-C to stop.")
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    ui = None if args.no_ui else _start_ui(settings, host, ui_port)
    try:
        _run_api(create_app(container), host, port)
    finally:
        if ui is not None:
            _stop(ui)
    return 0


def _where(settings: Settings) -> str:
    if settings.storage == "local":
        return f" and SQLite in {settings.data_dir.resolve()}"
    return f" in bucket {settings.s3_bucket_name}"


def _run_api(app: object, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)  # type: ignore[arg-type]


def _start_ui(settings: Settings, host: str, port: int) -> subprocess.Popen[bytes]:
    """Streamlit in a child process: it insists on owning its own event loop and signals."""
    home = Path(__file__).parent / "ui" / "Home.py"
    env = {**os.environ, "EDUPORTAL_DATA_DIR": str(settings.data_dir.resolve())}
    command = [
        sys.executable, "-m", "streamlit", "run", str(home),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603 - fixed argv


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise _UsageError("The two passwords differ.")
    return first


def _cmd_users_add(args: argparse.Namespace) -> int:
    from eduportal.domain.accounts import Role
    from eduportal.wiring import build

    account = build(args.settings).accounts.register(args.name, _read_password(), Role(args.role))
    _print_json({"username": account.username, "role": account.role.value})
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eduportal",
        description="eduportal: image storage and processing for an education portal. "
        "Settings come from the environment (EDUPORTAL_STORAGE, EDUPORTAL_DATA_DIR, "
        "S3_BUCKET_NAME, AWS_REGION, AWS_ENDPOINT_URL, CLOUDFRONT_DOMAIN, ...; see README).",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every operation (JSON, on stderr)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="start the portal: REST API, image origin and the Streamlit UI",
        description="Start the REST API (with the image origin, health and metrics) and the "
        "Streamlit UI on the configured backends. On a database with no account, demo "
        "accounts are created and their passwords printed. Stops both on Ctrl-C.",
    )
    serve.add_argument("--host", help="interface to listen on (default: EDUPORTAL_API_HOST)")
    serve.add_argument(
        "--port", type=int, help="port of the REST API (default: EDUPORTAL_API_PORT, 8000)"
    )
    serve.add_argument(
        "--ui-port", type=int, help="port of the Streamlit UI (default: EDUPORTAL_UI_PORT, 8501)"
    )
    serve.add_argument("--no-ui", action="store_true", help="start the REST API only")
    serve.set_defaults(handler=_cmd_serve)

    users = commands.add_parser(
        "users", help="manage accounts", description="Manage teacher and student accounts."
    )
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = user_commands.add_parser(
        "add",
        help="create an account",
        description="Create an account. The password is read from standard input when it is "
        "not a terminal (e.g. `echo secret123 | eduportal users add ann --role teacher`), "
        "else prompted for twice.",
    )
    add.add_argument("name", metavar="NAME", help="user name: 2-32 lower-case letters, digits")
    add.add_argument("--role", required=True, choices=["teacher", "student"])
    add.set_defaults(handler=_cmd_users_add)

    image = commands.add_parser(
        "image", help="optimize, store and read images", description="Work with images."
    )
    image_commands = image.add_subparsers(dest="image_command", required=True, metavar="ACTION")

    optimize = image_commands.add_parser(
        "optimize",
        help="optimize one image file to WebP; print the figures as JSON",
        description="Apply EXIF orientation, fit within the maximum dimension, convert to "
        "WebP and strip metadata. Writes OUT and prints original_size_bytes, "
        "optimized_size_bytes, compression_ratio (fraction saved), format and dimensions.",
    )
    optimize.add_argument("input", type=Path, metavar="IN", help="image file to read")
    optimize.add_argument("output", type=Path, metavar="OUT", help="file to write")
    optimize.add_argument(
        "--max-dimension", type=int, metavar="N", help="longest side in pixels (default 1024)"
    )
    optimize.add_argument(
        "--quality", type=int, metavar="Q", help="WebP quality 1-100 (default 85)"
    )
    optimize.set_defaults(handler=_cmd_optimize)

    put = image_commands.add_parser(
        "put",
        help="optimize and store an image for an assignment; print key, URL, status as JSON",
        description="Optimize FILE and store it as generated_images/{ID}.webp on the "
        "configured backend, with retries. Prints key, url, upload_status, attempts and "
        "the optimization figures.",
    )
    put.add_argument("file", type=Path, metavar="FILE", help="image file to store")
    put.add_argument("--assignment-id", required=True, metavar="ID", help="the assignment's id")
    put.add_argument("--teacher-id", default="cli", metavar="NAME", help="recorded as owner")
    put.set_defaults(handler=_cmd_put)

    get = image_commands.add_parser(
        "get",
        help="read a stored image into a file",
        description="Read KEY from the configured backend and write its bytes to OUT.",
    )
    get.add_argument("key", metavar="KEY", help="object key, e.g. generated_images/a1.webp")
    get.add_argument("output", type=Path, metavar="OUT", help="file to write")
    get.set_defaults(handler=_cmd_get)

    delete = image_commands.add_parser(
        "delete", help="delete a stored image", description="Delete KEY (no error if missing)."
    )
    delete.add_argument("key", metavar="KEY")
    delete.set_defaults(handler=_cmd_delete)

    permanent = image_commands.add_parser(
        "mark-permanent",
        help="exclude an image from the lifecycle rules (tag lifecycle=permanent)",
        description="Tag KEY lifecycle=permanent so archival and expiry rules skip it.",
    )
    permanent.add_argument("key", metavar="KEY")
    permanent.add_argument("--undo", action="store_true", help="tag it lifecycle=auto again")
    permanent.set_defaults(handler=_cmd_permanent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging("WARNING")
    with correlation_scope() as correlation_id:
        try:
            args.settings = load_settings()
            configure_logging("INFO" if args.verbose else args.settings.log_level)
            if not args.verbose and args.command in ("image", "users"):
                logging.getLogger("eduportal").setLevel(logging.WARNING)
            handler: Handler = args.handler
            return handler(args)
        except _UsageError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return EXIT_BAD_INPUT
        except EduportalError as exc:
            log_error(exc)
            sys.stderr.write(f"error: {exc.for_user()}\n")
            return EXIT_BAD_INPUT if exc.kind is ErrorKind.VALIDATION else EXIT_FAILURE
        except KeyboardInterrupt:
            return 130
        except Exception:
            log.exception("unexpected failure")
            sys.stderr.write(
                "error: something went wrong on our side "
                f"(reference: {correlation_id}); the log line above has the details.\n"
            )
            return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
