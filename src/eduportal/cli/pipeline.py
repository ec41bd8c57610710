"""`eduportal pipeline`: the Step Functions definition, the queue's state and the dead letters,
for operators."""

from __future__ import annotations

import argparse
import sys

from eduportal.cli.common import Commands, UsageError, iso_time, offset, page_size, print_json


def _cmd_asl(args: argparse.Namespace) -> int:
    from eduportal.pipeline.asl import TEMPLATE_PREFIX, render
    from eduportal.wiring import build

    definition = build(args.settings).pipeline_definition
    print_json(render(definition, args.arn_prefix or TEMPLATE_PREFIX))
    return 0


def _cmd_permissions(args: argparse.Namespace) -> int:
    from eduportal.pipeline.permissions import document

    print_json(document())
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    depth = build(args.settings).queue.depth()
    print_json({"waiting": depth.waiting, "in_flight": depth.in_flight, "dead": depth.dead})
    return 0


def _cmd_dlq_list(args: argparse.Namespace) -> int:
    from eduportal.domain.messages import image_id_in
    from eduportal.wiring import build

    letters = build(args.settings).uploads.dead_letters(limit=args.limit, offset=args.offset)
    rows = [
        {
            "id": letter.message_id,
            "image_id": image_id_in(letter.body),
            "reason": letter.reason,
            "receive_count": letter.receive_count,
            "dead_at": iso_time(letter.dead_at),
        }
        for letter in letters
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        sys.stdout.write("The dead-letter queue is empty.\n")
    else:
        for row in rows:
            sys.stdout.write(
                f"{row['id']}  {row['dead_at']}  image {row['image_id'] or '(none)'}  "
                f"received {row['receive_count']}x\n    {row['reason']}\n"
            )
    return 0


def _cmd_dlq_redrive(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    if bool(args.ids) == args.all:
        raise UsageError("Name the dead letters to redrive (see `pipeline dlq list`), or --all.")
    result = build(args.settings).uploads.redrive(None if args.all else list(args.ids))
    print_json({"redriven": list(result.redriven), "not_found": list(result.not_found)})
    if result.not_found:
        sys.stderr.write(
            "note: not in the dead-letter queue (already redriven, or a wrong id): "
            + ", ".join(result.not_found)
            + "\n"
        )
    return 0


def register(commands: Commands) -> None:
    pipeline = commands.add_parser(
        "pipeline",
        help="the processing pipeline: definition, queue, dead letters",
        description="Operate the image processing pipeline.",
    )
    actions = pipeline.add_subparsers(dest="pipeline_command", required=True, metavar="ACTION")

    asl = actions.add_parser(
        "asl",
        help="print the Step Functions definition (Amazon States Language)",
        description="Print the state machine AWS Step Functions runs, rendered from the same "
        "definition the local workers run: one Task per stage with the same retries, and "
        "the paths that record REJECTED and FAILED. Each Task invokes the Lambda function "
        "PREFIX + eduportal-pipeline-STEP; without --arn-prefix, PREFIX is the placeholder "
        "${lambda_arn_prefix} that Terraform's templatefile() fills in.",
    )
    asl.add_argument(
        "--arn-prefix",
        metavar="PREFIX",
        help="e.g. arn:aws:lambda:eu-west-1:123456789012:function:",
    )
    asl.set_defaults(handler=_cmd_asl)

    permissions = actions.add_parser(
        "permissions",
        help="print which AWS actions on which resources each Lambda function needs",
        description="Print, as JSON, the least privilege of the pipeline on AWS: for each "
        "Lambda function (the record writer, the queue consumer, one per step) the IAM "
        "actions it needs on which resources (object grants limited to key prefixes), with "
        "a reason each, and the state machine's role. The infrastructure builds its IAM "
        "policies from it; a test checks every AWS call the handlers make is in it.",
    )
    permissions.set_defaults(handler=_cmd_permissions)

    status = actions.add_parser(
        "status",
        help="how many messages wait, are being processed, are dead",
        description="Print the processing queue's depth as JSON: waiting (including "
        "delayed), in_flight (leased to a worker) and dead (in the dead-letter queue).",
    )
    status.set_defaults(handler=_cmd_status)

    dlq = actions.add_parser(
        "dlq",
        help="the dead-letter queue: list, redrive",
        description="Messages whose image failed after its retries, or that failed too "
        "often to deliver. Fix the cause, then redrive them.",
    )
    dlq_actions = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    listing = dlq_actions.add_parser(
        "list",
        help="list the dead letters, oldest first",
        description="List dead letters: id, image, why, how often it was received, when.",
    )
    listing.add_argument(
        "--limit", type=page_size, default=50, metavar="N", help="per page (default 50)"
    )
    listing.add_argument("--offset", type=offset, default=0, metavar="N", help="for paging")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_cmd_dlq_list)

    redrive = dlq_actions.add_parser(
        "redrive",
        help="put dead letters back into the queue",
        description="Move each named dead letter (or --all) back into the processing "
        "queue; its image record goes from FAILED back to UPLOADED with the next run "
        "number, and a worker processes it again. Safe to repeat: a letter already "
        "redriven is reported under not_found and queued only once.",
    )
    redrive.add_argument("ids", nargs="*", metavar="ID", help="dead-letter ids (from `list`)")
    redrive.add_argument("--all", action="store_true", help="every dead letter")
    redrive.set_defaults(handler=_cmd_dlq_redrive)
