"""`python -m scripts.lambda_zip [--output PATH]`, what `make lambda-zip` runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from eduportal.domain.deployment_figures import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME
from scripts.lambda_zip import PackageError
from scripts.lambda_zip.archive import LAMBDA_LIMITS, mib
from scripts.lambda_zip.build import OUTPUT, ROOT, STAGING, build

DESCRIPTION = f"""\
Build the deployment package that every Lambda function of the pipeline runs from: the
eduportal package and the distributions its handlers (eduportal.lambdas) load, installed by
pip from manylinux wheels for the functions' runtime ({LAMBDA_RUNTIME}, {LAMBDA_ARCHITECTURE}),
never from this machine's own. Versions are those installed in this environment (the tested
ones), within pyproject.toml's bounds. The same content always gives the same bytes, so
Terraform's source_code_hash changes only when the content does. The build fails, writing
nothing, when the zip would exceed Lambda's limits ({mib(LAMBDA_LIMITS.zipped_bytes)} zipped
for a direct upload, {mib(LAMBDA_LIMITS.unzipped_bytes)} unpacked). pip downloads the wheels
it has not cached (about 48 MB)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.lambda_zip",
        description=DESCRIPTION,
        epilog=f"The unpacked content stays in {STAGING.relative_to(ROOT)}/ to look into.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=OUTPUT,
        metavar="PATH",
        help=f"where to write the zip (default: {OUTPUT.relative_to(ROOT)}, where "
        "infrastructure/'s var.lambda_zip_path points by default)",
    )
    args = parser.parse_args(argv)
    try:
        sizes = build(args.output, say=_say)
    except PackageError as exc:
        sys.stderr.write(f"lambda-zip: error: {exc}\n")
        return 1
    _say(
        f"wrote {args.output}: {mib(sizes.compressed)} zipped (Lambda's limit for a direct "
        f"upload: {mib(LAMBDA_LIMITS.zipped_bytes)}), {mib(sizes.unpacked)} unpacked (limit "
        f"with layers: {mib(LAMBDA_LIMITS.unzipped_bytes)}), {sizes.files} files, "
        f"filebase64sha256 {sizes.sha256}"
    )
    return 0


def _say(line: str) -> None:
    print(f"lambda-zip: {line}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
