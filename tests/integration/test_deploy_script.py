"""scripts/deploy.sh as a newcomer meets it: its help, a wrong argument, and `outputs` before
anything was deployed (real terraform, when this machine has it; no provider is needed to read
an empty state)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deploy.sh"


def run(*args: str, deploy_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"DEPLOY_DIR": str(deploy_dir)} if deploy_dir else {})}
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def test_help_says_what_it_does_and_writes() -> None:
    done = run("--help")
    assert done.returncode == 0
    for words in (".deploy/outputs.json", ".deploy/eduportal.env", "destroy", "make lambda-zip"):
        assert words in done.stdout


def test_a_wrong_argument_is_refused_with_the_usage() -> None:
    done = run("--colour")
    assert done.returncode == 1
    assert "unknown argument: --colour" in done.stderr
    assert "Usage:" in done.stderr


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_outputs_before_any_deployment_says_so_and_keeps_what_was_there(tmp_path: Path) -> None:
    (tmp_path / "outputs.json").write_text("{}")
    done = run("outputs", deploy_dir=tmp_path)
    assert done.returncode != 0
    assert "no outputs yet: deploy first" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outputs.json", "outputs.json.tmp"]
    assert (tmp_path / "outputs.json").read_text() == "{}"
