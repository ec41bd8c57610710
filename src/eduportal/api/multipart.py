"""An uploaded file read from a multipart body by hand, after the caller was authorized.

FastAPI parses a form declared as a `File` parameter before it runs any dependency; the routes
that take a file read it here instead, once the bearer token and the caller's right to upload
have been checked, so a refused upload is never parsed. The body limit middleware has already
bounded what can arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from starlette.datastructures import UploadFile
from starlette.requests import Request

from eduportal.domain.errors import ValidationError

FILE_FIELD_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "PNG, JPEG, WebP, GIF, BMP, TIFF or AVIF",
                        }
                    },
                }
            }
        },
    }
}
"""The request body's OpenAPI entry (`openapi_extra`), which FastAPI cannot derive from a
route that reads its form by hand."""


@dataclass(frozen=True, slots=True)
class FormFile:
    data: bytes
    name: str
    """As the client named it; empty when it did not."""
    content_type: str | None
    """As the client declared it: a claim, never what decides whether it is an image."""


async def read_file_field(request: Request) -> FormFile:
    """The form's `file` field; a `ValidationError` with a sentence when there is none (a
    malformed multipart body is Starlette's 400)."""
    async with request.form(max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationError("Send the image as a multipart form field named 'file'.")
        return FormFile(await upload.read(), upload.filename or "", upload.content_type)
