"""Starting the pipeline's state machine on Step Functions, once per name.

Not a port yet: only the AWS column starts executions; the embedded default runs the pipeline
with the local runner. The caller names each execution after what it processes (an upload),
and Step Functions keeps names unique per state machine, so the duplicate events and
redeliveries that at-least-once delivery brings start nothing a second time.

AWS's rule for a name used again (standard workflows; express workflows do not keep names
unique, and this class is not for them): while the first execution runs, a start with the
same input succeeds without starting anything and answers with the running execution; with
a different input, or once the first has finished, it is refused with
`ExecutionAlreadyExists`; a name is free again 90 days after its execution closed. moto
follows the same rule. So a successful answer alone does not say whether this call started
the execution: `start` asks first whether an execution of that name exists, and reports a
start only when none did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from eduportal.adapters.aws.service_errors import unavailable_on_failure

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

UNAVAILABLE: Final = "The processing pipeline is unavailable right now. Please try again later."

NAME_LIMIT: Final = 80
_FORBIDDEN_IN_NAME: Final = re.compile(
    r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)
"""What StartExecution refuses in a name: white space, brackets, wildcards, the special
characters `" # % \\ ^ | ~ ` $ & , ; : /`, control characters, surrogates and non-characters.
(CloudWatch Logs wants only letters, digits, `-` and `_`; names built from image ids are.)"""


def check_execution_name(name: str) -> None:
    """Raise `ValueError` unless Step Functions accepts `name` for an execution."""
    if not 1 <= len(name) <= NAME_LIMIT:
        raise ValueError(f"an execution name has 1 to {NAME_LIMIT} characters: {name!r}")
    if found := _FORBIDDEN_IN_NAME.search(name):
        raise ValueError(f"an execution name cannot contain {found.group()!r}: {name!r}")


def _execution_arn(state_machine_arn: str, name: str) -> str:
    """`arn:aws:states:REGION:ACCOUNT:stateMachine:MACHINE` names its executions
    `arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME`."""
    parts = state_machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], name])


class StepFunctionsStarter:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        """`state_machine_arn` is the state machine's own ARN, not a version's or an alias's."""
        parts = state_machine_arn.split(":")
        if len(parts) != 7 or (parts[0], parts[2], parts[5]) != ("arn", "states", "stateMachine"):
            raise ValueError(f"not the ARN of a state machine: {state_machine_arn!r}")
        self._client = client
        self._state_machine_arn = state_machine_arn

    def start(self, name: str, input: Mapping[str, Any]) -> bool:
        """Start an execution named `name` with `input`; False when one of that name exists.

        Raises `ValueError` for a name Step Functions would refuse, and
        `StorageUnavailableError` when Step Functions cannot be reached or refuses otherwise.
        Two callers starting one name at the same instant with the same input may both see
        True, though one execution runs: the check and the start are two calls.
        """
        check_execution_name(name)
        arn = _execution_arn(self._state_machine_arn, name)
        with unavailable_on_failure(UNAVAILABLE, f"stepfunctions start {arn}"):
            if self._exists(arn):
                return False
            try:
                self._client.start_execution(
                    stateMachineArn=self._state_machine_arn,
                    name=name,
                    # Sorted keys: the same input is the same text, which AWS compares.
                    input=json.dumps(input, separators=(",", ":"), sort_keys=True),
                )
            except ClientError as exc:
                if _code(exc) == "ExecutionAlreadyExists":
                    return False
                raise
        return True

    def _exists(self, execution_arn: str) -> bool:
        try:
            self._client.describe_execution(executionArn=execution_arn)
        except ClientError as exc:
            if _code(exc) == "ExecutionDoesNotExist":
                return False
            raise
        return True


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
