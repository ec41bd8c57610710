"""The image origin: `GET /images/{key}` (what CloudFront would front on AWS).

Strong ETags and `304 Not Modified` spare the bytes; stored images are immutable under their
key, so `Cache-Control` lets browsers keep them a year. A missing key answers 404 and a failing
store 503, both with the placeholder as body (an `<img>` still shows something) and
`Cache-Control: no-store` so the placeholder is never cached in the image's place. Hot images
are answered from memory on the event loop; only cache misses take a worker thread.

It is a plain Starlette route, placed ahead of the FastAPI routes, rather than a FastAPI one:
FastAPI's routing through included routers and its parameter solving cost the hottest route
a fifth of its throughput (origin/bare 0.76 against 0.80 and more as a plain route; see
bench/portal_README.md). Middleware and exception handlers apply to it all the same, and
`OPENAPI_PATHS` keeps it in the API's documentation.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eduportal.imaging.placeholder import PLACEHOLDER_CONTENT_TYPE
from eduportal.services.image_store import Availability, ImageContent, ImageStore

_STATUS = {Availability.FOUND: 200, Availability.MISSING: 404, Availability.UNAVAILABLE: 503}


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison, a list of tags, or `*`."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def image_response(content: ImageContent, if_none_match: str | None) -> Response:
    if content.is_placeholder:
        return Response(
            content.data,
            status_code=_STATUS[content.availability],
            media_type=content.content_type,
            headers={"Cache-Control": content.cache_control},
        )
    headers = {"ETag": f'"{content.etag}"', "Cache-Control": content.cache_control}
    if etag_matches(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(content.data, media_type=content.content_type, headers=headers)


async def get_image(request: Request) -> Response:
    """The stored image, or the placeholder with 404 (missing) or 503 (storage failing)."""
    image_store: ImageStore = request.app.state.container.image_store
    key: str = request.path_params["key"]
    content = image_store.peek(key)
    if content is None:
        content = await run_in_threadpool(image_store.read_public, key)
    return image_response(content, request.headers.get("if-none-match"))


route = Route("/images/{key:path}", get_image, methods=["GET", "HEAD"], name="image")

_PLACEHOLDER = {PLACEHOLDER_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}
_OPERATION: Final[dict[str, Any]] = {
    "tags": ["images"],
    "summary": "An image by key: ETag, 304, immutable caching; placeholder on 404 and 503",
    "parameters": [
        {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}},
    ],
    "responses": {
        "200": {
            "description": "The image, with a strong `ETag` and a year of immutable caching",
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        "304": {"description": "Not modified: the `If-None-Match` tag is the image's"},
        "404": {
            "description": "No such image: the placeholder, `no-store`",
            "content": _PLACEHOLDER,
        },
        "503": {
            "description": "Storage is failing: the placeholder, `no-store`",
            "content": _PLACEHOLDER,
        },
    },
}
OPENAPI_PATHS: Final = {
    "/images/{key}": {
        "get": {**_OPERATION, "operationId": "get_image"},
        "head": {**_OPERATION, "operationId": "head_image"},
    }
}
"""The route's entry in the OpenAPI document, which FastAPI cannot derive from a plain route."""
