"""`eduportal upload` and `eduportal images`: put an image through the processing pipeline and
look at image records, from a terminal or a script."""

from __future__ import annotations

import argparse
import mimetypes
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from eduportal.cli.common import (
    EXIT_FAILURE,
    EXIT_NEEDS_ATTENTION,
    Commands,
    iso_time,
    offset,
    page_size,
    print_json,
    read_input,
)
from eduportal.domain.image_records import FINAL, ImageRecord, ImageStatus
from eduportal.services.uploads import upload_days

WAIT_POLL_SECONDS = 0.25


def record_json(record: ImageRecord) -> dict[str, Any]:
    """A record as scripts read it: the stored document with readable times."""
    document = record.to_document()
    document["uploaded_at"] = iso_time(record.uploaded_at)
    document["updated_at"] = iso_time(record.updated_at)
    for attempt in document["history"]:
        attempt["at"] = iso_time(attempt["at"])
        attempt["seconds"] = round(attempt["seconds"], 4)
    return document


def _cmd_upload(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    container = build(args.settings)
    content_type, _ = mimetypes.guess_type(args.file.name)
    record = container.uploads.upload(
        read_input(args.file),
        file_name=args.file.name,
        content_type=content_type,
        uploader=args.uploader,
    )
    if not args.wait:
        print_json({"image_id": record.image_id, "key": record.key, "status": record.status})
        return 0
    record = _wait(container.uploads.get, record, args.timeout)
    print_json(record_json(record))
    if record.status is ImageStatus.COMPLETED:
        return 0
    return EXIT_NEEDS_ATTENTION if record.status in FINAL else EXIT_FAILURE


def _wait(get: Any, record: ImageRecord, timeout: float) -> ImageRecord:
    """Poll until the record is final, telling the terminal each stage as it completes."""
    deadline = time.monotonic() + timeout
    shown = 0
    _say(f"{record.image_id}: {record.status}, waiting for a worker")
    while record.status not in FINAL and time.monotonic() < deadline:
        time.sleep(WAIT_POLL_SECONDS)
        record = get(record.image_id)
        done = record.stages_done
        for stage, _ in done[shown:]:
            _say(f"{record.image_id}: {stage} done")
        shown = len(done)
    if record.status in FINAL:
        _say(f"{record.image_id}: {record.status}")
    else:
        _say(
            f"{record.image_id}: still {record.status} after {timeout:g} s. Is a worker "
            "running (`eduportal serve` starts one, or `eduportal worker`)? "
            f"`eduportal images show {record.image_id}` shows it later."
        )
    return record


def _say(line: str) -> None:
    sys.stderr.write(f"upload: {line}\n")
    sys.stderr.flush()


def _cmd_images_show(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    record = build(args.settings).uploads.get(args.image_id)
    if args.json:
        print_json(record_json(record))
    else:
        sys.stdout.write(_describe(record))
    return 0


def _describe(record: ImageRecord) -> str:
    lines = [
        f"{record.image_id}  {record.status}  (run {record.run})",
        f"  upload:     {record.key}, {record.size_bytes:,} bytes, {record.content_type}, "
        f"{iso_time(record.uploaded_at)}",
    ]
    if record.processed_key:
        lines.append(f"  processed:  {record.processed_key}")
    if record.thumbnail_keys:
        lines.append(f"  thumbnails: {', '.join(record.thumbnail_keys)}")
    if record.archive_key:
        lines.append(f"  archive:    {record.archive_key}")
    if record.metadata:
        meta = record.metadata
        lines.append(
            f"  image:      {meta.get('width')}x{meta.get('height')} {meta.get('format')} "
            f"{meta.get('mode')}"
        )
    if record.reason:
        lines.append(f"  rejected:   {record.reason}")
    if record.failure:
        lines.append(
            f"  failed:     in {record.failure.stage} after {record.failure.attempts} tries: "
            f"{record.failure.message}"
        )
    if record.history:
        lines.append("  stages:")
        for attempt in record.history:
            note = f"  {attempt.message}" if attempt.message else ""
            lines.append(
                f"    {iso_time(attempt.at)}  {attempt.stage:<16} {attempt.outcome:<9} "
                f"{attempt.seconds * 1000:8.0f} ms{note}"
            )
    return "\n".join(lines) + "\n"


def _cmd_images_list(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    uploads = build(args.settings).uploads
    days = upload_days(on=args.date, since=args.since, until=args.until, today=uploads.today())
    records = uploads.find(
        status=ImageStatus(args.status) if args.status else None,
        days=days,
        limit=args.limit,
        offset=args.offset,
    )
    if args.json:
        print_json([record_json(record) for record in records])
        return 0
    if not records:
        sys.stdout.write("No image records match.\n")
        return 0
    for record in records:
        sys.stdout.write(
            f"{record.image_id}  {record.status:<10} {iso_time(record.uploaded_at)}  "
            f"{record.size_bytes:>10,} B  {record.key}\n"
        )
    if len(records) == args.limit:
        sys.stdout.write(f"(more may follow: --offset {args.offset + args.limit})\n")
    return 0


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write YYYY-MM-DD.") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds, more than 0.")
    return value


def register(commands: Commands) -> None:
    upload = commands.add_parser(
        "upload",
        help="upload an image file into the processing pipeline",
        description="Store FILE under uploads/ on the configured backend; the upload event "
        "records it (status UPLOADED) and queues it for the workers. Prints one JSON object: "
        "image_id, key, status. With --wait, follows it until COMPLETED, REJECTED or FAILED "
        "(progress on standard error) and prints the whole record. Exit status with --wait: "
        "0 COMPLETED, 3 REJECTED or FAILED (the record says why), 1 not final in time.",
    )
    upload.add_argument("file", type=Path, metavar="FILE", help="the image file")
    upload.add_argument("--wait", action="store_true", help="wait for a final status")
    upload.add_argument(
        "--timeout",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="how long --wait waits (default 120)",
    )
    upload.add_argument(
        "--uploader", default="cli", metavar="NAME", help="recorded as the uploader"
    )
    upload.set_defaults(handler=_cmd_upload)

    images = commands.add_parser(
        "images",
        help="look at image records: status, stages, outputs",
        description="Image records of the processing pipeline (one per upload).",
    )
    actions = images.add_subparsers(dest="images_command", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show",
        help="one image's record: status, outputs, stage timeline",
        description="Print the record of IMAGE_ID: status, upload, processed image, "
        "thumbnails, archive, metadata, the reason for a rejection or failure, and every "
        "stage tried with its outcome and duration.",
    )
    show.add_argument("image_id", metavar="IMAGE_ID")
    show.add_argument("--json", action="store_true", help="print the record as JSON")
    show.set_defaults(handler=_cmd_images_show)

    listing = actions.add_parser(
        "list",
        help="records by status and upload date, newest first",
        description="List image records, newest upload first, optionally of one status and "
        "uploaded on one day (--date) or within days (--since/--until, UTC, at most 366 "
        "days). One line each, or JSON with --json.",
    )
    listing.add_argument(
        "--status", choices=[status.value for status in ImageStatus], help="only this status"
    )
    listing.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="uploaded on this day")
    listing.add_argument(
        "--since", type=_day, metavar="YYYY-MM-DD", help="uploaded from (until defaults to today)"
    )
    listing.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="uploaded until")
    listing.add_argument(
        "--limit", type=page_size, default=50, metavar="N", help="records per page (default 50)"
    )
    listing.add_argument(
        "--offset", type=offset, default=0, metavar="N", help="records to skip (paging)"
    )
    listing.add_argument("--json", action="store_true", help="print the records as JSON")
    listing.set_defaults(handler=_cmd_images_list)
