"""The processing pipeline's rules: its state machine observable (logs, traces), its queue's
failures set aside after as many deliveries as the portal allows, both queues encrypted, and
the records table as the portal reads it, recoverable to a point in time.

The records table is held to `domain.records_table`, the layout the portal's DynamoDB adapter
reads: a table keyed or indexed otherwise would leave the portal's queries failing, whatever
it was meant to be.

DynamoDB encrypts every table at rest and cannot be told not to; what a deployment chooses is
only whose key (DynamoDB's own, by default, or a KMS key). So the encryption check reports the
key and fails only when the table's KMS key can no longer be used, which leaves the table
unreadable: a table on DynamoDB's default key meets "encrypted at rest".
"""

from __future__ import annotations

from eduportal.domain.deployment import QueueSettings, StateMachineSettings, TableSettings
from eduportal.domain.deployment_outputs import DeploymentOutputs
from eduportal.domain.records_table import INDEXES, PARTITION_KEY, TableIndex
from eduportal.services.deployment_check.rules import Finding, Rule, listed, on_off, setting

_KEY = ((PARTITION_KEY, "HASH"),)
_KMS_STATUSES = frozenset({"ENABLED", "ENABLING", "UPDATING"})
"""SSEDescription statuses of a table on a KMS key; without one, or `DISABLED`, DynamoDB's own
key encrypts it."""


def state_machine_rules() -> list[Rule[StateMachineSettings]]:
    return [
        Rule(
            "state machine logging",
            "a level other than OFF (ALL, ERROR or FATAL)",
            lambda m: Finding(m.logging_level not in ("", "OFF"), m.logging_level or "OFF"),
        ),
        Rule("state machine tracing", "on", lambda m: Finding(m.tracing, on_off(m.tracing))),
    ]


def queue_rules(outputs: DeploymentOutputs, max_receives: int) -> list[Rule[QueueSettings]]:
    """`max_receives`: the deliveries the portal allows a message (`Settings`)."""
    dlq = outputs.dlq_name
    return [
        Rule(
            "queue redrive policy",
            f"to {dlq} after {max_receives} receives",
            lambda q: _redrive(q, dlq, max_receives),
        ),
        _encryption_rule("queue encryption"),
    ]


def dead_letter_queue_rules() -> list[Rule[QueueSettings]]:
    return [_encryption_rule("dead-letter queue encryption")]


def table_rules() -> list[Rule[TableSettings]]:
    return [
        Rule(
            "records table key",
            _key_text(_KEY),
            lambda t: Finding(t.key == _KEY, _key_text(t.key)),
        ),
        *(_index_rule(index) for index in INDEXES),
        Rule(
            "records table point-in-time recovery",
            "ENABLED",
            lambda t: setting(
                t.point_in_time_recovery, lambda status: Finding(status == "ENABLED", status)
            ),
        ),
        Rule(
            "records table encryption",
            "encrypted at rest with a key DynamoDB can use (its own, or a KMS key)",
            _table_encryption,
        ),
    ]


def _redrive(queue: QueueSettings, dlq: str, max_receives: int) -> Finding:
    if queue.redrive_target is None:
        return Finding(False, "no redrive policy")
    target = queue.redrive_target.rsplit(":", 1)[-1]
    return Finding(
        target == dlq and queue.max_receive_count == max_receives,
        f"to {target} after {queue.max_receive_count} receives",
    )


def _encryption_rule(name: str) -> Rule[QueueSettings]:
    return Rule(name, "SSE-SQS or a KMS key", _queue_encryption)


def _queue_encryption(queue: QueueSettings) -> Finding:
    if queue.kms_key:
        return Finding(True, f"KMS key {queue.kms_key}")
    return Finding(
        queue.sqs_managed_encryption, "SSE-SQS" if queue.sqs_managed_encryption else "none"
    )


def _key_text(key: tuple[tuple[str, str], ...]) -> str:
    return listed((f"{attribute} ({role})" for attribute, role in key), empty="no key")


def _index_text(index: TableIndex) -> str:
    return f"{index.name} on {_key_text(index.key)}, projecting {index.projection}"


def _index_rule(wanted: TableIndex) -> Rule[TableSettings]:
    def judge(table: TableSettings) -> Finding:
        found = [index for index in table.indexes if index.name == wanted.name]
        if not found:
            names = listed(index.name for index in table.indexes)
            return Finding(False, f"no index named {wanted.name} (indexes: {names})")
        return Finding(found[0] == wanted, _index_text(found[0]))

    return Rule(f"records table index {wanted.name}", _index_text(wanted), judge)


def _table_encryption(table: TableSettings) -> Finding:
    key = table.encryption_key or "(not named)"
    if table.key_inaccessible:
        return Finding(False, f"the KMS key {key} cannot be used: the table cannot be read")
    if table.encryption_status in _KMS_STATUSES:
        return Finding(True, f"KMS key {key} ({table.encryption_status})")
    return Finding(True, "DynamoDB's own key (its default)")
