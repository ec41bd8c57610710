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

A stored WebP is answered in the best format the client's `Accept` names (issue 11,
`services/image_delivery.py`): AVIF, WebP, or JPEG/PNG for clients that decode neither. Those
answers carry `Vary: Accept`, their 304s and placeholders too, and each representation has its
own ETag.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from eduportal.domain.keys import is_negotiated
from eduportal.imaging.placeholder import PLACEHOLDER_CONTENT_TYPE
from eduportal.services.image_delivery import ImageDelivery
from eduportal.services.image_store import Availability, ImageContent

_STATUS = {Availability.FOUND: 200, Availability.MISSING: 404, Availability.UNAVAILABLE: 503}


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison, a list of tags, or `*`."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def image_response(
    content: ImageContent, if_none_match: str | None, *, negotiated: bool = False
) -> Response:
    """`negotiated`: the body depends on the request's `Accept`, which caches must key on."""
    vary = {"Vary": "Accept"} if negotiated else {}
    if content.is_placeholder:
        return Response(
            content.data,
            status_code=_STATUS[content.availability],
            media_type=content.content_type,
            headers={"Cache-Control": content.cache_control, **vary},
        )
    headers = {"ETag": f'"{content.etag}"', "Cache-Control": content.cache_control, **vary}
    if etag_matches(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(content.data, media_type=content.content_type, headers=headers)


async def get_image(request: Request) -> Response:
    """The stored image in the format the client takes, or the placeholder with 404
    (missing) or 503 (storage failing)."""
    delivery: ImageDelivery = request.app.state.container.image_delivery
    key: str = request.path_params["key"]
    accept = request.headers.get("accept")
    content = delivery.peek(key, accept)
    if content is None:
        content = await run_in_threadpool(delivery.read, key, accept)
    return image_response(
        content, request.headers.get("if-none-match"), negotiated=is_negotiated(key)
    )


route = Route("/images/{key:path}", get_image, methods=["GET", "HEAD"], name="image")

_PLACEHOLDER = {PLACEHOLDER_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}
_OPERATION: Final[dict[str, Any]] = {
    "tags": ["images"],
    "summary": (
        "An image by key, in the best format the client accepts: ETag, 304, immutable "
        "caching; placeholder on 404 and 503"
    ),
    "description": (
        "A stored WebP (`generated_images/`, `processed/`, `thumbnails/` keys ending `.webp`) "
        "is answered as AVIF when `Accept` names `image/avif`, as WebP when it names "
        "`image/webp` or no image type at all, else as JPEG or PNG; with `Vary: Accept`. "
        "A variant's own key (`.avif`, `.jpg`, `.png`) answers that variant, or, until it is "
        "made, the best one that exists with `Cache-Control: max-age=60`."
    ),
    "parameters": [
        {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "Accept", "in": "header", "required": False, "schema": {"type": "string"}},
        {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}},
    ],
    "responses": {
        "200": {
            "description": (
                "The image, with a strong `ETag` per representation and a year of immutable "
                "caching (a minute for a stand-in)"
            ),
            "headers": {"Vary": {"schema": {"type": "string"}}},
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("image/avif", "image/webp", "image/jpeg", "image/png", "image/*")
            },
        },
        "304": {"description": "Not modified: the `If-None-Match` tag is the representation's"},
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
