"""The generator ports on Amazon Bedrock: Nova Pro writes and describes images, Nova Canvas
draws, Titan embeds.

All but the describer go through `invoke_model` with each model's native JSON body (the
describer sends image bytes, which `converse` takes as they are, without base64), and all turn
every failure into a `GenerationError` whose sentence says what could not be made and what the
user can do, while the code, model id and a piece of the raw reply go to `detail` for the log.
A language model's reply is prose that usually contains the JSON asked for: it is searched
for the first JSON value of the expected shape, so a ```json fence or a sentence around the
array costs nothing, and anything else is refused rather than half-used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from eduportal.adapters.aws.clients import aws_client, client_config
from eduportal.domain.alt_text import SUGGESTED_ALT_CHARS, ImageContext, ImageOrigin
from eduportal.domain.errors import GenerationError
from eduportal.ports import ImageDescriber, Suggestions

log = logging.getLogger(__name__)

T = TypeVar("T")

NOVA_PRO = "amazon.nova-pro-v1:0"
NOVA_CANVAS = "amazon.nova-canvas-v1:0"
TITAN_EMBED_V2 = "amazon.titan-embed-text-v2:0"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CANVAS_MAX_PROMPT = 1024
_CANVAS_TASK = "TEXT_IMAGE"
CANVAS_MAX_SEED = 2_147_483_646
DETAIL_REPLY_CHARS = 500

_QUESTIONS = "write the questions"
_SUGGESTIONS = "suggest corrections"
_IMAGE = "draw the illustration"
_EMBEDDING = "score the answer"
_DESCRIPTION = "describe the image"

CONVERSE_MAX_IMAGE_BYTES = 3_750_000
"""The Converse API's limit for one image (Nova's documentation: 3.75 MB)."""
_IMAGE_FORMATS = (
    (PNG_SIGNATURE, "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
)
_REFUSALS = ("i'm sorry", "i am sorry", "sorry", "i can't", "i cannot", "i'm unable")
_FILLER = ("image of ", "picture of ", "an image of ", "a picture of ", "alt text: ")

_BUSY = "the AI service is busy right now. Please try again in a minute."
_UNAVAILABLE = "the AI service is unavailable right now. Please try again later."
_ADMIN = "the AI service is not set up correctly. The problem has been logged for an administrator."
_REASONS = {
    "ThrottlingException": _BUSY,
    "ServiceQuotaExceededException": _BUSY,
    "TooManyRequestsException": _BUSY,
    "ModelTimeoutException": "the AI model took too long to answer. Please try again.",
    "ValidationException": (
        "the AI service could not accept this request. Please shorten or rephrase the text."
    ),
    "ModelNotReadyException": _UNAVAILABLE,
    "ServiceUnavailableException": _UNAVAILABLE,
    "InternalServerException": _UNAVAILABLE,
    "ModelErrorException": _UNAVAILABLE,
    "AccessDeniedException": _ADMIN,
    "UnrecognizedClientException": _ADMIN,
    "ExpiredTokenException": _ADMIN,
    "ResourceNotFoundException": _ADMIN,
}


def bedrock_runtime_client(
    region: str, timeout_seconds: float, endpoint_url: str | None = None
) -> Any:
    """Typed `Any` because boto3-stubs ships no bedrock-runtime types in this project's extras.

    The timeout bounds each attempt; image generation takes tens of seconds, so it should be
    generous (settings default: 120 s).
    """
    return aws_client("bedrock-runtime", region, endpoint_url, client_config(timeout_seconds))


class BedrockQuestionGenerator:
    def __init__(self, client: Any, model_id: str = NOVA_PRO, *, temperature: float = 0.3) -> None:
        self.client = client
        self.model_id = model_id
        self.temperature = temperature

    def generate(self, text: str, count: int) -> list[tuple[str, str]]:
        prompt = (
            f"Write exactly {count} questions that test understanding of the text below, "
            "each with a short answer taken from the text.\n"
            'Reply with only a JSON array of objects with the keys "question" and "answer", '
            "and nothing else.\n\n"
            f"<text>\n{text}\n</text>"
        )
        reply = _ask_nova(self.client, self.model_id, prompt, _QUESTIONS, self.temperature)
        pairs = _first_json(reply, "[", _as_pairs) or []
        if len(pairs) < count:
            raise _unusable(_QUESTIONS, self.model_id, reply, f"{count} asked, {len(pairs)} usable")
        return pairs[:count]


class BedrockSuggester:
    def __init__(self, client: Any, model_id: str = NOVA_PRO, *, temperature: float = 0.2) -> None:
        self.client = client
        self.model_id = model_id
        self.temperature = temperature

    def suggest(self, answer: str) -> Suggestions:
        if not answer.strip():
            return Suggestions(corrected="", rephrased="")
        prompt = (
            "A student wrote the answer below. Fix its spelling, capitalization and grammar "
            "without changing its meaning, and also say the same thing in other words.\n"
            'Reply with only a JSON object with the keys "corrected" and "rephrased", '
            "and nothing else.\n\n"
            f"<answer>\n{answer}\n</answer>"
        )
        reply = _ask_nova(self.client, self.model_id, prompt, _SUGGESTIONS, self.temperature)
        suggestions = _first_json(reply, "{", _as_suggestions)
        if suggestions is None:
            raise _unusable(_SUGGESTIONS, self.model_id, reply, "no corrected/rephrased object")
        return suggestions


class BedrockImageGenerator:
    source = "Illustration generated by Amazon Bedrock"

    def __init__(self, client: Any, model_id: str = NOVA_CANVAS, *, cfg_scale: float = 8.0) -> None:
        self.client = client
        self.model_id = model_id
        self.cfg_scale = cfg_scale

    @property
    def fingerprint(self) -> str:
        """The model and the request as `generate` sends it, but for the prompt: the task,
        every setting of `imageGenerationConfig` (a setting added there is in the fingerprint
        at once), how the seed is chosen and where the prompt is cut. Nova Canvas's quality
        and style are not sent, so its defaults apply, and they belong to the model id."""
        request = {
            "taskType": _CANVAS_TASK,
            "imageGenerationConfig": self._config(),
            "seed": f"sha256(prompt)[:8] mod {CANVAS_MAX_SEED + 1}",
            "promptChars": CANVAS_MAX_PROMPT,
        }
        return f"bedrock:{self.model_id}:{json.dumps(request, sort_keys=True)}"

    def generate(self, prompt: str) -> bytes:
        """The seed comes from the prompt, so asking again for one prompt draws the same."""
        seed = int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:8]) % (CANVAS_MAX_SEED + 1)
        body = {
            "taskType": _CANVAS_TASK,
            "textToImageParams": {"text": prompt[:CANVAS_MAX_PROMPT]},
            "imageGenerationConfig": {**self._config(), "seed": seed},
        }
        reply = _invoke(self.client, self.model_id, body, _IMAGE)
        if reply.get("error"):
            raise GenerationError(
                f"We couldn't {_IMAGE}: the AI service declined to draw it. "
                "Please rephrase the text.",
                detail=f"bedrock {self.model_id}: error {_excerpt(reply['error'])}",
            )
        images = reply.get("images")
        encoded = images[0] if isinstance(images, list) and images else None
        if not isinstance(encoded, str):
            raise _unusable(_IMAGE, self.model_id, reply, "no image")
        try:
            png = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise _unusable(_IMAGE, self.model_id, reply, "image is not base64") from None
        if not png.startswith(PNG_SIGNATURE):
            raise _unusable(_IMAGE, self.model_id, png[:16].hex(), "image is not a PNG")
        return png

    def _config(self) -> dict[str, Any]:
        """`imageGenerationConfig` without the seed, which each prompt gets its own of."""
        return {"numberOfImages": 1, "height": 1024, "width": 1024, "cfgScale": self.cfg_scale}


class BedrockImageDescriber:
    """Alt text by a Nova model's image understanding (`converse` with the image's bytes).

    A failure never costs the teacher the image: `describe` logs it and answers the
    `fallback`'s sentence (the offline describer's, from the text and the questions).
    """

    def __init__(
        self,
        client: Any,
        fallback: ImageDescriber,
        model_id: str = NOVA_PRO,
        *,
        temperature: float = 0.2,
    ) -> None:
        self.client = client
        self.fallback = fallback
        self.model_id = model_id
        self.temperature = temperature

    def describe(self, image: bytes, context: ImageContext) -> str:
        try:
            return self.ask(image, context)
        except GenerationError as error:
            log.warning(
                "alt text not described by the model; the offline sentence is used",
                extra={"model_id": self.model_id, "detail": error.detail},
            )
            return self.fallback.describe(image, context)

    def ask(self, image: bytes, context: ImageContext) -> str:
        """The model's sentence; `GenerationError` when it declines or answers no sentence."""
        image_format = _image_format(image)
        if image_format is None or len(image) > CONVERSE_MAX_IMAGE_BYTES:
            raise GenerationError(
                f"We couldn't {_DESCRIPTION}: the AI service does not take this file.",
                detail=f"bedrock {self.model_id}: {len(image)} bytes, format {image_format}",
            )
        try:
            reply = self.client.converse(
                modelId=self.model_id,
                messages=[
                    {
                        "role": "user",
                        "content": [
                            {"image": {"format": image_format, "source": {"bytes": image}}},
                            {"text": _description_prompt(context)},
                        ],
                    }
                ],
                inferenceConfig={"maxTokens": 200, "temperature": self.temperature},
            )
        except (ClientError, BotoCoreError) as exc:
            raise _failed(exc, _DESCRIPTION, self.model_id, "converse") from exc
        if reply.get("stopReason") in ("content_filtered", "guardrail_intervened"):
            raise GenerationError(
                f"We couldn't {_DESCRIPTION}: the AI service declined this image.",
                detail=f"bedrock {self.model_id}: stopReason {reply.get('stopReason')}",
            )
        try:
            blocks = reply["output"]["message"]["content"]
            text = "".join(block["text"] for block in blocks if "text" in block)
        except (KeyError, TypeError):
            raise _unusable(_DESCRIPTION, self.model_id, reply, "no message text") from None
        sentence = _sentence(text)
        if sentence is None:
            raise _unusable(_DESCRIPTION, self.model_id, text, "no alt text sentence")
        return sentence


