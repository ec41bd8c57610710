"""Liveness, readiness and metrics: open to anyone, as probes and scrapers need."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from eduportal.api.dependencies import container
from eduportal.api.errors import error_body, error_headers, error_responses
from eduportal.domain.errors import EduportalError
from eduportal.observability.logging import log_error
from eduportal.observability.metrics import PrometheusMetrics

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses=error_responses(503),
    summary="Readiness: the object store and the database answer",
)
async def readyz(request: Request) -> JSONResponse:
    built = container(request)
    try:
        await run_in_threadpool(built.check)
    except EduportalError as exc:
        log_error(exc)
        body = error_body(exc.user_message, exc.kind.value, exc.correlation_id)
        return JSONResponse(
            {"status": "unavailable", **body}, status_code=503, headers=error_headers(exc)
        )
    return JSONResponse({"status": "ready", "storage": built.storage_backend})


@router.get("/metrics", summary="Prometheus metrics of this process")
async def metrics(request: Request) -> Response:
    registry = container(request).metrics
    body = registry.exposition() if isinstance(registry, PrometheusMetrics) else b""
    return Response(body, media_type=CONTENT_TYPE_LATEST)
