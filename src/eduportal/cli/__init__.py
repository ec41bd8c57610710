"""The `eduportal` command: run the portal and its workers, manage accounts, put images through
the pipeline, check images and storage by hand.

Every command reads its settings from the environment (see README), so
`EDUPORTAL_STORAGE=s3 S3_BUCKET_NAME=... eduportal image put photo.png --assignment-id a1`
checks a real deployment. Failures print the user's sentence and a reference on stderr and
exit non-zero, never a traceback; the technical detail is in the JSON log line above it. Each
command group is a module of this package with a `register` function.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from eduportal.cli import (
    image,
    infra,
    loadtest,
    pipeline,
    scaling,
    serve,
    storage,
    uploads,
    users,
    worker,
)
from eduportal.cli.common import EXIT_BAD_INPUT, EXIT_FAILURE, Handler, UsageError
from eduportal.config import load_settings
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import EduportalError, ErrorKind
from eduportal.observability.logging import configure_logging, log_error

log = logging.getLogger("eduportal.cli")

QUIET_COMMANDS = frozenset({"image", "users", "storage", "upload", "images", "pipeline", "infra"})
"""Commands whose output is their JSON: they log warnings and errors only, unless -v."""


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
    for group in (
        serve,
        worker,
        uploads,
        pipeline,
        users,
        storage,
        image,
        scaling,
        infra,
        loadtest,
    ):
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging("WARNING")
    with correlation_scope() as correlation_id:
        try:
            args.settings = load_settings()
            configure_logging("INFO" if args.verbose else args.settings.log_level)
            if not args.verbose and args.command in QUIET_COMMANDS:
                logging.getLogger("eduportal").setLevel(logging.WARNING)
            handler: Handler = args.handler
            return handler(args)
        except UsageError as exc:
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
