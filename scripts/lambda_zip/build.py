"""The build, step by step: a fresh staging folder, pip for the distributions and for
eduportal, tidying, the zip."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Final

from scripts.lambda_zip import distributions
from scripts.lambda_zip.archive import Sizes, write_zip
from scripts.lambda_zip.install import (
    Target,
    install_distributions,
    install_project,
    lambda_target,
    tidy,
)

ROOT: Final = Path(__file__).resolve().parents[2]
OUTPUT: Final = ROOT / "build" / "lambda" / "eduportal-lambda.zip"
"""Where Terraform looks by default: `var.lambda_zip_path` is `../build/lambda/
eduportal-lambda.zip`, relative to infrastructure/."""
STAGING: Final = ROOT / "build" / "lambda" / "staging"
"""What the zip holds, unpacked; left in place after a build, to look into."""

Say = Callable[[str], None]


def build(
    output: Path = OUTPUT,
    *,
    staging: Path = STAGING,
    target: Target | None = None,
    say: Say = print,
) -> Sizes:
    """The Lambda package at `output`, for `target` (the functions' runtime by default);
    `say` is told what each step is about to do. `PackageError` when a step fails."""
    target = target or lambda_target()
    say(f"emptying the staging folder {staging}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    requirements = distributions.requirements(ROOT / "pyproject.toml")
    pins = distributions.closure()
    say(
        f"installing {len(requirements)} distributions and what they require "
        f"({len(pins)} in all, at the versions installed here) for CPython "
        f"{target.python_version} on {target.platforms[0]} and older: pip downloads the "
        "wheels it has not cached, about 48 MB"
    )
    install_distributions(target, staging, requirements, pins)
    say("installing eduportal itself, without its dependencies")
    install_project(ROOT, staging)
    say("removing console scripts, bytecode and the build folder's name")
    tidy(staging)
    say(f"writing {output}")
    return write_zip(staging, output)
