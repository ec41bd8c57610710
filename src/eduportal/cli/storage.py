"""`eduportal storage`: the object store checked against the records that name its objects."""

from __future__ import annotations

import argparse
import re
import sys

from eduportal.cli.common import (
    EXIT_FAILURE,
    EXIT_NEEDS_ATTENTION,
    Commands,
    iso_time,
    print_json,
)
from eduportal.services.reconcile import DEFAULT_MIN_AGE_SECONDS, Deletion, Findings

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
                "last_modified": iso_time(info.last_modified),
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
    print_json(report)
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


def _cmd_storage_usage(args: argparse.Namespace) -> int:
    from eduportal.services.storage_usage import QUOTA_ALERT_SHARE, measure
    from eduportal.wiring import build

    container = build(args.settings)
    quota = args.quota_bytes or container.settings.storage_quota_bytes
    images = measure(container.stored_objects, progress=_usage_progress)
    archive = measure(container.archive_store, progress=_usage_progress)
    share = images.share_of(quota) if quota else None
    over = share is not None and share > QUOTA_ALERT_SHARE
    report: dict[str, object] = {
        "backend": container.storage_backend,
        "images": images.as_dict(),
        "archive": archive.as_dict(),
        "quota_bytes": quota,
        "quota_used": None if share is None else round(share, 4),
        "alert_share": QUOTA_ALERT_SHARE,
        "advice": _usage_advice(share, over),
    }
    print_json(report)
    return EXIT_NEEDS_ATTENTION if over else 0


def _usage_advice(share: float | None, over: bool) -> list[str]:
    from eduportal.services.storage_usage import QUOTA_ALERT_SHARE

    if share is None:
        return [
            "No quota is set: give --quota-bytes N or set EDUPORTAL_STORAGE_QUOTA_BYTES to "
            "see the share used."
        ]
    if over:
        return [
            f"The image store holds {share:.0%} of its quota, past the "
            f"{QUOTA_ALERT_SHARE:.0%} alert: raise the quota, or let the lifecycle rules "
            "and `storage reconcile --delete` free space."
        ]
    return []


def _usage_progress(message: str) -> None:
    sys.stderr.write(f"usage: {message}\n")
    sys.stderr.flush()


def _bytes(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give the quota in bytes, more than 0.")
    return int(text)


def register(commands: Commands) -> None:
    storage = commands.add_parser(
        "storage",
        help="the object store: check it against the records, measure what it holds",
        description="Maintenance of the object store: reconcile it with the records, "
        "measure its usage.",
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

    usage = storage_commands.add_parser(
        "usage",
        help="bytes and objects by prefix and storage class, and the share of the quota",
        description="Count every object of the image store and of the pipeline's archive, "
        "on the configured backend, by key prefix (generated_images/, uploads/, processed/, "
        "thumbnails/, drafts/, ...) and by storage class (STANDARD, STANDARD_IA, GLACIER_IR "
        "on S3), and print a JSON report with the share of the quota the image store uses. "
        "Exit status 3 when that share is past 80 %, the monitoring alarm's threshold "
        "(requirement 8.3), so cron can alert on it too. Progress goes to standard error on "
        "large stores.",
    )
    usage.add_argument(
        "--quota-bytes",
        type=_bytes,
        metavar="N",
        help="the quota in bytes (default: EDUPORTAL_STORAGE_QUOTA_BYTES)",
    )
    usage.set_defaults(handler=_cmd_storage_usage)
