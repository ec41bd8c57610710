"""`EventBus` on EventBridge: one PutEvents per event; the rules and targets that route it
belong to the infrastructure, which subscribes each consumer with an event pattern.

Two things of EventBridge shape what a subscriber sees. The event's time travels to whole
seconds (RFC 3339 in the envelope's `time`), so the fraction is lost. And PutEvents reports a
refused entry inside an HTTP 200 answer (`FailedEntryCount`, `Entries[].ErrorCode`), so the
answer is read, not only the status: an entry refused is an error here like a failed call.

What it cannot see: real EventBridge accepts events for an event bus that does not exist and
drops them without an error (aws/aws-cli#9186), where moto refuses the call. A misspelt bus
name is therefore a configuration to check where the infrastructure is applied, not an error
this adapter can report.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from eduportal.adapters.aws.service_errors import unavailable_on_failure
from eduportal.domain.errors import StorageUnavailableError
from eduportal.ports import Event

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

UNAVAILABLE: Final = "The event bus is unavailable right now. Please try again later."

_RETRYABLE_ENTRY_CODES: Final = frozenset({"InternalFailure", "ThrottlingException"})
"""The entry errors AWS documents as worth retrying; the others (an invalid argument,
malformed detail, a missing permission) fail the same way every time."""


class EventBridgeBus:
    def __init__(self, client: EventBridgeClient, bus_name: str = "default") -> None:
        self._client = client
        self._bus_name = bus_name

    def publish(self, event: Event) -> None:
        """Raises `StorageUnavailableError`, transient unless EventBridge refused the entry
        for a reason that trying again does not change."""
        operation = f"eventbridge put events {event.detail_type!r} on {self._bus_name}"
        with unavailable_on_failure(UNAVAILABLE, operation):
            answer = self._client.put_events(
                Entries=[
                    {
                        "Source": event.source,
                        "DetailType": event.detail_type,
                        "Detail": json.dumps(event.detail, separators=(",", ":")),
                        "Time": datetime.fromtimestamp(event.time, tz=UTC),
                        "EventBusName": self._bus_name,
                    }
                ]
            )
        refused = [entry for entry in answer.get("Entries", []) if "ErrorCode" in entry]
        if not refused and not answer.get("FailedEntryCount"):
            return
        code = refused[0].get("ErrorCode", "") if refused else ""
        message = refused[0].get("ErrorMessage", "") if refused else "no entry says why"
        raise StorageUnavailableError(
            UNAVAILABLE,
            detail=f"{operation}: entry refused: {code}: {message}",
            transient=code in _RETRYABLE_ENTRY_CODES,
        )
