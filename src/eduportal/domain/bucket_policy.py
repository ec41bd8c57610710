"""A bucket policy's statements in one shape, whichever of IAM's spellings wrote them.

IAM accepts a principal as `"*"` or `{"AWS": "*"}`, an action or a value as a string or a list,
a boolean condition as `false` or `"false"`, and compares condition keys and actions without
regard to case. Judging a policy (`services.deployment_check`) is simple once every statement is
written one way, which is what `parse_policy` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final

EVERYONE: Final = "*"


@dataclass(frozen=True, slots=True)
class Statement:
    effect: str
    """`Allow` or `Deny`."""
    principals: frozenset[str]
    """`*` for everyone, else `TYPE:value`: `Service:cloudfront.amazonaws.com`,
    `AWS:arn:aws:iam::123456789012:root`."""
    actions: frozenset[str]
    """Lower case, wildcards kept (`s3:*`, `s3:get*`)."""
    resources: frozenset[str]
    conditions: Mapping[str, Mapping[str, frozenset[str]]]
    """Operator (`StringEquals`, `Bool`, ...) to condition key, in lower case, to its values;
    booleans as `true` and `false`."""
    negated: bool
    """Written with NotPrincipal, NotAction or NotResource: it means "everything but", which
    no rule here relies on, so such a statement matches no rule."""

    def covers(self, action: str) -> bool:
        """Whether the statement names `action`, itself or through a wildcard."""
        return not self.negated and any(
            fnmatchcase(action.lower(), pattern) for pattern in self.actions
        )

    def condition(self, operators: frozenset[str], key: str) -> frozenset[str]:
        """The values the statement compares `key` with under any of `operators`."""
        return frozenset(
            value
            for operator, keys in self.conditions.items()
            if operator in operators
            for value in keys.get(key.lower(), frozenset())
        )


def parse_policy(document: str) -> tuple[Statement, ...]:
    """The policy's statements; `ValueError` with a sentence when it is not a policy."""
    try:
        policy = json.loads(document)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the policy is not JSON ({exc.msg})") from exc
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise ValueError("the policy has no list of statements")
    return tuple(_statement(s) for s in statements)


def _statement(raw: Mapping[str, object]) -> Statement:
    return Statement(
        effect=str(raw.get("Effect", "")),
        principals=_principals(raw.get("Principal")),
        actions=frozenset(a.lower() for a in _strings(raw.get("Action"))),
        resources=frozenset(_strings(raw.get("Resource"))),
        conditions=_conditions(raw.get("Condition")),
        negated=any(name in raw for name in ("NotPrincipal", "NotAction", "NotResource")),
    )


def _principals(raw: object) -> frozenset[str]:
    if raw == EVERYONE:
        return frozenset({EVERYONE})
    if not isinstance(raw, Mapping):
        return frozenset()
    return frozenset(
        EVERYONE if kind == "AWS" and value == EVERYONE else f"{kind}:{value}"
        for kind, values in raw.items()
        for value in _strings(values)
    )


def _conditions(raw: object) -> Mapping[str, Mapping[str, frozenset[str]]]:
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(operator): {
            str(key).lower(): frozenset(_strings(values)) for key, values in keys.items()
        }
        for operator, keys in raw.items()
        if isinstance(keys, Mapping)
    }


def _strings(raw: object) -> list[str]:
    values = raw if isinstance(raw, list) else [] if raw is None else [raw]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
