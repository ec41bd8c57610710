"""Bedrock replies in the shapes botocore hands over, for tests that stub bedrock-runtime.

No local server speaks bedrock-runtime, so the Bedrock adapters are tested with botocore's
`Stubber` (ARCHITECTURE.md, "Testing"); these build the `invoke_model` responses it returns.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from botocore.response import StreamingBody


def reply(payload: object) -> dict[str, Any]:
    """invoke_model's response as botocore hands it over: the body is a stream of JSON (or of
    the raw bytes given, for replies that are not JSON)."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


def nova(text: str, stop_reason: str = "end_turn") -> dict[str, Any]:
    """A Nova (Converse-style) reply whose one assistant message is `text`."""
    return reply(
        {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": stop_reason,
            "usage": {"inputTokens": 120, "outputTokens": 80, "totalTokens": 200},
        }
    )


def canvas(image: bytes) -> dict[str, Any]:
    """A Nova Canvas reply carrying one image."""
    return reply({"images": [base64.b64encode(image).decode()], "error": None})


def titan(embedding: list[float]) -> dict[str, Any]:
    """A Titan text-embeddings reply."""
    return reply({"embedding": embedding, "inputTextTokenCount": 2})
