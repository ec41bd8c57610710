"""Children of `serve` that stop by themselves once `serve` is gone.

`serve` starts the UI and the workers as child processes. The workers run in a session of
their own, so that a Ctrl-C reaches them once, through `serve`; and `serve` stops both
gracefully on Ctrl-C or SIGTERM. A `serve` killed outright (SIGKILL, the OOM killer) can pass
nothing on: its children lived on, a worker polling a data directory for good and the UI
holding its port, so that the next `make run` failed. Each child therefore watches its parent
and stops as on Ctrl-C once the parent it was started by has ended. `serve` itself does the
same when a tool runs it (`--parent-pid`: `eduportal loadtest` starts its portal so).
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Final

log = logging.getLogger(__name__)

POLL_SECONDS: Final = 1.0
"""How often a child checks that its parent still runs."""


def stop_with_parent(parent: int | None, stop: Callable[[], None]) -> None:
    """Call `stop` once, when `parent` is no longer this process's parent (it ended, and the
    process was adopted). None: no parent to watch."""
    if parent is None:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_SECONDS)
        log.warning(
            "the process that started this one has ended; stopping", extra={"parent_pid": parent}
        )
        stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def process_id(text: str) -> int:
    """`--parent-pid`'s type."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a process id.")
    return int(text)
