"""`infrastructure/*.tf` is formatted as `terraform fmt` writes it. fmt is the one terraform
command that needs no provider, so it runs here wherever terraform is installed (nothing in
`make test` installs it: it is not in the registries the project uses)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.terraform import ROOT

TERRAFORM = shutil.which("terraform")
pytestmark = pytest.mark.skipif(
    TERRAFORM is None, reason="terraform is not installed; fmt is checked where it is"
)


def fmt_check(folder: Path) -> subprocess.CompletedProcess[str]:
    """`terraform fmt -check -recursive -diff` on a folder, run from its parent so the diff
    names files as `folder/name.tf`."""
    assert TERRAFORM is not None
    return subprocess.run(
        [TERRAFORM, "fmt", "-check", "-recursive", "-diff", "-no-color", folder.name],
        cwd=folder.parent,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},  # no version check over the network
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_configuration_is_formatted_as_terraform_fmt_writes_it() -> None:
    assert any(ROOT.glob("*.tf")), f"no .tf files in infrastructure/ ({ROOT}): nothing to check"
    checked = fmt_check(ROOT)
    assert checked.returncode == 0, f"terraform fmt would change:\n{checked.stdout}{checked.stderr}"


def test_fmt_reports_a_badly_formatted_file_with_its_diff(tmp_path: Path) -> None:
    """So the test above could fail."""
    folder = tmp_path / "infrastructure"
    folder.mkdir()
    (folder / "main.tf").write_text('resource "random_id" "x" {\nbyte_length=4\n}\n')
    checked = fmt_check(folder)
    assert checked.returncode != 0
    assert "infrastructure/main.tf" in checked.stdout
    assert "+  byte_length = 4" in checked.stdout
