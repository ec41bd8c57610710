"""The Lambda package's zip (`scripts/lambda_zip/archive.py`) on a small staging folder: the
same files give the same bytes however they were made, and a zip over Lambda's limits is
refused without touching what was built before."""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from scripts.lambda_zip import PackageError
from scripts.lambda_zip.archive import FILE_MODE, FIXED_TIME, Limits, write_zip

FILES = {
    "eduportal/__init__.py": b'"""eduportal."""\n',
    "eduportal/lambdas.py": b"def handler(event, context):\n    return event\n" * 50,
    "eduportal/adapters/local/fonts/LICENSE.txt": b"font licence\n",
    "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so": bytes(range(256)) * 40,
    "numpy-2.4.6.dist-info/METADATA": b"Name: numpy\nVersion: 2.4.6\n",
    "six.py": b"# six\n",
}


def staged(root: Path, names: list[str], *, mtime: int, mode: int) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(FILES[name])
        path.chmod(mode)
        os.utime(path, (mtime, mtime))
    return root


def test_the_same_files_give_the_same_bytes_whatever_their_order_times_and_modes(
    tmp_path: Path,
) -> None:
    names = sorted(FILES)
    first = staged(tmp_path / "a", names, mtime=1_700_000_000, mode=0o600)
    second = staged(tmp_path / "b", names[::-1], mtime=1_800_000_000, mode=0o755)

    sizes = write_zip(first, tmp_path / "out" / "first.zip")
    again = write_zip(second, tmp_path / "out" / "second.zip")

    data = (tmp_path / "out" / "first.zip").read_bytes()
    assert data == (tmp_path / "out" / "second.zip").read_bytes()
    assert sizes == again
    assert sizes.compressed == len(data)
    assert sizes.unpacked == sum(len(content) for content in FILES.values())
    assert sizes.files == len(FILES)
    assert sizes.sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_entries_are_sorted_with_one_time_and_mode_and_no_directories(tmp_path: Path) -> None:
    staging = staged(tmp_path / "staging", list(FILES), mtime=1_700_000_000, mode=0o755)
    output = tmp_path / "package.zip"

    write_zip(staging, output)

    with zipfile.ZipFile(output) as archive:
        infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(FILES)
        assert {info.date_time for info in infos} == {FIXED_TIME}
        assert {info.external_attr >> 16 for info in infos} == {FILE_MODE}
        assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
        assert {name: archive.read(name) for name in archive.namelist()} == FILES
    assert output.stat().st_mode & 0o777 == 0o644
    assert sorted(path.name for path in tmp_path.iterdir()) == ["package.zip", "staging"]


@pytest.mark.parametrize(
    ("limits", "sentence"),
    [
        (Limits(zipped_bytes=1000), "MiB zipped, over Lambda's .* for a zip uploaded directly"),
        (Limits(unzipped_bytes=1000), "would unpack to .* MiB, over Lambda's .* code and layers"),
    ],
)
def test_a_package_over_a_limit_is_refused_and_the_last_one_kept(
    tmp_path: Path, limits: Limits, sentence: str
) -> None:
    staging = staged(tmp_path / "staging", list(FILES), mtime=1_700_000_000, mode=0o644)
    output = tmp_path / "out" / "package.zip"
    output.parent.mkdir()
    output.write_bytes(b"the package built before")

    with pytest.raises(PackageError, match=sentence):
        write_zip(staging, output, limits)

    assert output.read_bytes() == b"the package built before"
    assert [path.name for path in output.parent.iterdir()] == ["package.zip"]


def test_a_package_within_the_limits_is_written(tmp_path: Path) -> None:
    staging = staged(tmp_path / "staging", list(FILES), mtime=1_700_000_000, mode=0o644)
    unpacked = sum(len(content) for content in FILES.values())

    sizes = write_zip(staging, tmp_path / "package.zip", Limits(20_000, unpacked))

    assert sizes.unpacked == unpacked
    assert sizes.compressed <= 20_000
