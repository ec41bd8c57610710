"""Run the pipeline's Lambda handlers in a fresh interpreter, as Lambda's runtime would, and
report which distributions their modules came from.

Run as a file, `python -S -P lambda_probe.py`, with the functions' environment variables set
and `PYTHONPATH` naming where eduportal and its distributions are: `-S` processes no `.pth`
file (Lambda's runtime processes none in the package either, and the test environment's would
load setuptools' `_distutils_hack`), `-P` keeps this folder off `sys.path`. It imports nothing
but the standard library and eduportal, so every module it reports was loaded by the
handlers. The plan arrives as JSON on standard input; the report is one JSON line on standard
output (the handlers log on standard error).

The plan: `refuse`, top-level modules that may not be imported (those of distributions the
Lambda package lacks: an import of one fails as it would on Lambda, and an optional one, in a
`try`, is done without, as it would be there); `record_upload`, the record writer's event;
`start_executions`, the queue consumer's SQS event; then `job` through each step of `steps`,
each step's output the next one's input, as the state machine passes it on.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from importlib.metadata import packages_distributions
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Context:
    """The context attributes the handlers read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class Refuse(MetaPathFinder):
    """Top-level modules of `names` are not found, whatever is installed."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)
        self.refused: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if path is None and fullname in self.names:
            self.refused.add(fullname)
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def loaded_distributions() -> list[str]:
    """The distributions that provide a module in `sys.modules`, this project's included."""
    providers = packages_distributions()
    tops = {name.partition(".")[0] for name in list(sys.modules)}
    return sorted({dist for top in tops for dist in providers.get(top, [])})


def run(plan: dict[str, Any]) -> dict[str, Any]:
    refuse = Refuse(plan["refuse"])
    sys.meta_path.insert(0, refuse)
    from eduportal import lambdas

    recorded = lambdas.record_upload(plan["record_upload"], Context("record-writer"))
    started = lambdas.start_executions(plan["start_executions"], Context("queue-consumer"))
    job = plan["job"]
    for step in plan["steps"]:
        job = getattr(lambdas, step)(job, Context(step))
    return {
        "recorded": recorded,
        "started": started,
        "job": job,
        "distributions": loaded_distributions(),
        "refused": sorted(refuse.refused),
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(json.load(sys.stdin))) + "\n")
