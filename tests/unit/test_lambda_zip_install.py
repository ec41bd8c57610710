"""What the Lambda package's builder asks pip for, and what it removes from pip's work
(`scripts/lambda_zip/install.py`), without running pip; and its command's help."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest

from eduportal.domain.deployment_figures import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME
from scripts.lambda_zip import PackageError
from scripts.lambda_zip.__main__ import main
from scripts.lambda_zip.install import lambda_target, manylinux_platforms, pip_command, tidy


def test_the_target_is_the_functions_runtime_with_every_manylinux_its_glibc_runs() -> None:
    target = lambda_target()

    assert (LAMBDA_RUNTIME, LAMBDA_ARCHITECTURE) == ("python3.12", "x86_64")
    assert target.python_version == "3.12"
    # Amazon Linux 2023's glibc 2.34: the tested numpy and Pillow ship manylinux_2_28 only.
    assert target.platforms[0] == "manylinux_2_34_x86_64"
    assert {"manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_5_x86_64"} <= set(
        target.platforms
    )
    assert not [tag for tag in target.platforms if "2_35" in tag or "aarch64" in tag]


def test_another_architecture_gets_its_own_machine_name() -> None:
    assert manylinux_platforms((2, 17), "aarch64") == (
        "manylinux_2_17_aarch64",
        "manylinux2014_aarch64",
        *(f"manylinux_2_{minor}_aarch64" for minor in range(16, 4, -1)),
    )


def test_a_runtime_the_builder_does_not_know_is_refused_with_what_to_do() -> None:
    with pytest.raises(PackageError, match=r"python3\.99 is new .* RUNTIME_GLIBC"):
        lambda_target("python3.99")


def test_pip_takes_only_wheels_for_the_target_into_the_staging_folder(tmp_path: Path) -> None:
    target = lambda_target()
    command = pip_command(target, tmp_path / "staging", ["numpy>=1.26"], tmp_path / "pins.txt")

    assert command[1:4] == ["-m", "pip", "install"]
    pairs = set(itertools.pairwise(command))
    assert {
        ("--target", str(tmp_path / "staging")),
        ("--implementation", "cp"),
        ("--python-version", "3.12"),
        ("--constraint", str(tmp_path / "pins.txt")),
    } <= pairs
    assert {"--only-binary=:all:", "--no-compile"} <= set(command)
    platforms = [command[at + 1] for at, flag in enumerate(command) if flag == "--platform"]
    assert platforms == list(target.platforms)
    assert command[-1] == "numpy>=1.26"


def test_tidy_leaves_only_what_the_functions_use_and_records_it(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    kept = {
        "numpy/__init__.py": "# numpy",
        "numpy-2.4.6.dist-info/METADATA": "Name: numpy",
        "eduportal/lambdas.py": "# handlers",
        "eduportal-0.1.0.dist-info/METADATA": "Name: eduportal",
    }
    removed = {
        "bin/f2py": "#!/work/main/.venv/bin/python",
        "numpy/__pycache__/__init__.cpython-311.pyc": "bytecode",
        "eduportal-0.1.0.dist-info/direct_url.json": '{"url": "file:///tmp/lambda-zip-x"}',
    }
    for name, text in {**kept, **removed}.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_text(text, encoding="utf-8")
    record = staging / "numpy-2.4.6.dist-info" / "RECORD"
    rows = [
        ["../../bin/f2py", "sha256=abc", "175"],
        ["numpy/__init__.py", "sha256=def", "7"],
        ["numpy/__pycache__/__init__.cpython-311.pyc", "", ""],
        ["numpy-2.4.6.dist-info/METADATA", "sha256=ghi", "11"],
        ["numpy-2.4.6.dist-info/RECORD", "", ""],
        ["numpy/gone, with a comma.py", "sha256=jkl", "1"],
    ]
    with record.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)

    tidy(staging)

    left = {path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file()}
    assert left == {*kept, "numpy-2.4.6.dist-info/RECORD"}
    assert not (staging / "bin").exists()
    assert not (staging / "numpy" / "__pycache__").exists()
    assert list(csv.reader(record.open(encoding="utf-8"))) == [rows[1], rows[3], rows[4]]


def test_help_says_what_the_command_builds_and_where(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # argparse wraps at hyphens too
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])

    assert exit_.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for words in (
        "--output PATH",
        "build/lambda/eduportal-lambda.zip",
        "python3.12, x86_64",
        "manylinux wheels",
        "50.0 MiB zipped",
        "250.0 MiB unpacked",
        "same bytes",
    ):
        assert words in shown
