"""The zip itself: the same files give the same bytes, and a package Lambda would refuse is
never written.

Terraform uploads the zip again whenever its `source_code_hash` (the file's SHA-256) changes,
so nothing but the content may change the bytes: entries are sorted by name, every entry gets
the same timestamp and permissions, and no directory entries are written (unzipping makes the
directories). Compression is zlib's default level, so the bytes are the same wherever the
same zlib compresses them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from scripts.lambda_zip import PackageError

MiB: Final = 1024 * 1024
FIXED_TIME: Final = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip entry can carry."""
FILE_MODE: Final = 0o100644
"""A regular file everyone may read: what Lambda needs of each file (it runs none of them)."""
UNIX: Final = 3
"""The `create_system` that makes unzip tools honour `FILE_MODE`."""


@dataclass(frozen=True)
class Limits:
    """Lambda's quotas on a deployment package."""

    zipped_bytes: int = 50 * MiB
    """For a zip uploaded directly (Terraform's `filename`); through S3 it may be larger."""
    unzipped_bytes: int = 250 * MiB
    """For the function's code and all its layers together (this package has no layers)."""


LAMBDA_LIMITS: Final = Limits()


@dataclass(frozen=True)
class Sizes:
    compressed: int
    unpacked: int
    files: int
    sha256: str
    """Base64 of the zip's SHA-256: what Terraform's `filebase64sha256` gives."""


def entries(staging: Path) -> list[tuple[str, Path]]:
    """Every file under `staging` with its name in the zip, sorted by that name."""
    files = (path for path in staging.rglob("*") if path.is_file())
    return sorted((path.relative_to(staging).as_posix(), path) for path in files)


def write_zip(staging: Path, output: Path, limits: Limits = LAMBDA_LIMITS) -> Sizes:
    """The zip of `staging` at `output`, replacing what was there only once it is complete
    and within `limits`; otherwise `PackageError`, and `output` is left as it was."""
    listed = entries(staging)
    unpacked = sum(path.stat().st_size for _, path in listed)
    if unpacked > limits.unzipped_bytes:
        raise PackageError(
            f"The Lambda package would unpack to {mib(unpacked)}, over Lambda's "
            f"{mib(limits.unzipped_bytes)} for a function's code and layers together: take a "
            "distribution out of it (scripts/lambda_zip/distributions.py)."
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(handle)
    partial = Path(partial_name)
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in listed:
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.create_system = UNIX
                info.external_attr = FILE_MODE << 16
                archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
        compressed = partial.stat().st_size
        if compressed > limits.zipped_bytes:
            raise PackageError(
                f"The Lambda package is {mib(compressed)} zipped, over Lambda's "
                f"{mib(limits.zipped_bytes)} for a zip uploaded directly: take a distribution "
                "out of it (scripts/lambda_zip/distributions.py), or upload it through S3."
            )
        partial.chmod(0o644)  # mkstemp's 0600 would keep others from reading it
        digest = base64.b64encode(hashlib.sha256(partial.read_bytes()).digest()).decode()
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return Sizes(compressed, unpacked, len(listed), digest)


def mib(size: int) -> str:
    return f"{size / MiB:.1f} MiB"
