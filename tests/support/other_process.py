"""Running a snippet in a fresh interpreter with another hash seed, to show that output does
not depend on Python's per-process `hash` (what "the same on every machine" needs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def in_another_process(script: str) -> Any:
    """The JSON that `script` prints, run with `PYTHONHASHSEED` fixed to another value."""
    output = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        check=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout
    return json.loads(output)
