"""The files of a scaling watch as JSON: `timeline.json` (every sample, event, scaling window,
activity and failed poll) and `report.json` (the verdicts, what `--json` prints).

Times are ISO 8601 in UTC with milliseconds, as a person and any JSON reader take them;
durations are seconds. The load test writes the same documents into its own report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eduportal.domain.scaling import Sample
from eduportal.domain.scaling_events import ScalingEvent, ScalingWindow
from eduportal.domain.scaling_verdicts import Check
from eduportal.services.scaling_watch import WatchResult


def iso(at: float | None) -> str | None:
    if at is None:
        return None
    text = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def timeline_document(result: WatchResult) -> dict[str, Any]:
    timeline = result.timeline
    settings = timeline.settings
    return {
        "group": settings.group,
        "threshold_percent": settings.threshold,
        "interval_seconds": settings.interval_seconds,
        "duration_seconds": settings.duration_seconds,
        "started_at": iso(timeline.started_at),
        "ended_at": iso(timeline.ended_at),
        "samples": [_sample(sample) for sample in timeline.samples],
        "events": [event_document(event) for event in result.events],
        "scaling_windows": [window_document(window) for window in result.windows],
        "activities": [
            {
                "id": a.activity_id,
                "status": a.status,
                "description": a.description,
                "cause": a.cause,
                "started_at": iso(a.started_at),
                "ended_at": iso(a.ended_at),
            }
            for a in timeline.activities
        ],
        "failed_polls": [{"at": iso(f.at), "error": f.error} for f in timeline.failed_polls],
    }


def report_document(result: WatchResult) -> dict[str, Any]:
    timeline = result.timeline
    report = result.report
    return {
        "group": timeline.settings.group,
        "verdict": report.verdict.value,
        "threshold_percent": report.threshold,
        "started_at": iso(timeline.started_at),
        "ended_at": iso(timeline.ended_at),
        "polls": len(timeline.samples),
        "failed_polls": len(timeline.failed_polls),
        "checks": {
            "scale_out": _check(report.scale_out),
            "scale_in": _check(report.scale_in),
            "target_health": _check(report.target_health),
        },
        "never_healthy": [
            {
                "instance_id": n.instance_id,
                "in_service_seconds": round(n.in_service_seconds, 3),
                "last_states": list(n.last_states),
            }
            for n in report.never_healthy
        ],
        "scaling_windows": [window_document(window) for window in result.windows],
    }


def event_document(event: ScalingEvent) -> dict[str, Any]:
    return {
        "at": iso(event.at),
        "kind": event.kind.value,
        "subject": event.subject,
        "before": event.before,
        "after": event.after,
        "description": event.describe(),
    }


def window_document(window: ScalingWindow) -> dict[str, Any]:
    return {
        "kind": window.kind,
        "started_at": iso(window.started_at),
        "ended_at": iso(window.ended_at),
        "seconds": round(window.ended_at - window.started_at, 3),
        "from_desired": window.from_desired,
        "to_desired": window.to_desired,
        "completed": window.completed,
    }


def _check(check: Check) -> dict[str, Any]:
    return {
        "verdict": check.verdict.value,
        "summary": check.summary,
        "seconds": None if check.seconds is None else round(check.seconds, 3),
        "budget_seconds": check.budget_seconds,
        "started_at": iso(check.started_at),
        "ended_at": iso(check.ended_at),
    }


def _sample(sample: Sample) -> dict[str, Any]:
    return {
        "at": iso(sample.at),
        "desired": sample.desired,
        "min_size": sample.min_size,
        "max_size": sample.max_size,
        "in_service": sample.in_service,
        "instances": [
            {
                "id": i.instance_id,
                "lifecycle_state": i.lifecycle_state,
                "health_status": i.health_status,
            }
            for i in sample.instances
        ],
        "cpu": [{"at": iso(p.at), "percent": p.percent} for p in sample.cpu],
        "alarms": [
            {"name": a.name, "state": a.state, "updated_at": iso(a.updated_at)}
            for a in sample.alarms
        ],
        "target_groups": list(sample.target_groups),
        "targets": [
            {
                "target_group": t.target_group,
                "instance_id": t.instance_id,
                "state": t.state,
                "reason": t.reason,
            }
            for t in sample.targets
        ],
    }