class BedrockEmbedder:
    def __init__(
        self, client: Any, model_id: str = TITAN_EMBED_V2, *, dimensions: int = 512
    ) -> None:
        self.client = client
        self.model_id = model_id
        self.dimensions = dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Blank text gets the zero vector, as offline: Titan refuses it, and it means nothing."""
        return [
            self._embed_one(text) if text.strip() else [0.0] * self.dimensions for text in texts
        ]

    def _embed_one(self, text: str) -> list[float]:
        body = {"inputText": text, "dimensions": self.dimensions, "normalize": True}
        reply = _invoke(self.client, self.model_id, body, _EMBEDDING)
        vector = reply.get("embedding")
        if (
            not isinstance(vector, list)
            or len(vector) != self.dimensions
            or not all(isinstance(value, int | float) for value in vector)
        ):
            raise _unusable(_EMBEDDING, self.model_id, reply, "no embedding of that size")
        return [float(value) for value in vector]


def _invoke(client: Any, model_id: str, body: dict[str, Any], purpose: str) -> dict[str, Any]:
    try:
        response = client.invoke_model(
            modelId=model_id,
            contentType="application/json",
            accept="application/json",
            body=json.dumps(body),
        )
        raw = response["body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise _failed(exc, purpose, model_id, "invoke_model") from exc
    try:
        reply = json.loads(raw)
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        raise _unusable(purpose, model_id, raw, "reply is not a JSON object")
    return reply


def _failed(
    exc: ClientError | BotoCoreError, purpose: str, model_id: str, operation: str
) -> GenerationError:
    """A call that failed, in a sentence for the user; the code and message for the log."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        return GenerationError(
            f"We couldn't {purpose}: "
            + _REASONS.get(code, "the AI service failed. Please try again."),
            detail=f"bedrock {operation} {model_id}: {code}: {error.get('Message', '')}",
        )
    return GenerationError(
        f"We couldn't {purpose}: {_transport_reason(exc)}",
        detail=f"bedrock {operation} {model_id}: {type(exc).__name__}: {exc}",
    )


