"""Spans of time in the words a refusal says them: "try again in 12 minutes", "in the last hour".

Every limit that refuses a person (failed sign-ins, generations) says how long to wait, and
the sentences should round alike: up, so that whoever waits as long as told is let through.
"""

from __future__ import annotations

import math


def wait_words(seconds: float) -> str:
    """ "1 second", "45 seconds", "12 minutes", "2 hours": rounded up, in the largest unit
    that still reads precisely (under 90 seconds in seconds, under 90 minutes in minutes)."""
    if seconds < 90:
        return _count(math.ceil(seconds), "second")
    if seconds < 90 * 60:
        return _count(math.ceil(seconds / 60), "minute")
    return _count(math.ceil(seconds / 3600), "hour")


def span_words(seconds: int) -> str:
    """The span of a moving window as "the last ___" ends: "hour", "day", "15 minutes",
    "90 seconds"; exact, never rounded, since it states a rule rather than a wait."""
    named = {1: "second", 60: "minute", 3600: "hour", 86_400: "day"}
    if seconds in named:
        return named[seconds]
    if seconds % 3600 == 0:
        return _count(seconds // 3600, "hour")
    if seconds % 60 == 0:
        return _count(seconds // 60, "minute")
    return _count(seconds, "second")


def _count(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
