"""Which settings of a deployed stack meet the requirements: `eduportal infra check`'s rules.

`check_deployment` reads each resource the Terraform's outputs name once, through a
`DeploymentReader`, and judges every setting the requirements fix against the figures of
`domain.deployment_figures`. It never stops at the first failure: an operator sees everything
there is to fix in one run. A resource that cannot be read (deleted, a refused read) fails each
of its settings with the reader's sentence; a setting whose own read failed fails alone.

The rules live by part of the stack: `buckets`, `cdn`, `monitoring` (the alarms), `compute`
(the Auto Scaling group) and `pipeline` (state machine, queues, records table).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import partial
from typing import TypeVar

from eduportal.domain.deployment_check import CheckResult
from eduportal.domain.deployment_outputs import DeploymentOutputs
from eduportal.domain.errors import EduportalError
from eduportal.ports import DeploymentReader
from eduportal.services.deployment_check.buckets import archive_bucket_rules, image_bucket_rules
from eduportal.services.deployment_check.cdn import distribution_rules
from eduportal.services.deployment_check.compute import scaling_rules
from eduportal.services.deployment_check.monitoring import (
    CLOUDFRONT_ALARM,
    alarm_rules,
    unalarmed_functions,
)
from eduportal.services.deployment_check.pipeline import (
    dead_letter_queue_rules,
    queue_rules,
    state_machine_rules,
    table_rules,
)
from eduportal.services.deployment_check.rules import Rule

R = TypeVar("R")


def check_deployment(
    reader: DeploymentReader,
    outputs: DeploymentOutputs,
    *,
    max_receives: int,
    pipeline_functions: Collection[str],
) -> tuple[CheckResult, ...]:
    """Every setting's verdict, in the order an operator walks the stack: storage, delivery,
    monitoring, compute, the pipeline. `max_receives` is the deliveries the portal allows a
    message (`Settings.queue_max_receives`), which the queue's redrive policy must match;
    `pipeline_functions` the names of the pipeline's Lambda functions, each of which must have
    its errors alarm in the outputs (the caller reads them from the pipeline's definition,
    which the services do not import)."""
    o = outputs
    alarms = {
        key: _read(partial(reader.alarm, name, of_cloudfront=key == CLOUDFRONT_ALARM))
        for key, name in o.alarms.items()
    }
    judged = [
        _judge(
            o.image_bucket, _read(partial(reader.bucket, o.image_bucket)), image_bucket_rules(o)
        ),
        _judge(
            o.archive_bucket,
            _read(partial(reader.bucket, o.archive_bucket)),
            archive_bucket_rules(),
        ),
        _judge(
            o.distribution_id,
            _read(partial(reader.distribution, o.distribution_id)),
            distribution_rules(o),
        ),
        *(_judge(o.alarms[key], reading, alarm_rules(key, o)) for key, reading in alarms.items()),
        unalarmed_functions(o, pipeline_functions),
        _judge(
            o.scaling_group,
            _read(partial(reader.scaling_group, o.scaling_group)),
            scaling_rules(o, alarms["cpu_high"], alarms["cpu_low"]),
        ),
        _judge(
            o.state_machine_arn,
            _read(partial(reader.state_machine, o.state_machine_arn)),
            state_machine_rules(),
        ),
        _judge(
            o.queue_url, _read(partial(reader.queue, o.queue_url)), queue_rules(o, max_receives)
        ),
        _judge(o.dlq_url, _read(partial(reader.queue, o.dlq_url)), dead_letter_queue_rules()),
        _judge(o.records_table, _read(partial(reader.table, o.records_table)), table_rules()),
    ]
    return tuple(result for results in judged for result in results)


def _read(read: Callable[[], R]) -> R | EduportalError:
    """The reading, or the error that says why there is none."""
    try:
        return read()
    except EduportalError as exc:
        return exc


def _judge(
    resource: str, reading: R | EduportalError, rules: Sequence[Rule[R]]
) -> list[CheckResult]:
    if isinstance(reading, EduportalError):
        return [
            CheckResult(rule.setting, resource, False, reading.user_message, rule.expected)
            for rule in rules
        ]
    results = []
    for rule in rules:
        finding = rule.judge(reading)
        results.append(
            CheckResult(rule.setting, resource, finding.passed, finding.found, rule.expected)
        )
    return results
