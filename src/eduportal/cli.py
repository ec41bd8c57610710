"""The `eduportal` command: run the service, manage accounts, check images and storage by hand.

Every command reads its settings from the environment (see README), so
`EDUPORTAL_STORAGE=s3 S3_BUCKET_NAME=... eduportal image put photo.png --assignment-id a1`
checks a real deployment. Failures print the user's sentence and a reference on stderr and
exit non-zero, never a traceback; the technical detail is in the JSON log line above it.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from eduportal.config import Settings, load_settings
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import EduportalError, ErrorKind
from eduportal.observability.logging import configure_logging, log_context, log_error
from eduportal.services.accounts import SESSION_CACHE_SECONDS, AccountService
from eduportal.services.reconcile import DEFAULT_MIN_AGE_SECONDS, Deletion, Findings

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_NEEDS_ATTENTION = 3
"""`storage reconcile` found something this run did not fix: cron can alert on it."""

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
    if demo:
        lines.append("Demo accounts created (shown only now; add more: `eduportal users add`):")
        lines += [f"  {name:<9} password: {password}" for name, password in demo.items()]
    lines.append("Press Ctrl-C to stop.")
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    ui = None if args.no_ui else _start_ui(settings, host, ui_port)
    try:
        _run_api(create_app(container), settings, host, port)
    finally:
        if ui is not None:
            _stop(ui)
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
    env = {**os.environ, "EDUPORTAL_DATA_DIR": str(settings.data_dir.resolve())}
    command = streamlit_command(settings, host, port)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603 - fixed argv


def streamlit_command(settings: Settings, host: str, port: int) -> list[str]:
    """The UI's command line. Its upload limit is ours, in Streamlit's whole megabytes
    (rounded up, so the uploader never refuses what the optimizer would take); the uploader
    then states it, and larger files are stopped in the browser."""
    upload_mb = max(1, math.ceil(settings.max_upload_bytes / (1024 * 1024)))
    app = Path(__file__).parent / "ui" / "app.py"
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal", "--server.maxUploadSize", str(upload_mb),
    ]  # fmt: skip


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


def _cmd_users_list(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    accounts = build(args.settings).accounts.list_accounts()
    _print_json(
        [
            {
                "username": account.username,
                "role": account.role.value,
                "created_at": _iso_time(account.created_at),
            }
            for account in accounts
        ]
    )
    return 0


def _cmd_users_delete(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    accounts = build(args.settings).accounts
    if not args.yes:
        _confirm(f"Delete account {args.name!r} and end its sessions?")
    accounts.delete_account(args.name)
    _print_json({"username": args.name.strip().lower(), "deleted": True})
    _warn_if_no_teacher_left(accounts)
    return 0


def _cmd_users_set_password(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    revoked = build(args.settings).accounts.set_password(args.name, _read_password())
    _print_json({"username": args.name.strip().lower(), "sessions_revoked": revoked})
    return 0


def _cmd_users_set_role(args: argparse.Namespace) -> int:
    from eduportal.domain.accounts import Role
    from eduportal.wiring import build

    accounts = build(args.settings).accounts
    revoked = accounts.set_role(args.name, Role(args.role))
    _print_json(
        {"username": args.name.strip().lower(), "role": args.role, "sessions_revoked": revoked}
    )
    _warn_if_no_teacher_left(accounts)
    return 0


def _confirm(question: str) -> None:
    """Ask on a terminal; refuse to guess anywhere else (a script must say --yes)."""
    if not sys.stdin.isatty():
        raise _UsageError("Not asking for confirmation without a terminal: add --yes.")
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise _UsageError("Nothing was changed.")


def _warn_if_no_teacher_left(accounts: AccountService) -> None:
    from eduportal.domain.accounts import Role

    if not any(account.role is Role.TEACHER for account in accounts.list_accounts()):
        sys.stderr.write(
            "note: no teacher account is left; create one with "
            "`eduportal users add NAME --role teacher`.\n"
        )


def _iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


_DURATION = re.compile(r"(\d{1,9})([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """`90s`, `30m`, `2h`, `7d` in seconds; argparse turns the error into a usage error."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: give a whole number and a unit (s, m, h or d), "
            "e.g. 90s, 30m, 2h or 7d."
        )
    return int(match[1]) * _UNIT_SECONDS[match[2]]


