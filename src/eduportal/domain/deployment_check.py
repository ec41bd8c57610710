"""The verdict on one setting of a deployment: what `eduportal infra check` reports per line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CheckResult:
    setting: str
    """The setting in an operator's words ("image bucket versioning"), unique in a report."""
    resource: str
    """The bucket, distribution, alarm, ... it was read from, by the name the outputs give."""
    passed: bool
    found: str
    """The value read, or the sentence saying why it could not be read."""
    expected: str

    def as_dict(self) -> dict[str, object]:
        return {
            "setting": self.setting,
            "resource": self.resource,
            "passed": self.passed,
            "found": self.found,
            "expected": self.expected,
        }


def all_passed(results: Sequence[CheckResult]) -> bool:
    """A report with no result proves nothing, so it does not pass."""
    return bool(results) and all(result.passed for result in results)
