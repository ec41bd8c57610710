"""The Lambda package's distributions (`scripts/lambda_zip/distributions.py`): their bounds
come from pyproject.toml, their versions, and those of what they require, from this
environment. Whether they are the ones the handlers load is
`tests/integration/test_lambda_distributions.py`."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from scripts.lambda_zip import PackageError
from scripts.lambda_zip.build import ROOT
from scripts.lambda_zip.distributions import (
    LAMBDA_DISTRIBUTIONS,
    closure,
    normalized,
    requirements,
)


def test_each_distribution_takes_its_bounds_from_pyproject() -> None:
    found = requirements(ROOT / "pyproject.toml")

    assert [normalized(text.split(">")[0].split("=")[0]) for text in found] == [
        normalized(name) for name in LAMBDA_DISTRIBUTIONS
    ]
    assert "numpy>=1.26" in found
    assert "boto3>=1.36" in found


def test_a_distribution_pyproject_does_not_declare_is_refused(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["Pillow>=10.4"]\n', encoding="utf-8")

    assert requirements(pyproject, ("pillow",)) == ["Pillow>=10.4"]
    with pytest.raises(PackageError, match=r"^orjson must be among pyproject\.toml's"):
        requirements(pyproject, ("pillow", "orjson"))


def test_the_closure_holds_what_they_require_at_the_versions_installed_here() -> None:
    pinned = closure()

    assert {normalized(name) for name in LAMBDA_DISTRIBUTIONS} <= set(pinned)
    for required_by_one in ("jmespath", "urllib3", "aiohttp", "pydantic-core", "cffi"):
        assert pinned[required_by_one] == importlib.metadata.version(required_by_one)
    assert not {"moto", "streamlit", "fastapi", "pymongo", "brotli"} & set(pinned)


def test_a_distribution_not_installed_here_is_refused() -> None:
    with pytest.raises(PackageError, match=r"^not-installed-here is not installed here"):
        closure(("not_installed.here",))
