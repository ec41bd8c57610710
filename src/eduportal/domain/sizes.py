"""File sizes as the sentences that refuse a file say them."""

from __future__ import annotations


def too_large(what: str, size: int, limit: int) -> str:
    """ "The file is 2.10 MB; the largest we accept is 2.00 MB.": with as many decimals as it
    takes to tell the two apart, so a file just over the limit is never said to be as large
    as the limit."""
    for decimals in (1, 2, 3):
        said, allowed = f"{size / 1e6:.{decimals}f} MB", f"{limit / 1e6:.{decimals}f} MB"
        if said != allowed:
            break
    else:
        said, allowed = f"{size:,} bytes", f"{limit:,} bytes"
    return f"{what} is {said}; the largest we accept is {allowed}."