def _transport_reason(exc: BotoCoreError) -> str:
    if isinstance(exc, NoCredentialsError):
        return _ADMIN
    if isinstance(exc, ReadTimeoutError):
        return "the AI service took too long to answer. Please try again."
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        return "the AI service could not be reached. Please try again in a moment."
    return "the AI service failed. Please try again."


def _ask_nova(client: Any, model_id: str, prompt: str, purpose: str, temperature: float) -> str:
    """One user turn to a Nova text model; the reply's text blocks joined."""
    body = {
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": 2048, "temperature": temperature},
    }
    reply = _invoke(client, model_id, body, purpose)
    if reply.get("stopReason") == "content_filtered":
        raise GenerationError(
            f"We couldn't {purpose}: the AI service declined this text. Please rephrase it.",
            detail=f"bedrock {model_id}: stopReason content_filtered",
        )
    try:
        blocks = reply["output"]["message"]["content"]
        return "".join(block["text"] for block in blocks if "text" in block)
    except (KeyError, TypeError):
        raise _unusable(purpose, model_id, reply, "no message text") from None


def _image_format(image: bytes) -> str | None:
    """Converse's name for the image's format, from its first bytes; None for another."""
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "webp"
    return next((name for magic, name in _IMAGE_FORMATS if image.startswith(magic)), None)


