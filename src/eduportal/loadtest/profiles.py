"""The load profiles of the design, and the overrides a run may give them.

Each profile says how many users, how fast they arrive, for how long, which of the Locust
user classes (`load-testing/locustfile.py`) they are, and how long each thinks between two
actions. `spike` alone has a shape: it starts at `spike_from` users, jumps to `users` a
quarter of the way in, and falls back for the last quarter (`load-testing/spike_shape.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

MIXED: Final = "ImageLoadTest"
CREATOR: Final = "ImageHeavyUser"
CACHED: Final = "CacheTestUser"
USER_CLASSES: Final = (MIXED, CREATOR, CACHED)


@dataclass(frozen=True)
class ThinkTime:
    """Seconds a user waits between two actions, uniformly between the two."""

    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.low:g}-{self.high:g} s"


@dataclass(frozen=True)
class Profile:
    name: str
    purpose: str
    users: int
    spawn_rate: float
    """Users started per second."""
    run_seconds: int
    user_classes: tuple[str, ...]
    think_time: ThinkTime = ThinkTime(1.0, 3.0)
    spike_from: int | None = None
    """Only `spike`: the users before and after the spike; `users` is its peak."""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "users": self.users,
            "spawn_rate": self.spawn_rate,
            "run_seconds": self.run_seconds,
            "run_time": format_duration(self.run_seconds),
            "user_classes": list(self.user_classes),
            "think_time_seconds": [self.think_time.low, self.think_time.high],
            "spike_from": self.spike_from,
        }


PROFILES: Final = {
    profile.name: profile
    for profile in (
        Profile(
            "smoke",
            "a few users of every kind for seconds: does everything work?",
            users=3,
            spawn_rate=3,
            run_seconds=15,
            user_classes=USER_CLASSES,
            think_time=ThinkTime(0.5, 1.5),
        ),
        Profile("baseline", "a normal classroom", 10, 2, 5 * 60, (MIXED,)),
        Profile("stress", "five classrooms at once", 50, 5, 10 * 60, (MIXED,)),
        Profile(
            "spike",
            "a school arriving at once: 10 users, 100 from the first to the last quarter",
            users=100,
            spawn_rate=10,
            run_seconds=2 * 60,
            user_classes=(MIXED,),
            spike_from=10,
        ),
        Profile(
            "endurance", "a morning of classes: leaks and slow drift", 25, 5, 60 * 60, (MIXED,)
        ),
        Profile("cache", "the same few images again and again", 30, 5, 10 * 60, (CACHED,)),
        Profile(
            "capacity",
            "teachers creating without a pause: the creates per second a server sustains",
            users=8,
            spawn_rate=8,
            run_seconds=2 * 60,
            user_classes=(CREATOR,),
            think_time=ThinkTime(0.0, 0.0),
        ),
    )
}

_DURATION: Final = re.compile(r"(?:(\d{1,4})h)?(?:(\d{1,5})m)?(?:(\d{1,6})s)?")


def parse_duration(text: str) -> int:
    """`90s`, `5m`, `1h`, `1h30m`: whole seconds, more than 0. Raises ValueError."""
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(
            f"{text!r} is not a duration: give a number with a unit, e.g. 90s, 5m, 1h or 1h30m."
        )
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total == 0:
        raise ValueError(f"{text!r}: a run must last at least a second.")
    return total


def format_duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def parse_think_time(text: str) -> ThinkTime:
    """`1-3` or `0.5-1.5` (seconds): MIN-MAX with 0 <= MIN <= MAX <= 600. Raises ValueError."""
    low_text, dash, high_text = text.strip().partition("-")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        low = high = -1.0
    if not dash or not 0 <= low <= high <= 600:
        raise ValueError(
            f"{text!r} is not a think time: give MIN-MAX in seconds, e.g. 1-3 or 0.5-1.5."
        )
    return ThinkTime(low, high)


def with_overrides(
    profile: Profile,
    *,
    users: int | None = None,
    spawn_rate: float | None = None,
    run_seconds: int | None = None,
    think_time: ThinkTime | None = None,
) -> Profile:
    """The profile with what the command line gave; the spike's base never exceeds its peak."""
    changed = replace(
        profile,
        users=profile.users if users is None else users,
        spawn_rate=profile.spawn_rate if spawn_rate is None else spawn_rate,
        run_seconds=profile.run_seconds if run_seconds is None else run_seconds,
        think_time=profile.think_time if think_time is None else think_time,
    )
    if changed.spike_from is not None:
        changed = replace(changed, spike_from=min(changed.spike_from, changed.users))
    return changed
