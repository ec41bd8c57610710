"""Which distributions the Lambda package holds besides eduportal, and at which versions.

The handlers (`eduportal.lambdas`, with the functions' settings) load a small part of the
portal's dependencies: no web server, UI, MongoDB driver or sentence encoder.
`LAMBDA_DISTRIBUTIONS` names the ones they import, as measured:
`tests/integration/test_lambda_distributions.py` runs every handler in a fresh interpreter
that can import only these and what they require, and fails when the handlers need anything
else or stop loading one of these. Their version bounds are pyproject.toml's, not repeated
here; pip resolves what they require.

The package holds what was tested: every distribution of the closure is pinned to the version
installed in the environment that runs the build, the one `make test` runs in.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path
from typing import Final

from packaging.requirements import Requirement

from scripts.lambda_zip import PackageError

LAMBDA_DISTRIBUTIONS: Final = (
    "argon2-cffi",  # services.accounts imports it at module level, and wiring imports that
    "aws-embedded-metrics",  # EDUPORTAL_METRICS=emf: the functions' metrics, in their log
    # The runtime has boto3 and botocore of a version AWS picks and changes; the package
    # carries the tested ones (see README, "The Lambda package").
    "boto3",
    "botocore",
    "cachetools",
    "numpy",
    "pillow",
    "prometheus-client",
    "pydantic",
    "pydantic-settings",
    "python-json-logger",
)


def normalized(name: str) -> str:
    """A distribution's name as pip and the package indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(pyproject: Path, names: tuple[str, ...] = LAMBDA_DISTRIBUTIONS) -> list[str]:
    """pyproject.toml's requirement for each of `names`, bounds and all, in `names`' order."""
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    by_name = {normalized(Requirement(text).name): text for text in declared}
    missing = [name for name in names if normalized(name) not in by_name]
    if missing:
        raise PackageError(
            f"{', '.join(missing)} must be among pyproject.toml's dependencies to go into the "
            "Lambda package: the package takes its version bounds from there."
        )
    return [by_name[normalized(name)] for name in names]


def closure(names: tuple[str, ...] = LAMBDA_DISTRIBUTIONS) -> dict[str, str]:
    """`names` and everything they require, transitively, as this environment installed them:
    normalized name to installed version. Requirements of extras are left out."""
    found: dict[str, str] = {}
    waiting = [normalized(name) for name in names]
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise PackageError(
                f"{name} is not installed here (make install): the Lambda package takes the "
                "versions of the environment its tests ran in."
            ) from None
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                waiting.append(normalized(requirement.name))
    return found
