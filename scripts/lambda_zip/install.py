"""Installing the Lambda package's content into a staging folder with pip: wheels chosen for
the functions' runtime and architecture, whatever machine runs the build.

pip is told the target (`--platform`, `--python-version`, `--implementation cp`,
`--only-binary=:all:`), so it never builds from source and never takes this machine's own
wheels: compiled code (numpy, Pillow, pydantic-core, cffi) is the manylinux build for Lambda.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from eduportal.domain.deployment_figures import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME
from scripts.lambda_zip import PackageError

RUNTIME_GLIBC: Final = {"python3.12": (2, 34)}
"""The C library of each runtime's operating system: python3.12 runs on Amazon Linux 2023,
glibc 2.34. A manylinux wheel for that glibc or an older one runs there."""
MACHINES: Final = {"x86_64": "x86_64", "arm64": "aarch64"}
"""Lambda's architecture names to the machine names of wheel platform tags."""
MANYLINUX2014_MINOR: Final = 17
"""manylinux2014 is manylinux_2_17 under its older name, which some wheels carry alone."""
OLDEST_MANYLINUX_MINOR: Final = 5
"""manylinux_2_5, alias manylinux1: the oldest glibc a manylinux wheel is built for."""
_PIP_FLAGS: Final = ("--no-compile", "--progress-bar", "off", "--disable-pip-version-check")
"""No bytecode: this interpreter's would not be the runtime's. No progress bars: a build log
shows pip's lines, one per wheel, as progress enough."""


@dataclass(frozen=True)
class Target:
    """What the wheels are chosen for: a CPython version, and the platform tags of wheels
    that run where it runs."""

    python_version: str
    platforms: tuple[str, ...]


def manylinux_platforms(glibc: tuple[int, int], machine: str) -> tuple[str, ...]:
    """Every manylinux tag whose wheels run on `glibc`, newest first. pip takes the tags it is
    given literally, a newer one admitting no older one, so each PEP 600 tag down to
    manylinux_2_5 is listed, and manylinux2014 (pip widens it to manylinux2010 and
    manylinux1). `manylinux2014_x86_64` alone would refuse the tested numpy and Pillow, which
    publish manylinux_2_28 wheels only."""
    major, minor = glibc
    newer = range(minor, MANYLINUX2014_MINOR - 1, -1)
    older = range(MANYLINUX2014_MINOR - 1, OLDEST_MANYLINUX_MINOR - 1, -1)
    return (
        *(f"manylinux_{major}_{each}_{machine}" for each in newer),
        f"manylinux2014_{machine}",
        *(f"manylinux_{major}_{each}_{machine}" for each in older),
    )


def lambda_target(runtime: str = LAMBDA_RUNTIME, architecture: str = LAMBDA_ARCHITECTURE) -> Target:
    """The target of the pipeline's functions (`deployment_figures`)."""
    if runtime not in RUNTIME_GLIBC:
        raise PackageError(
            f"The Lambda runtime {runtime} is new to the package's builder: add its glibc to "
            "RUNTIME_GLIBC (scripts/lambda_zip/install.py)."
        )
    return Target(
        runtime.removeprefix("python"),
        manylinux_platforms(RUNTIME_GLIBC[runtime], MACHINES[architecture]),
    )


def pip_command(
    target: Target, staging: Path, requirements: Sequence[str], constraints: Path
) -> list[str]:
    """pip's command line installing `requirements` into `staging` for `target`."""
    platforms = [flag for platform in target.platforms for flag in ("--platform", platform)]
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(staging),
        *_PIP_FLAGS,
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        target.python_version,
        *platforms,
        "--constraint",
        str(constraints),
        *requirements,
    ]


def install_distributions(
    target: Target, staging: Path, requirements: Sequence[str], pins: Mapping[str, str]
) -> None:
    """`requirements` and what they require into `staging`, each at its version in `pins`."""
    with tempfile.TemporaryDirectory(prefix="lambda-zip-") as folder:
        constraints = Path(folder) / "constraints.txt"
        constraints.write_text(
            "".join(f"{name}=={version}\n" for name, version in sorted(pins.items())),
            encoding="utf-8",
        )
        _pip(pip_command(target, staging, requirements, constraints), "its distributions")


def install_project(root: Path, staging: Path) -> None:
    """eduportal itself into `staging`, without its dependencies, built from a copy of the
    project: an in-tree build would leave setuptools' build/lib behind, whose stale modules a
    later build would ship. `--upgrade` lets pip add eduportal's script to the bin/ folder
    the distributions made (`tidy` removes both)."""
    with tempfile.TemporaryDirectory(prefix="lambda-zip-") as folder:
        copy = Path(folder) / "eduportal"
        copy.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(root / name, copy / name)
        shutil.copytree(
            root / "src",
            copy / "src",
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
        )
        command = [sys.executable, "-m", "pip", "install", "--target", str(staging)]
        _pip([*command, *_PIP_FLAGS, "--no-deps", "--upgrade", str(copy)], "eduportal")


def _pip(command: list[str], what: str) -> None:
    if subprocess.run(command, check=False).returncode != 0:  # noqa: S603 - our own pip argv
        raise PackageError(f"pip could not install {what} for the Lambda package: see above.")


def tidy(staging: Path) -> None:
    """What the functions never use and would make the bytes depend on the build machine:
    console scripts (bin/, their first line names this machine's interpreter), bytecode
    (a cache, and this interpreter's), and `direct_url.json` (the folder eduportal was built
    from). Each RECORD then lists what is left, so `importlib.metadata.files()` stays true."""
    shutil.rmtree(staging / "bin", ignore_errors=True)
    for cache in sorted(staging.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    for direct_url in staging.glob("*.dist-info/direct_url.json"):
        direct_url.unlink()
    for record in staging.glob("*.dist-info/RECORD"):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [
            line
            for line, row in zip(lines, csv.reader(lines), strict=True)
            if _present(staging, row[0])
        ]
        record.write_text("".join(kept), encoding="utf-8")


def _present(staging: Path, relative: str) -> bool:
    """Whether a RECORD row's file is in the package: rows are relative to `staging`, and
    pip's rows for scripts point outside it (`../../bin/NAME`)."""
    path = (staging / relative).resolve()
    return path.is_relative_to(staging.resolve()) and path.is_file()
