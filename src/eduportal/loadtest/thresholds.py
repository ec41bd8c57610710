"""Pass/fail checks on a run: `upload-p95=3s`, `download-p95=1s`, `error-rate=5%`, ...

A threshold is `[OPERATION-]STATISTIC=LIMIT`. OPERATION is a short name of `operations.ALIASES`
(upload, download, create, view, list, image, thumbnail, login); STATISTIC is p50, p95, p99
(LIMIT a duration: `250ms`, `3s`) or error-rate (LIMIT a percentage: `5%`). Without an
OPERATION, `error-rate` is over every HTTP request of the run. A value passes when it is
below its limit. `NAME=off` drops a default.

A threshold whose operation had no sample is *not measured*: shown as such, neither passed
nor failed, and it does not fail the run (the cache profile, for one, makes no upload). A run
with no request at all fails as a whole, elsewhere: there is nothing to judge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from eduportal.loadtest.locust_stats import EntryStats
from eduportal.loadtest.operations import ALIASES

Statistic = Literal["p50", "p95", "p99", "error-rate"]
_STATISTICS: Final[tuple[Statistic, ...]] = ("p50", "p95", "p99", "error-rate")
_PERCENTILE_COLUMN: Final = {"p50": "50%", "p95": "95%", "p99": "99%"}

DEFAULTS: Final = ("upload-p95=3s", "download-p95=1s", "error-rate=5%")
"""Requirement 7's limits: storage upload p95 under 3 s, download under 1 s, and fewer than
5 % of requests failing."""


@dataclass(frozen=True)
class Threshold:
    name: str
    operation: str | None
    """The entry name (`S3 upload`), or None for every HTTP request."""
    statistic: Statistic
    limit: float
    """Milliseconds for a percentile, a fraction (0.05) for the error rate."""

    @property
    def description(self) -> str:
        subject = self.operation or "all HTTP requests"
        if self.statistic == "error-rate":
            return f"{subject}: error rate < {format_value(self.statistic, self.limit)}"
        return f"{subject}: {self.statistic} < {format_value(self.statistic, self.limit)}"


@dataclass(frozen=True)
class Verdict:
    threshold: Threshold
    value: float | None
    """None: not measured (no sample)."""

    @property
    def passed(self) -> bool | None:
        """True or False; None when not measured."""
        return None if self.value is None else self.value < self.threshold.limit

    @property
    def outcome(self) -> str:
        return {True: "pass", False: "FAIL", None: "not measured"}[self.passed]

    def as_dict(self) -> dict[str, object]:
        t = self.threshold
        return {
            "name": t.name,
            "operation": t.operation or "all HTTP requests",
            "statistic": t.statistic,
            "limit": t.limit,
            "unit": "fraction" if t.statistic == "error-rate" else "ms",
            "value": self.value,
            "pass": self.passed,
            "outcome": self.outcome,
            "description": t.description,
        }


def parse(text: str) -> Threshold | str:
    """A threshold from `NAME=LIMIT`, or its name alone when LIMIT is `off`.

    Raises ValueError with a sentence that says what a threshold looks like.
    """
    name, equals, limit_text = (part.strip() for part in text.partition("="))
    operation, statistic = _split_name(name.lower())
    if not equals or not limit_text:
        raise ValueError(f"{text!r}: give NAME=LIMIT, e.g. upload-p95=3s or error-rate=5%.")
    if limit_text.lower() == "off":
        return name.lower()
    return Threshold(name.lower(), operation, statistic, _limit(statistic, limit_text, text))


def _split_name(name: str) -> tuple[str | None, Statistic]:
    for statistic in _STATISTICS:
        if name == statistic or name.endswith(f"-{statistic}"):
            alias = name[: -len(statistic)].rstrip("-")
            if not alias:
                if statistic != "error-rate":
                    break
                return None, statistic
            if alias in ALIASES:
                return ALIASES[alias], statistic
            raise ValueError(
                f"{name!r}: unknown operation {alias!r}; use one of {', '.join(ALIASES)}."
            )
    raise ValueError(
        f"{name!r} is not a threshold name: give OPERATION-p50, -p95, -p99 or -error-rate "
        f"(OPERATION: {', '.join(ALIASES)}), or error-rate for every request."
    )


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s)", re.IGNORECASE)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


def _limit(statistic: Statistic, limit: str, text: str) -> float:
    if statistic == "error-rate":
        match = _PERCENT.fullmatch(limit)
        if match is None or float(match[1]) > 100:
            raise ValueError(f"{text!r}: give the error rate as a percentage, e.g. 5% or 0.5%.")
        return float(match[1]) / 100
    match = _DURATION.fullmatch(limit)
    if match is None:
        raise ValueError(f"{text!r}: give the latency with its unit, e.g. 250ms or 3s.")
    return float(match[1]) * (1000 if match[2].lower() == "s" else 1)


def resolve(overrides: Iterable[Threshold | str]) -> list[Threshold]:
    """The defaults, changed by what the command line gave: a name given again replaces the
    default of that name, `off` drops it, a new name is added."""
    chosen: dict[str, Threshold] = {}
    for item in [*(_parsed(text) for text in DEFAULTS), *overrides]:
        if isinstance(item, str):
            chosen.pop(item, None)
        else:
            chosen[item.name] = item
    return list(chosen.values())


def _parsed(text: str) -> Threshold:
    threshold = parse(text)
    assert isinstance(threshold, Threshold)
    return threshold


def evaluate(thresholds: Sequence[Threshold], entries: Sequence[EntryStats]) -> list[Verdict]:
    by_name = {entry.name: entry for entry in entries}
    requests = [entry for entry in entries if entry.is_request]
    verdicts = []
    for threshold in thresholds:
        if threshold.operation is None:
            count = sum(entry.count for entry in requests)
            failures = sum(entry.failures for entry in requests)
            value = failures / count if count else None
        else:
            entry = by_name.get(threshold.operation)
            if entry is None or entry.count == 0:
                value = None
            elif threshold.statistic == "error-rate":
                value = entry.failures / entry.count
            else:
                value = entry.percentiles_ms[_PERCENTILE_COLUMN[threshold.statistic]]
        verdicts.append(Verdict(threshold, value))
    return verdicts


def format_value(statistic: str, value: float | None) -> str:
    if value is None:
        return "-"
    if statistic == "error-rate":
        return f"{value * 100:.2f} %"
    if value == 0:
        return "<1 ms"  # Locust rounds to whole milliseconds below 100 ms
    return f"{value / 1000:g} s" if value >= 1000 else f"{value:g} ms"
