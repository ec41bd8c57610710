"""Queue message bodies: JSON objects, encoded one way whichever queue carries them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eduportal.domain.errors import ValidationError
from eduportal.domain.keys import UPLOADS_PREFIX, image_id_for_key, validate_key


def encoded_body(body: Mapping[str, Any]) -> str:
    """Compact JSON; NaN and infinities refused, since other JSON readers reject them."""
    try:
        return json.dumps(dict(body), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(detail=f"a queue message body must be a JSON object: {exc}") from exc


def upload_key_in(body: Mapping[str, Any]) -> str:
    """The upload's key from either message the processing queue carries: an "Object
    Created" event, or a job set aside in the dead-letter queue and redriven."""
    if "detail" in body:
        key = (body.get("detail") or {}).get("object", {}).get("key")
    else:
        key = body.get("key")
    if not isinstance(key, str) or not key.startswith(UPLOADS_PREFIX):
        raise ValidationError(
            "This message names no upload.", detail=f"queue message without an upload key: {body}"
        )
    return validate_key(key)


def image_id_in(body: Mapping[str, Any]) -> str | None:
    """The image a processing-queue message is about; None for a message naming no upload
    (a dead letter can be anything that was sent)."""
    try:
        return image_id_for_key(upload_key_in(body))
    except ValidationError:
        return None