def _cmd_storage_reconcile(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    container = build(args.settings)
    reconciler = container.reconciler
    findings = reconciler.find(min_age_seconds=args.older_than, progress=_progress)
    deletion = reconciler.delete_orphans(findings.orphans) if args.delete else None
    report: dict[str, object] = {
        "backend": container.storage_backend,
        "dry_run": deletion is None,
        "older_than_seconds": args.older_than,
        "objects_scanned": findings.objects_scanned,
        "records_scanned": findings.records_scanned,
        "orphans": [
            {
                "key": info.key,
                "size_bytes": info.size_bytes,
                "last_modified": _iso_time(info.last_modified),
            }
            for info in findings.orphans
        ],
        "orphan_bytes": sum(info.size_bytes for info in findings.orphans),
        "deleted": list(deletion.deleted) if deletion else [],
        "delete_failures": [
            {"key": failure.key, "error": failure.error}
            for failure in (deletion.failed if deletion else ())
        ],
        "recent_unreferenced": len(findings.too_recent),
        "dangling_records": [
            {"assignment_id": r.assignment_id, "teacher_id": r.teacher_id, "key": r.key}
            for r in findings.dangling
        ],
        "advice": _reconcile_advice(findings, deletion),
    }
    _print_json(report)
    if deletion is not None and deletion.failed:
        return EXIT_FAILURE
    if findings.dangling or (findings.orphans and deletion is None):
        return EXIT_NEEDS_ATTENTION
    return 0


def _reconcile_advice(findings: Findings, deletion: Deletion | None) -> list[str]:
    advice = []
    if findings.orphans and deletion is None:
        advice.append(
            f"Run again with --delete to delete the {len(findings.orphans)} objects "
            "no record names."
        )
    if deletion is not None and deletion.failed:
        advice.append("Some deletes failed (see delete_failures); running again retries them.")
    if findings.dangling:
        advice.append(
            "Dangling records name an image that is missing; their pages show a placeholder. "
            "The teacher can upload a new image or remove it (Assignments, Edit). This command "
            "never changes records."
        )
    if findings.too_recent:
        advice.append(
            f"{len(findings.too_recent)} objects no record names are younger than "
            "--older-than and were left alone: an upload whose record is being saved looks "
            "the same."
        )
    return advice


def _progress(message: str) -> None:
    sys.stderr.write(f"reconcile: {message}\n")
    sys.stderr.flush()


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
        "users",
        help="manage accounts",
        description="Manage teacher and student accounts: add, list, delete, set-password, "
        "set-role. Each prints JSON on standard output.",
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

    listing = user_commands.add_parser(
        "list",
        help="list accounts as a JSON array",
        description="Print every account as a JSON array of {username, role, created_at}, "
        "ordered by user name. Password hashes are never printed.",
    )
    listing.set_defaults(handler=_cmd_users_list)

    revoking = (
        f"Its sessions end at once in the database; a running server notices within "
        f"{SESSION_CACHE_SECONDS:g} seconds."
    )
    remove = user_commands.add_parser(
        "delete",
        help="delete an account and end its sessions",
        description=f"Delete account NAME. {revoking} Asks for confirmation on a terminal; "
        "elsewhere (scripts, cron) --yes is required. Deleting the last teacher is allowed, "
        "with a note on standard error.",
    )
    remove.add_argument("name", metavar="NAME", help="the account's user name")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(handler=_cmd_users_delete)

    password = user_commands.add_parser(
        "set-password",
        help="replace an account's password and end its sessions",
        description=f"Replace NAME's password (at least 8 characters). {revoking} The "
        "password is read from standard input when it is not a terminal (e.g. `echo "
        "newsecret1 | eduportal users set-password ann`), else prompted for twice. Prints "
        "how many sessions were ended.",
    )
    password.add_argument("name", metavar="NAME", help="the account's user name")
    password.set_defaults(handler=_cmd_users_set_password)

    role = user_commands.add_parser(
        "set-role",
        help="make an account a teacher or a student and end its sessions",
        description=f"Give NAME the role given by --role. {revoking} The account signs in "
        "again to act with its new role. Setting the role it already has changes nothing.",
    )
    role.add_argument("name", metavar="NAME", help="the account's user name")
    role.add_argument("--role", required=True, choices=["teacher", "student"])
    role.set_defaults(handler=_cmd_users_set_role)

    storage = commands.add_parser(
        "storage",
        help="check the object store against the database",
        description="Maintenance of the object store.",
    )
    storage_commands = storage.add_subparsers(
        dest="storage_command", required=True, metavar="ACTION"
    )
    reconcile = storage_commands.add_parser(
        "reconcile",
        help="find images no record names and records whose image is missing",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Compare the images under generated_images/ with the assignment records, and
those under drafts/ with the teachers' drafts, on the configured backend, and
print a JSON report:

  orphans            objects no record names (a crash between storing an
                     image and saving its record leaves one), older than
                     --older-than; younger ones may be uploads in progress
                     and are only counted (recent_unreferenced)
  dangling_records   records whose image is missing: reported, never
                     changed; the teacher can upload a new image or remove it

A dry run by default; --delete deletes the orphans (never records). Progress
goes to standard error on large stores.

exit status:
  0  nothing to do, or every orphan deleted and no dangling record
  1  a failure (a delete failed, storage or database unavailable)
  2  bad command-line input
  3  needs attention: orphans found in a dry run, or dangling records""",
    )
    reconcile.add_argument(
        "--delete", action="store_true", help="delete the orphans found (default: dry run)"
    )
    reconcile.add_argument(
        "--older-than",
        type=parse_duration,
        default=int(DEFAULT_MIN_AGE_SECONDS),
        metavar="DURATION",
        help="only objects at least this old count as orphans: 90s, 30m, 2h, 7d (default: 1h)",
    )
    reconcile.set_defaults(handler=_cmd_storage_reconcile)

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
            if not args.verbose and args.command in ("image", "users", "storage"):
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
