"""`make lambda-zip` for real (`scripts/lambda_zip/build.py`): pip installs the wheels.

For the functions' runtime (python3.12, x86_64) the package holds the tested versions of the
declared distributions and what they require, built for that runtime only, and two builds
give the same bytes. Unpacked, it takes an upload through every handler on a CPython of the
runtime's version, with nothing importable but the package and the standard library, when
this machine has one (pyenv's, here). The suite's own interpreter (3.11) cannot import the
package's compiled modules (pydantic-core, numpy, Pillow are cp312 builds), so the package
is also built by the same code for this interpreter and machine, and that one runs the
handlers too.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.lambda_zip.archive import Sizes
from scripts.lambda_zip.build import build
from scripts.lambda_zip.distributions import LAMBDA_DISTRIBUTIONS, closure, normalized
from scripts.lambda_zip.install import Target, lambda_target, manylinux_platforms
from tests.support.aws_pipeline import AwsPipeline
from tests.support.lambda_runs import run_handlers

pytestmark = pytest.mark.slow

RUNTIME_WHEEL_TAG = re.compile(r"py[23]-none-any|cp3\d+-(cp312|abi3)-manylinux\w+_x86_64")
"""A wheel's tags (one per line of its WHEEL file): pure Python, or built for the runtime."""
RUNTIME_EXTENSION = re.compile(r"\.(cpython-312-x86_64-linux-gnu|abi3)\.so$")
"""A compiled module's file name, outside the `*.libs/` folders of the libraries it links."""


def distributions_in(archive: zipfile.ZipFile) -> dict[str, str]:
    """Normalized name to version, from the package's `NAME-VERSION.dist-info` folders."""
    found: dict[str, str] = {}
    for name in archive.namelist():
        folder = name.split("/")[0]
        if folder.endswith(".dist-info"):
            distribution, _, version = folder.removesuffix(".dist-info").rpartition("-")
            found[normalized(distribution)] = version
    return found


@dataclass(frozen=True)
class Built:
    zip: Path
    sizes: Sizes
    said: list[str]


@pytest.fixture(scope="module")
def runtime_package(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The package for the functions' runtime, built once for this module's tests."""
    folder = tmp_path_factory.mktemp("runtime")
    said: list[str] = []
    sizes = build(folder / "package.zip", staging=folder / "staging", say=said.append)
    return Built(folder / "package.zip", sizes, said)


def runtime_python() -> str | None:
    """A CPython of the runtime's version on this machine: on PATH, or one of pyenv's."""
    version = lambda_target().python_version
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [
        shutil.which(f"python{version}"),
        *map(str, pyenv.glob(f"{version}.*/bin/python{version}")),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", ""], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def unpacked(package: Path, into: Path) -> set[str]:
    """`package` unzipped into `into`; the normalized names of its distributions."""
    with zipfile.ZipFile(package) as archive:
        archive.extractall(into)
        return set(distributions_in(archive))


def test_the_package_for_the_runtime_holds_the_tested_wheels_for_it_and_rebuilds_the_same(
    runtime_package: Built, tmp_path: Path
) -> None:
    again = build(tmp_path / "again.zip", staging=tmp_path / "staging", say=lambda _: None)

    assert (tmp_path / "again.zip").read_bytes() == runtime_package.zip.read_bytes()
    assert again == runtime_package.sizes
    assert [line.split()[0] for line in runtime_package.said] == [
        "emptying",
        "installing",
        "installing",
        "removing",
        "writing",
    ]
    with zipfile.ZipFile(runtime_package.zip) as archive:
        names = archive.namelist()
        packaged = distributions_in(archive)
        tags = [
            line.removeprefix("Tag: ")
            for name in names
            if name.endswith(".dist-info/WHEEL")
            for line in archive.read(name).decode().splitlines()
            if line.startswith("Tag: ")
        ]
    pins = closure()
    assert packaged.pop("eduportal") == "0.1.0"
    assert {normalized(name) for name in LAMBDA_DISTRIBUTIONS} <= set(packaged)
    assert packaged == {name: pins[name] for name in packaged}, "not the tested versions"
    assert [tag for tag in tags if not RUNTIME_WHEEL_TAG.fullmatch(tag)] == []
    extensions = [name for name in names if name.endswith(".so") and ".libs/" not in name]
    assert extensions, "no compiled module: numpy, Pillow and pydantic-core have some"
    assert [name for name in extensions if not RUNTIME_EXTENSION.search(name)] == []
    assert [name for name in names if name.startswith("bin/") or "__pycache__" in name] == []
    assert "eduportal/lambdas.py" in names


def test_the_package_for_the_runtime_runs_every_handler_on_its_python_alone(
    runtime_package: Built, tmp_path: Path, aws_pipeline: AwsPipeline
) -> None:
    python = runtime_python()
    if python is None:
        pytest.skip(f"no CPython {lambda_target().python_version} on this machine")
    packaged = unpacked(runtime_package.zip, tmp_path / "unpacked")

    report = run_handlers(aws_pipeline, [tmp_path / "unpacked"], python=python)

    assert {normalized(name) for name in report["distributions"]} <= packaged


def test_the_package_built_for_this_interpreter_runs_every_handler_on_its_own(
    tmp_path: Path, aws_pipeline: AwsPipeline
) -> None:
    glibc = platform.libc_ver()[1].split(".")
    here = Target(
        f"{sys.version_info.major}.{sys.version_info.minor}",
        manylinux_platforms((int(glibc[0]), int(glibc[1])), platform.machine()),
    )
    build(tmp_path / "here.zip", staging=tmp_path / "staging", target=here, say=lambda _: None)
    packaged = unpacked(tmp_path / "here.zip", tmp_path / "unpacked")

    report = run_handlers(aws_pipeline, [tmp_path / "unpacked"])

    assert {normalized(name) for name in report["distributions"]} <= packaged
