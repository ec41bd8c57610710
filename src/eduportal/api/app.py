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
from eduportal.api.portal import portal_router
from eduportal.domain.errors import EduportalError
from eduportal.observability.logging import log_error
from eduportal.observability.metrics import REGISTRY
from eduportal.wiring import Container


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="eduportal",
        version=eduportal.__version__,
        description="The eduportal education portal: accounts, assignments with generated "
        "questions and images, answers and leaderboards; the image origin; health and metrics. "
        "Authenticate with `POST /api/login`, then send `Authorization: Bearer <token>`.",
    )
    app.state.container = container
    app.add_middleware(CorrelationIdMiddleware)
    install_error_handlers(app)
    app.include_router(image_router(container.image_store))
    app.include_router(portal_router(container))

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Readiness: the object store and the database answer."""
        try:
            await run_in_threadpool(container.object_store.check)
            await run_in_threadpool(container.repositories.assignments.check)
        except EduportalError as exc:
            log_error(exc)
            body = error_body(exc.user_message, exc.kind.value, exc.correlation_id)
            return JSONResponse({"status": "unavailable", **body}, status_code=503)
        return JSONResponse({"status": "ready", "storage": container.object_store.backend})

    @app.get("/metrics", tags=["health"])
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app
