"""Freed image memory goes back to the operating system, so the decode gate's bound holds.

The decode gate bounds what decodes allocate at once, but not what the C allocator keeps
after they free it. glibc raises its mmap threshold after the first large free, so later
image buffers come from per-thread heaps that keep freed memory for their own thread: three
heavy decodes taking turns on three threads then held three images' memory although the gate
let one run at a time (measured: 488 MiB of growth for a 400 MiB pool; 244 MiB with this).
"""

from __future__ import annotations

import ctypes
from typing import Final

_M_MMAP_THRESHOLD: Final = -3
"""glibc's `mallopt` parameter number (malloc.h)."""
_MMAP_THRESHOLD_BYTES: Final = 1024 * 1024
"""Blocks this large or larger get their own mapping, unmapped on free. Image buffers are
far larger; smaller ones stay on the heap, where reuse is fast and retention is small."""


def return_freed_images_to_the_os() -> bool:
    """Fix glibc's mmap threshold (which turns its upward adjustment off); True when glibc
    accepted it. Elsewhere than glibc (musl, macOS) there is no `mallopt` and nothing changes.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES))
