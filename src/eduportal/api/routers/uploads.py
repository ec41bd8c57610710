"""Uploads into the processing pipeline: put an image in, follow its record, list records.

An upload answers 202 at once with the record `UPLOADED`; the pipeline's workers take it from
there, and `GET /api/uploads/{image_id}` follows it to `COMPLETED`, `REJECTED` or `FAILED`.
Whether the bytes are an image is decided by the pipeline from the bytes, not here: a text
file is taken, then rejected with its reason on the record. When the store refuses the upload
the answer is its error (503 while it is unavailable) and no record is written.

Who may: teachers, for every endpoint (`UploadService.authorize`). The records are the
operators' view of everyone's uploads, which students should not list. The file is read by
hand after that check (`api/multipart.py`), so a refused upload is never parsed.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from eduportal.api.dependencies import SignedIn, container
from eduportal.api.errors import error_responses
from eduportal.api.multipart import FILE_FIELD_BODY, read_file_field
from eduportal.api.schemas import (
    UploadPage,
    UploadRecordView,
    UploadSummary,
    UrlFor,
    upload_path,
)
from eduportal.domain.accounts import Account
from eduportal.domain.image_records import MAX_DAYS
from eduportal.services.uploads import (
    MAX_OFFSET,
    MAX_PAGE,
    UploadService,
    status_named,
    upload_days,
)

router = APIRouter(prefix="/api/uploads", tags=["uploads"])

UPLOAD_ROUTE = "upload_into_the_pipeline"
"""The route that takes `EDUPORTAL_MAX_UPLOAD_BYTES`, as the assignments' image upload does."""
DAY = "YYYY-MM-DD, UTC"


async def uploads(request: Request) -> UploadService:
    return container(request).uploads


Uploads = Annotated[UploadService, Depends(uploads)]


async def operator(user: SignedIn, service: Uploads) -> Account:
    """The signed-in account, if the service lets it use the pipeline."""
    service.authorize(user)
    return user


Operator = Annotated[Account, Depends(operator)]


def url_for(request: Request) -> UrlFor:
    return container(request).image_store.url_for


@router.post(
    "",
    name=UPLOAD_ROUTE,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=FILE_FIELD_BODY,
    responses=error_responses(400, 401, 403, 408, 413, 422, 503, 504),
    summary="Upload an image into the processing pipeline (teachers); answered at once, "
    "processed by the workers",
)
async def upload(
    request: Request, response: Response, user: Operator, service: Uploads
) -> UploadSummary:
    """Multipart form with one field, `file`. The answer is the record, `UPLOADED`, and its
    address (also in `Location`), to follow until the pipeline settles it."""
    form = await read_file_field(request)
    record = await run_in_threadpool(
        service.upload,
        form.data,
        file_name=form.name,
        content_type=form.content_type,
        uploader=user.username,
    )
    response.headers["Location"] = upload_path(record.image_id)
    return UploadSummary.of(record, url_for(request))


@router.get(
    "",
    responses=error_responses(401, 403, 422, 503),
    summary="Upload records, newest first, by status and upload day (teachers)",
)
def list_uploads(
    request: Request,
    _: Operator,
    service: Uploads,
    status: Annotated[
        str | None,
        Query(description="UPLOADED, PROCESSING, COMPLETED, REJECTED or FAILED (any case)"),
    ] = None,
    date: Annotated[str | None, Query(description=f"Uploaded on this day ({DAY})")] = None,
    since: Annotated[
        str | None,
        Query(description=f"Uploaded on this day or later ({DAY}); until defaults to today"),
    ] = None,
    until: Annotated[
        str | None,
        Query(
            description=f"Uploaded on this day or earlier ({DAY}); at most {MAX_DAYS} days "
            "from since"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> UploadPage:
    """`next` is the address of the next page whenever this one came back full."""
    days = upload_days(on=date, since=since, until=until, today=service.today())
    records = service.find(
        status=None if status is None else status_named(status),
        days=days,
        limit=limit,
        offset=offset,
    )
    following = None
    if len(records) == limit and offset + limit <= MAX_OFFSET:
        kept = {"status": status, "date": date, "since": since, "until": until}
        query = {name: value for name, value in kept.items() if value is not None}
        following = f"{router.prefix}?" + urlencode(
            {**query, "limit": limit, "offset": offset + limit}
        )
    links = url_for(request)
    return UploadPage(
        items=[UploadSummary.of(record, links) for record in records],
        limit=limit,
        offset=offset,
        next=following,
    )


@router.get(
    "/{image_id}",
    responses=error_responses(401, 403, 404, 422, 503),
    summary="One upload's record: status, stage timeline, outputs and their URLs (teachers)",
)
def get_upload(image_id: str, request: Request, _: Operator, service: Uploads) -> UploadRecordView:
    """422 for what cannot be an image id, 404 for one that names no upload."""
    return UploadRecordView.of(service.get(image_id), url_for(request))
