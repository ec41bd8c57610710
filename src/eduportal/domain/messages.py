"""Queue message bodies: JSON objects, encoded one way whichever queue carries them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eduportal.domain.errors import ValidationError


def encoded_body(body: Mapping[str, Any]) -> str:
    """Compact JSON; NaN and infinities refused, since other JSON readers reject them."""
    try:
        return json.dumps(dict(body), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(detail=f"a queue message body must be a JSON object: {exc}") from exc
