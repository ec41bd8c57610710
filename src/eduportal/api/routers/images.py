"""The image origin: `GET /images/{key}` (what CloudFront would front on AWS).

Strong ETags and `304 Not Modified` spare the bytes; stored images are immutable under their
key, so `Cache-Control` lets browsers keep them a year. A missing key answers 404 and a failing
store 503, both with the placeholder as body (an `<img>` still shows something) and
`Cache-Control: no-store` so the placeholder is never cached in the image's place. Hot images
are answered from memory on the event loop; only cache misses take a worker thread.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

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


router = APIRouter(tags=["images"])


async def get_image(key: str, request: Request) -> Response:
    """The stored image, or the placeholder with 404 (missing) or 503 (storage failing).

    The store is taken from `app.state` by hand, not through a dependency: this is the
    hottest route, and dependency resolution measurably costs it throughput.
    """
    image_store: ImageStore = request.app.state.container.image_store
    content = image_store.peek(key)
    if content is None:
        content = await run_in_threadpool(image_store.read, key)
    return image_response(content, request.headers.get("if-none-match"))


for _method in ("GET", "HEAD"):
    router.add_api_route(
        "/images/{key:path}",
        get_image,
        methods=[_method],
        response_class=Response,
        operation_id=f"{_method.lower()}_image",
        summary="An image by key: ETag, 304, immutable caching; placeholder on 404 and 503",
    )