def _description_prompt(context: ImageContext) -> str:
    made = (
        "drawn from the text below"
        if context.origin is ImageOrigin.GENERATED
        else "chosen by the teacher"
    )
    asked = "; ".join(answer for answer in context.answers if answer.strip())
    return (
        f'This picture illustrates a school assignment titled "{context.title}", {made}. '
        "Write its alt text for a student using a screen reader: one sentence of at most "
        f"{SUGGESTED_ALT_CHARS} characters saying what the picture shows and why it matters "
        'for the assignment. Do not begin with "Image of" or "Picture of". '
        "Reply with only the sentence.\n\n"
        f"<text>\n{context.prompt[:4000]}\n</text>\n"
        f"<answers the questions ask for>\n{asked[:1000]}\n</answers the questions ask for>"
    )


def _sentence(reply: str) -> str | None:
    """The reply as alt text: its first line, unquoted, without "Image of"; None for a
    refusal, an empty reply or one too long to be a sentence (past twice the bound asked)."""
    lines = [line for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return None
    text = " ".join(lines[0].split()).strip("\"'“”")
    for filler in _FILLER:
        if text.lower().startswith(filler):
            text = text[len(filler) :]
    if not text or text.lower().startswith(_REFUSALS) or len(text) > 2 * SUGGESTED_ALT_CHARS:
        return None
    if len(text) > SUGGESTED_ALT_CHARS:
        text = text[:SUGGESTED_ALT_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "."
    return text[0].upper() + text[1:]


def _first_json(reply: str, opener: str, shape: Callable[[Any], T | None]) -> T | None:
    """The first JSON value in `reply`, opening with `opener`, that `shape` accepts."""
    decoder = json.JSONDecoder()
    start = reply.find(opener)
    while start != -1:
        try:
            value = decoder.raw_decode(reply, start)[0]
        except ValueError:
            value = None
        shaped = shape(value)
        if shaped is not None:
            return shaped
        start = reply.find(opener, start + 1)
    return None


def _as_pairs(value: Any) -> list[tuple[str, str]] | None:
    if not isinstance(value, list) or not value:
        return None
    pairs = [
        (item["question"].strip(), item["answer"].strip())
        for item in value
        if isinstance(item, dict)
        and isinstance(item.get("question"), str)
        and isinstance(item.get("answer"), str)
    ]
    return [pair for pair in pairs if all(pair)] if len(pairs) == len(value) else None


def _as_suggestions(value: Any) -> Suggestions | None:
    if not isinstance(value, dict):
        return None
    corrected, rephrased = value.get("corrected"), value.get("rephrased")
    if not isinstance(corrected, str) or not isinstance(rephrased, str) or not corrected.strip():
        return None
    return Suggestions(corrected=corrected.strip(), rephrased=rephrased.strip() or corrected)


def _unusable(purpose: str, model_id: str, reply: object, problem: str) -> GenerationError:
    return GenerationError(
        f"We couldn't {purpose}: the AI service's answer was not usable. Please try again.",
        detail=f"bedrock {model_id}: {problem}; reply {_excerpt(reply)}",
    )


def _excerpt(reply: object) -> str:
    """Enough of a reply to diagnose it in the log, never a megabyte of base64."""
    text = reply if isinstance(reply, str) else repr(reply)
    if len(text) <= DETAIL_REPLY_CHARS:
        return repr(text) if isinstance(reply, str) else text
    return f"{text[:DETAIL_REPLY_CHARS]!r}... ({len(text)} chars)"
