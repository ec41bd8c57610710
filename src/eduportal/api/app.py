"""The FastAPI application, built from a `Container` (see `eduportal.wiring`)."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

import eduportal
from eduportal.api.correlation import CorrelationIdMiddleware
from eduportal.api.errors import error_body, install_error_handlers
from eduportal.api.images import image_router
from eduportal.domain.errors import EduportalError
from eduportal.observability.metrics import REGISTRY
from eduportal.wiring import Container


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="eduportal",
        version=eduportal.__version__,
        description="Image origin, health and metrics of the eduportal education portal.",
    )
    app.add_middleware(CorrelationIdMiddleware)
    install_error_handlers(app)
    app.include_router(image_router(container.image_store))

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Readiness: the object store answers."""
        try:
            await run_in_threadpool(container.object_store.check)
        except EduportalError as exc:
            body = error_body(exc.user_message, exc.kind.value, exc.correlation_id)
            return JSONResponse({"status": "unavailable", **body}, status_code=503)
        return JSONResponse({"status": "ready", "storage": container.object_store.backend})

    @app.get("/metrics", tags=["health"])
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app
