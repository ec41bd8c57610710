"""`eduportal image`: optimize, store and read one image by hand, on the configured backend."""

from __future__ import annotations

import argparse
from pathlib import Path

from eduportal.cli.common import Commands, print_json, read_input, write_output
from eduportal.config import Settings, load_settings
from eduportal.observability.logging import log_context
from eduportal.services.variants import ImageVariants


def _cmd_optimize(args: argparse.Namespace) -> int:
    from eduportal.wiring import build_optimizer

    settings: Settings = args.settings
    options = {
        "max_image_dimension": args.max_dimension,
        "webp_quality": args.quality,
        "ssim_target": args.ssim_target,
    }
    overrides = {name: value for name, value in options.items() if value}
    if overrides:  # validated like the environment's values
        settings = load_settings(**overrides)
    optimizer = build_optimizer(settings)
    result = optimizer.optimize(read_input(args.input))
    write_output(args.output, result.data)
    print_json(
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
    data = read_input(args.file)
    with log_context(user=args.teacher_id, assignment_id=args.assignment_id):
        stored = container.image_store.store_generated(
            args.assignment_id, data, teacher_id=args.teacher_id
        )
    print_json(stored.as_dict())
    return 0


def _cmd_get(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    stored = build(args.settings).image_store.fetch(args.key)
    write_output(args.output, stored.data)
    print_json({"key": stored.key, "bytes": len(stored.data), "content_type": stored.content_type})
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    build(args.settings).image_store.delete(args.key)
    print_json({"key": args.key, "deleted": True})
    return 0


def _cmd_permanent(args: argparse.Namespace) -> int:
    from eduportal.domain.images import Lifecycle
    from eduportal.wiring import build

    lifecycle = Lifecycle.AUTO if args.undo else Lifecycle.PERMANENT
    build(args.settings).image_store.set_lifecycle(args.key, lifecycle)
    print_json({"key": args.key, "lifecycle": lifecycle.value})
    return 0


def _cmd_variants(args: argparse.Namespace) -> int:
    from eduportal.wiring import build

    variants = build(args.settings).image_variants
    keys = list(args.keys) or list(variants.stored_images())
    if args.missing:
        keys = [key for key in keys if not variants.has_variants(key)]
    if not keys:
        print("Nothing to do: no stored image" + (" lacks variants." if args.missing else "."))
        return 0
    failed = 0
    for number, key in enumerate(keys, start=1):
        made = variants.make(key)
        if made.error is not None:
            failed += 1
            print(f"[{number}/{len(keys)}] {key}: not made: {made.error}", flush=True)
            continue
        sizes = ", ".join(
            f"{written.rsplit('.', 1)[1]} {_kilobytes(variants, written)}"
            for written in made.written
        )
        print(f"[{number}/{len(keys)}] {key}: {sizes}", flush=True)
    print(f"Made the variants of {len(keys) - failed} of {len(keys)} images.")
    return 1 if failed else 0


def _kilobytes(variants: ImageVariants, key: str) -> str:
    return f"{variants.images.store.head(key).size_bytes / 1000:.1f} KB"


def _ssim_target(text: str) -> str:
    """Checked here, so a wrong one is a usage error naming the option; the settings turn
    `off` into none."""
    if text.strip().lower() == "off":
        return text
    try:
        if 0.8 <= float(text) < 1.0:
            return text
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r}: give an SSIM from 0.8 to 0.999, or off")


def _quality(text: str) -> int:
    if text.strip().isdigit() and 1 <= int(text) <= 100:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r}: give a whole number from 1 to 100")


def register(commands: Commands) -> None:
    image = commands.add_parser(
        "image", help="optimize, store and read images", description="Work with images."
    )
    image_commands = image.add_subparsers(dest="image_command", required=True, metavar="ACTION")

    optimize = image_commands.add_parser(
        "optimize",
        help="optimize one image file to WebP; print the figures as JSON",
        description="Apply EXIF orientation, fit within the maximum dimension, convert to "
        "WebP and strip metadata: the smallest WebP that keeps the SSIM target (drawings are "
        "also tried lossless). Writes OUT and prints original_size_bytes, "
        "optimized_size_bytes, compression_ratio (fraction saved), format, dimensions, "
        "quality (WebP's, of a lossy encoding), mode (lossy, lossless or near-lossless: a "
        "palette of 256 colours, lossless) and ssim (against the fitted source).",
    )
    optimize.add_argument("input", type=Path, metavar="IN", help="image file to read")
    optimize.add_argument("output", type=Path, metavar="OUT", help="file to write")
    optimize.add_argument(
        "--max-dimension", type=int, metavar="N", help="longest side in pixels (default 1024)"
    )
    optimize.add_argument(
        "--ssim-target",
        type=_ssim_target,
        metavar="T",
        help="luma SSIM to keep, 0.8 to 0.999, or 'off' for a fixed quality (default 0.95, "
        "or EDUPORTAL_SSIM_TARGET)",
    )
    optimize.add_argument(
        "--quality",
        type=_quality,
        metavar="Q",
        help="WebP quality 1-100 with --ssim-target off (default 85)",
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

    variants = image_commands.add_parser(
        "variants",
        help="make the AVIF and JPEG/PNG variants of stored images",
        description=(
            "Make the variants browsers are served by their Accept header, each at the SSIM\n"
            "target against the stored WebP:\n"
            "  - an AVIF, when smaller than the WebP, for browsers that decode AVIF;\n"
            "  - a JPEG (a PNG for transparency and drawings) for browsers that decode\n"
            "    neither AVIF nor WebP.\n"
            "The portal makes them in the background when an image is stored; run this for\n"
            "images stored before, or whose variants failed (the log says why). Without KEY:\n"
            "every stored WebP under generated_images/, processed/ and thumbnails/.\n"
            "Prints one line per image; exits 1 if any could not be made."
        ),
        epilog="examples:\n  eduportal image variants --missing\n"
        "  eduportal image variants generated_images/a1.webp",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    variants.add_argument(
        "keys",
        nargs="*",
        metavar="KEY",
        help="a stored WebP's key, e.g. generated_images/a1.webp (default: all)",
    )
    variants.add_argument(
        "--missing",
        action="store_true",
        help="only images that have no variant yet (made before, or failed)",
    )
    variants.set_defaults(handler=_cmd_variants)
