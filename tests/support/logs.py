"""Reading eduportal's JSON log lines in tests, and letting go of the handler afterwards."""

from __future__ import annotations

import json
import logging
from typing import Any


def parsed(text: str) -> list[dict[str, Any]]:
    """The JSON lines in `text`, parsed; anything else written there is skipped."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def detach_handlers() -> None:
    """Remove what `configure_logging` installed: its stream belongs to the test that ends."""
    root = logging.getLogger("eduportal")
    for handler in list(root.handlers):
        root.removeHandler(handler)
