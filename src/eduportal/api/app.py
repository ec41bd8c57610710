"""The FastAPI application, built from a `Container` (see `eduportal.wiring`).

Middleware, outermost first: the correlation id (so every later answer carries it), security
headers, the storage timings of `Server-Timing`, then the body limits, which must act before
anything reads a body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.types import Scope

import eduportal
from eduportal.api.body_limit import BodyLimit, BodyLimitMiddleware
from eduportal.api.correlation import CorrelationIdMiddleware
from eduportal.api.errors import install_error_handlers
from eduportal.api.routers import (
    accounts,
    answers,
    assignments,
    health,
    images,
    results,
    uploads,
)
from eduportal.api.security_headers import SecurityHeadersMiddleware
from eduportal.api.server_timing import ServerTimingMiddleware
from eduportal.wiring import Container

UPLOAD_OVERHEAD_BYTES = 64 * 1024
"""Room for the multipart framing around an upload of the largest accepted size."""


def create_app(container: Container) -> FastAPI:
    settings = container.settings
    app = FastAPIOffline(
        title="eduportal",
        version=eduportal.__version__,
        description="The eduportal education portal: accounts, assignments with generated "
        "questions and images, answers, leaderboards and results; uploads into the image "
        "processing pipeline and their records; the image origin; health and metrics. Sign in "
        "with `POST /api/login`, then press **Authorize** and paste the token (or send "
        "`Authorization: Bearer <token>`). Every error is JSON: a sentence for the user, its "
        "kind and the correlation id its log line carries.",
        static_url="/docs-assets",
        redoc_url=None,
        lifespan=_recording(container),
    )
    app.state.container = container
    app.state.sign_in_limiter = anyio.CapacityLimiter(settings.login_concurrency)
    install_error_handlers(app)
    # The image origin first, as a plain route: it is the hottest one (see routers/images.py).
    app.router.routes.insert(0, images.route)
    for module in (accounts, assignments, answers, results, uploads, health):
        app.include_router(module.router)
    _document_the_image_origin(app)

    upload = BodyLimit(
        settings.max_upload_bytes + UPLOAD_OVERHEAD_BYTES,
        f"The file is larger than {settings.max_upload_bytes / 1e6:.1f} MB, the largest we accept.",
    )
    json_body = BodyLimit(
        settings.max_json_bytes,
        f"The request is larger than {settings.max_json_bytes // 1024} KB, "
        "the largest this endpoint accepts.",
    )
    upload_routes = [
        route
        for module in (assignments, uploads)
        for route in module.router.routes
        if isinstance(route, APIRoute) and route.name == module.UPLOAD_ROUTE
    ]

    def limit_for(scope: Scope) -> BodyLimit:
        for route in upload_routes:
            if scope["method"] in (route.methods or ()) and route.path_regex.fullmatch(
                scope["path"]
            ):
                return upload
        return json_body

    app.add_middleware(
        BodyLimitMiddleware, limit_for=limit_for, body_timeout=settings.body_timeout_seconds
    )
    app.add_middleware(ServerTimingMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(CorrelationIdMiddleware)
    return app


def _document_the_image_origin(app: FastAPI) -> None:
    """Add the plain image route's entry to the OpenAPI document FastAPI builds."""
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build_schema()
            schema["paths"] = {**images.OPENAPI_PATHS, **schema["paths"]}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _recording(container: Container) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: this process's metrics recorder runs while the app serves, with
    the queue's depth (the API reads it for every process), and takes a last snapshot when
    it stops (`Container.start_recording`)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(lambda: container.start_recording("api", queue_depth=True))
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(container.stop_recording)

    return lifespan
