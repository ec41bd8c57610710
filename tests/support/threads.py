"""Running the same work in many threads at once, for tests of concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(work: Callable[[int], None], count: int) -> list[BaseException]:
    """Run `work(0)` to `work(count - 1)`, each in its own thread, released together by a
    barrier so they overlap; return what they raised, so a test can assert there was nothing
    (an exception in a thread would otherwise only be printed)."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # collected, so the assertion shows what went wrong
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures
