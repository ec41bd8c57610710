"""The scaling watch's composition: the AWS reader of an Auto Scaling group, built from the
settings, and the watch that `eduportal scaling watch` and `eduportal loadtest --watch-asg`
run.

It stands beside `wiring.py` rather than in it: the watch is an operator's tool that observes
a deployment from outside and needs none of the portal's parts (no store, no database), so the
portal's `Container` does not grow a part only this tool uses. Like `wiring.py`, it is the only
place its adapter is constructed.
"""

from __future__ import annotations

import threading

from eduportal.adapters.system_clock import SystemClock
from eduportal.config import Settings
from eduportal.ports import ScalingGroupReader
from eduportal.services.scaling_watch import (
    BackgroundWatch,
    OnFailure,
    OnSample,
    WatchResult,
    WatchSettings,
    watch,
)

DEFAULT_CPU_PERIOD_SECONDS = 60
"""CloudWatch's period for the CPU metric: EC2's detailed monitoring publishes one-minute
periods, which a scaling policy on CPU should use."""


def build_scaling_reader(
    settings: Settings, *, cpu_period_seconds: int = DEFAULT_CPU_PERIOD_SECONDS
) -> ScalingGroupReader:
    """Clients of Auto Scaling, CloudWatch and Elastic Load Balancing in `AWS_REGION`, at
    `AWS_ENDPOINT_URL` when set, with the retries and timeouts of every AWS client
    (`adapters/aws/clients.py`); each call is one small read, as a database's."""
    from eduportal.adapters.aws.clients import (
        autoscaling_client,
        cloudwatch_client,
        elbv2_client,
    )
    from eduportal.adapters.aws.scaling_group import AwsScalingGroupReader

    region, timeout, endpoint = (
        settings.aws_region,
        settings.db_timeout_seconds,
        settings.aws_endpoint_url,
    )
    return AwsScalingGroupReader(
        autoscaling_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        cloudwatch_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        elbv2_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        cpu_period_seconds=cpu_period_seconds,
    )


def run_scaling_watch(
    settings: Settings,
    watch_settings: WatchSettings,
    *,
    cpu_period_seconds: int = DEFAULT_CPU_PERIOD_SECONDS,
    stop: threading.Event | None = None,
    on_sample: OnSample | None = None,
    on_failure: OnFailure | None = None,
) -> WatchResult:
    """The watch in the caller's thread, until its duration has passed or `stop` is set:
    what `eduportal scaling watch` runs."""
    reader = build_scaling_reader(settings, cpu_period_seconds=cpu_period_seconds)
    return watch(
        reader,
        SystemClock(),
        watch_settings,
        stop=stop,
        on_sample=on_sample,
        on_failure=on_failure,
    )


def start_scaling_watch(
    settings: Settings,
    watch_settings: WatchSettings,
    *,
    cpu_period_seconds: int = DEFAULT_CPU_PERIOD_SECONDS,
    on_sample: OnSample | None = None,
    on_failure: OnFailure | None = None,
) -> BackgroundWatch:
    """The watch in a background thread, started, its first poll done (its error raised):
    what `eduportal loadtest --watch-asg NAME` runs beside the load. `stop()` ends it and
    returns the `WatchResult`: the timeline, the events, the scaling windows and the
    verdicts."""
    reader = build_scaling_reader(settings, cpu_period_seconds=cpu_period_seconds)
    return BackgroundWatch(
        reader, SystemClock(), watch_settings, on_sample=on_sample, on_failure=on_failure
    ).start()
