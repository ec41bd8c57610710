"""The Bedrock adapters against botocore's Stubber: the real client, request validation and
response shapes, with no network. No local server speaks bedrock-runtime, so this is the one
place the suite stubs an AWS API (ARCHITECTURE.md, "Testing")."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from eduportal.adapters.aws.bedrock import (
    BedrockEmbedder,
    BedrockImageDescriber,
    BedrockImageGenerator,
    BedrockQuestionGenerator,
    BedrockSuggester,
    bedrock_runtime_client,
)
from eduportal.adapters.local.offline_describer import OfflineImageDescriber
from eduportal.config import load_settings
from eduportal.domain.alt_text import ImageContext
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import GenerationError
from eduportal.domain.grading import Score
from eduportal.domain.key_term_check import FLAG_PENALTY
from eduportal.ports import ImageGenerator, Suggestions
from eduportal.services.scoring import EmbeddingScorer, KeyTermScorer
from eduportal.wiring import build_generators
from tests.support.bedrock import canvas, nova, reply, titan
from tests.support.network import free_port

NOVA_PRO = "amazon.nova-pro-v1:0"
NOVA_CANVAS = "amazon.nova-canvas-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
TEXT = "The mitochondrion is the powerhouse of the cell. It produces ATP."
PAIRS = [{"question": f"Question {n}?", "answer": f"Answer {n}"} for n in range(1, 6)]
EXPECTED_PAIRS = [(f"Question {n}?", f"Answer {n}") for n in range(1, 6)]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


class JsonBody:
    """Equal to a request body whose JSON is `expected` (any JSON when None); keeps it."""

    def __init__(self, expected: dict[str, Any] | None = None) -> None:
        self.expected = expected
        self.seen: Any = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str | bytes):
            return False
        self.seen = json.loads(other)
        return self.expected is None or self.seen == self.expected

    __hash__ = None  # type: ignore[assignment]


def expect(model_id: str, body: JsonBody) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "contentType": "application/json",
        "accept": "application/json",
        "body": body,
    }


@pytest.fixture
def client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


# --- questions --------------------------------------------------------------------------------


def test_questions_request_is_one_nova_user_turn_with_the_text(
    client: Any, stubber: Stubber
) -> None:
    body = JsonBody()
    stubber.add_response("invoke_model", nova(json.dumps(PAIRS)), expect(NOVA_PRO, body))

    assert BedrockQuestionGenerator(client).generate(TEXT, 5) == EXPECTED_PAIRS

    assert set(body.seen) == {"messages", "inferenceConfig"}
    (message,) = body.seen["messages"]
    assert message["role"] == "user"
    (content,) = message["content"]
    assert TEXT in content["text"] and "exactly 5 questions" in content["text"]
    assert '"question"' in content["text"] and '"answer"' in content["text"]
    config = body.seen["inferenceConfig"]
    assert config["maxTokens"] >= 1000 and 0 <= config["temperature"] <= 1


def test_the_model_id_is_configurable(client: Any, stubber: Stubber) -> None:
    stubber.add_response(
        "invoke_model", nova(json.dumps(PAIRS)), expect("us.amazon.nova-lite-v1:0", JsonBody())
    )
    generator = BedrockQuestionGenerator(client, "us.amazon.nova-lite-v1:0")
    assert generator.generate(TEXT, 5) == EXPECTED_PAIRS


@pytest.mark.parametrize(
    "text",
    [
        f"```json\n{json.dumps(PAIRS, indent=2)}\n```",
        f"Here are the questions:\n\n{json.dumps(PAIRS)}\n\nI hope these help!",
        f"Note [1]: based on the text.\n```\n{json.dumps(PAIRS)}\n```",
        json.dumps({"questions": PAIRS}),
        json.dumps([*PAIRS, {"question": "Extra?", "answer": "extra"}]),
    ],
    ids=["fenced", "prose-around", "bracket-before", "wrapped-object", "one-too-many"],
)
def test_a_reply_with_the_array_somewhere_in_it_is_parsed(
    client: Any, stubber: Stubber, text: str
) -> None:
    stubber.add_response("invoke_model", nova(text))
    assert BedrockQuestionGenerator(client).generate(TEXT, 5) == EXPECTED_PAIRS


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, I can't help with that.",
        json.dumps(PAIRS[:3]),
        json.dumps(["Question 1?", "Question 2?"]),
        json.dumps([{"q": "Question 1?", "a": "Answer 1"}] * 5),
        json.dumps(PAIRS)[:-20],
    ],
    ids=["prose", "too-few", "strings", "wrong-keys", "truncated"],
)
def test_an_unusable_reply_is_a_generation_error(client: Any, stubber: Stubber, text: str) -> None:
    stubber.add_response("invoke_model", nova(text))
    with pytest.raises(GenerationError) as caught:
        BedrockQuestionGenerator(client).generate(TEXT, 5)
    assert caught.value.user_message == (
        "We couldn't write the questions: the AI service's answer was not usable. Please try again."
    )
    assert text[:40] in caught.value.detail and NOVA_PRO in caught.value.detail


def test_the_raw_reply_in_the_detail_is_truncated(client: Any, stubber: Stubber) -> None:
    stubber.add_response("invoke_model", nova("no json here " * 1000))
    with pytest.raises(GenerationError) as caught:
        BedrockQuestionGenerator(client).generate(TEXT, 5)
    assert len(caught.value.detail) < 1000 and "13000 chars" in caught.value.detail


def test_a_filtered_reply_asks_to_rephrase(client: Any, stubber: Stubber) -> None:
    stubber.add_response("invoke_model", nova("", stop_reason="content_filtered"))
    with pytest.raises(GenerationError, match="content_filtered") as caught:
        BedrockQuestionGenerator(client).generate(TEXT, 5)
    assert "rephrase" in caught.value.user_message


# --- errors -----------------------------------------------------------------------------------


# Property 25: Error message clarity (a plain sentence for the user, the code for the log)
@pytest.mark.parametrize(
    ("code", "status", "sentence"),
    [
        ("ThrottlingException", 429, "busy right now"),
        ("ServiceQuotaExceededException", 429, "busy right now"),
        ("ModelTimeoutException", 408, "took too long"),
        ("ValidationException", 400, "shorten or rephrase"),
        ("ServiceUnavailableException", 503, "unavailable right now"),
        ("AccessDeniedException", 403, "logged for an administrator"),
        ("ResourceNotFoundException", 404, "logged for an administrator"),
        ("SomethingNewException", 500, "failed. Please try again"),
    ],
)
def test_service_errors_become_plain_sentences(
    client: Any, stubber: Stubber, code: str, status: int, sentence: str
) -> None:
    stubber.add_client_error(
        "invoke_model",
        service_error_code=code,
        service_message="technical detail from the service",
        http_status_code=status,
    )
    with correlation_scope("cid-bedrock"), pytest.raises(GenerationError) as caught:
        BedrockQuestionGenerator(client).generate(TEXT, 5)
    error = caught.value
    assert error.user_message.startswith("We couldn't write the questions: ")
    assert sentence in error.user_message
    for jargon in ("Exception", "technical", "bedrock", "nova", str(status)):
        assert jargon not in error.user_message
    assert code in error.detail and "technical detail from the service" in error.detail
    assert error.correlation_id == "cid-bedrock"


def test_an_unreachable_service_is_a_plain_sentence() -> None:
    closed_port = free_port()  # free, so nothing listens there
    client = bedrock_runtime_client(
        "us-east-1", 2.0, endpoint_url=f"http://127.0.0.1:{closed_port}"
    )
    with pytest.raises(GenerationError) as caught:
        BedrockEmbedder(client).embed(["anything"])
    assert caught.value.user_message == (
        "We couldn't score the answer: the AI service could not be reached. "
        "Please try again in a moment."
    )
    assert "EndpointConnectionError" in caught.value.detail


def test_the_factory_uses_the_shared_retry_and_timeout_settings() -> None:
    client = bedrock_runtime_client("eu-west-1", 45.0)
    assert client.meta.service_model.service_name == "bedrock-runtime"
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert client.meta.config.read_timeout == 45.0


# --- images -----------------------------------------------------------------------------------


def canvas_body(prompt: str, seed: int) -> dict[str, Any]:
    return {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": prompt},
        "imageGenerationConfig": {
            "numberOfImages": 1,
            "height": 1024,
            "width": 1024,
            "cfgScale": 8.0,
            "seed": seed,
        },
    }


def test_the_image_request_is_a_nova_canvas_text_to_image_task(
    client: Any, stubber: Stubber
) -> None:
    body = JsonBody()
    stubber.add_response("invoke_model", canvas(PNG), expect(NOVA_CANVAS, body))

    assert BedrockImageGenerator(client).generate("A cell, cartoon style") == PNG

    seed = body.seen["imageGenerationConfig"]["seed"]
    assert isinstance(seed, int) and 0 <= seed <= 2_147_483_646
    assert body.seen == canvas_body("A cell, cartoon style", seed)


def test_the_fingerprint_names_the_model_and_every_setting_the_request_sends(
    client: Any, stubber: Stubber
) -> None:
    """What identifies a picture in the generation cache, but the prompt: each setting of
    the request's `imageGenerationConfig` (the seed is the prompt's), the task, the cut."""
    body = JsonBody()
    stubber.add_response("invoke_model", canvas(PNG), expect(NOVA_CANVAS, body))
    generator = BedrockImageGenerator(client, cfg_scale=6.5)
    generator.generate("A cell")
    model, _, request = generator.fingerprint.removeprefix("bedrock:").partition(":{")
    named = json.loads("{" + request)
    assert model == NOVA_CANVAS
    assert named["taskType"] == body.seen["taskType"]
    sent = {k: v for k, v in body.seen["imageGenerationConfig"].items() if k != "seed"}
    assert named["imageGenerationConfig"] == sent
    assert "prompt" in named["seed"] and named["promptChars"] == 1024
    others = {
        BedrockImageGenerator(client, cfg_scale=8.0).fingerprint,
        BedrockImageGenerator(client, "amazon.nova-canvas-v2:0", cfg_scale=6.5).fingerprint,
    }
    assert generator.fingerprint not in others and len(others) == 2


def test_the_image_generator_names_bedrock_under_its_pictures(client: Any) -> None:
    generator: ImageGenerator = BedrockImageGenerator(client)
    assert generator.source == "Illustration generated by Amazon Bedrock"


def test_one_prompt_keeps_its_seed_and_long_prompts_are_cut_to_1024_characters(
    client: Any, stubber: Stubber
) -> None:
    prompt = "A very detailed cell. " * 100
    first, second = JsonBody(), JsonBody()
    for body in (first, second):
        stubber.add_response("invoke_model", canvas(PNG), expect(NOVA_CANVAS, body))
    generator = BedrockImageGenerator(client)
    generator.generate(prompt)
    generator.generate(prompt)
    assert first.seen == second.seen
    assert first.seen["textToImageParams"]["text"] == prompt[:1024]


@pytest.mark.parametrize(
    ("payload", "sentence"),
    [
        ({"images": [], "error": "1 of 1 images blocked by content filters"}, "declined"),
        ({"images": [], "error": None}, "not usable"),
        ({"images": ["not base64!"], "error": None}, "not usable"),
        ({"images": [base64.b64encode(b"GIF89a....").decode()], "error": None}, "not usable"),
        (b"<html>gateway error</html>", "not usable"),
    ],
    ids=["error-field", "no-image", "not-base64", "not-png", "not-json"],
)
def test_an_image_reply_without_a_png_is_a_generation_error(
    client: Any, stubber: Stubber, payload: object, sentence: str
) -> None:
    stubber.add_response("invoke_model", reply(payload))
    with pytest.raises(GenerationError) as caught:
        BedrockImageGenerator(client).generate("A cell")
    assert caught.value.user_message.startswith("We couldn't draw the illustration: ")
    assert sentence in caught.value.user_message
    assert NOVA_CANVAS in caught.value.detail


# --- embeddings -------------------------------------------------------------------------------


def test_each_text_is_one_titan_invocation(client: Any, stubber: Stubber) -> None:
    for text, value in (("first answer", 0.1), ("second answer", 0.2)):
        body = JsonBody({"inputText": text, "dimensions": 512, "normalize": True})
        stubber.add_response("invoke_model", titan([value] * 512), expect(TITAN, body))

    vectors = BedrockEmbedder(client).embed(["first answer", "second answer"])

    assert vectors == [[0.1] * 512, [0.2] * 512]


def test_blank_text_is_the_zero_vector_without_a_call(client: Any, stubber: Stubber) -> None:
    assert BedrockEmbedder(client, dimensions=256).embed(["  "]) == [[0.0] * 256]


@pytest.mark.parametrize(
    "payload",
    [{"embedding": [0.1] * 10}, {"embedding": ["x"] * 512}, {"message": "no embedding"}],
)
def test_an_embedding_of_the_wrong_shape_is_a_generation_error(
    client: Any, stubber: Stubber, payload: dict[str, Any]
) -> None:
    stubber.add_response("invoke_model", reply(payload))
    with pytest.raises(GenerationError, match=TITAN) as caught:
        BedrockEmbedder(client).embed(["an answer"])
    assert caught.value.user_message.startswith("We couldn't score the answer: ")


def test_titan_scores_are_calibrated_and_checked_as_offline_ones_are() -> None:
    """The wired Titan scorer: c0 from the settings maps to 0, and a wrong near-copy is
    flagged and lowered by the same key-term check as the offline model's."""
    scorer = build_generators(
        load_settings(generators="bedrock", titan_unrelated_cosine=0.2)
    ).scorer
    assert isinstance(scorer, KeyTermScorer) and isinstance(scorer.scorer, EmbeddingScorer)
    titan_embedder = scorer.scorer.embedder
    assert isinstance(titan_embedder, BedrockEmbedder)
    reference = "Plants release oxygen during photosynthesis."
    with Stubber(titan_embedder.client) as stub:
        stub.add_response("invoke_model", titan([1.0] + [0.0] * 511))
        stub.add_response("invoke_model", titan([0.6, 0.8] + [0.0] * 510))  # cosine 0.6
        score = scorer.score(reference, "Plants capture oxygen during photosynthesis.")
        stub.assert_no_pending_responses()
    assert score == Score(
        round(50.0 * (1 - FLAG_PENALTY), 1),  # (0.6 - 0.2) / (1 - 0.2) = 50 before the flag
        "titan",
        ("needs a look: 'release' became 'capture'",),
    )


# --- suggestions ------------------------------------------------------------------------------


def test_suggestions_are_asked_of_nova_and_parsed_from_prose(client: Any, stubber: Stubber) -> None:
    body = JsonBody()
    answer = {"corrected": "I think it is the cell.", "rephrased": "In my view, the cell."}
    text = f"Sure! Here you go:\n```json\n{json.dumps(answer)}\n```"
    stubber.add_response("invoke_model", nova(text), expect(NOVA_PRO, body))

    suggestions = BedrockSuggester(client).suggest("i think its teh cell")

    assert suggestions == Suggestions("I think it is the cell.", "In my view, the cell.")
    assert "i think its teh cell" in body.seen["messages"][0]["content"][0]["text"]


def test_an_unusable_suggestion_is_a_generation_error(client: Any, stubber: Stubber) -> None:
    stubber.add_response("invoke_model", nova('{"fixed": "I think."}'))
    with pytest.raises(GenerationError) as caught:
        BedrockSuggester(client).suggest("i think")
    assert caught.value.user_message.startswith("We couldn't suggest corrections: ")
    assert '{"fixed"' in caught.value.detail


def test_a_blank_answer_needs_no_call(client: Any, stubber: Stubber) -> None:
    assert BedrockSuggester(client).suggest(" ") == Suggestions("", "")


# --- alt text ---------------------------------------------------------------------------------


def converse_reply(text: str, stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 900, "outputTokens": 30, "totalTokens": 930},
        "metrics": {"latencyMs": 800},
    }


ALT_CONTEXT = ImageContext("Cells", TEXT, ("Mitochondria", "ATP"))
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


def describer(client: Any) -> BedrockImageDescriber:
    return BedrockImageDescriber(client, OfflineImageDescriber(posters=False))


def test_alt_text_is_asked_of_nova_with_the_image_bytes_and_the_text(
    client: Any, stubber: Stubber
) -> None:
    expected = {
        "modelId": NOVA_PRO,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"image": {"format": "webp", "source": {"bytes": WEBP}}},
                    {"text": ANY},
                ],
            }
        ],
        "inferenceConfig": ANY,
    }
    stubber.add_response(
        "converse",
        converse_reply('"Image of a mitochondrion cut open, its folds making ATP."\n'),
        expected,
    )
    assert describer(client).ask(WEBP, ALT_CONTEXT) == (
        "A mitochondrion cut open, its folds making ATP."
    )


def test_the_prompt_names_the_title_text_and_answers(client: Any, stubber: Stubber) -> None:
    messages = Seen()
    stubber.add_response(
        "converse",
        converse_reply("Cells dividing under a microscope."),
        {"modelId": NOVA_PRO, "messages": messages, "inferenceConfig": ANY},
    )
    describer(client).ask(PNG, ALT_CONTEXT)
    (message,) = messages.seen
    image, prompt = message["content"]
    assert image["image"]["format"] == "png"
    assert '"Cells"' in prompt["text"] and TEXT in prompt["text"]
    assert "Mitochondria; ATP" in prompt["text"] and "150 characters" in prompt["text"]


class Seen:
    """Equal to any request parameter; keeps it."""

    seen: Any = None

    def __eq__(self, other: object) -> bool:
        self.seen = other
        return True

    __hash__ = None  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("reply", "stop_reason"),
    [
        ("I'm sorry, I can't describe this image.", "end_turn"),
        ("", "end_turn"),
        ("A cell. " * 60, "end_turn"),
        ("A mitochondrion.", "content_filtered"),
    ],
    ids=["refusal", "empty", "rambling", "filtered"],
)
def test_a_refusal_or_garbage_is_a_generation_error_with_a_sentence(
    client: Any, stubber: Stubber, reply: str, stop_reason: str
) -> None:
    stubber.add_response("converse", converse_reply(reply, stop_reason))
    with pytest.raises(GenerationError) as caught:
        describer(client).ask(PNG, ALT_CONTEXT)
    assert caught.value.user_message.startswith("We couldn't describe the image: ")
    assert "sorry" not in caught.value.user_message.lower()


def test_a_failed_call_falls_back_to_the_offline_sentence_and_is_logged(
    client: Any, stubber: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    stubber.add_client_error("converse", "ThrottlingException", "Too many requests")
    sentence = describer(client).describe(PNG, ALT_CONTEXT)
    assert sentence == OfflineImageDescriber(posters=False).describe(PNG, ALT_CONTEXT)
    (record,) = [r for r in caplog.records if "alt text not described" in r.getMessage()]
    assert "ThrottlingException" in str(record.__dict__.get("detail"))


def test_a_file_converse_does_not_take_is_described_offline_without_a_call(
    client: Any, stubber: Stubber
) -> None:
    too_big = PNG + b"\x00" * 3_750_000
    for image in (b"BM not a format converse takes", too_big):
        with pytest.raises(GenerationError):
            describer(client).ask(image, ALT_CONTEXT)
        assert describer(client).describe(image, ALT_CONTEXT).endswith("illustrating “Cells”.")


def test_bedrock_settings_wire_the_nova_describer_over_the_text_model() -> None:
    generators = build_generators(
        load_settings(generators="bedrock", bedrock_text_model_id="us.amazon.nova-lite-v1:0")
    )
    assert isinstance(generators.describer, BedrockImageDescriber)
    assert generators.describer.model_id == "us.amazon.nova-lite-v1:0"
    offline = build_generators(load_settings(generators="offline")).describer
    assert isinstance(offline, OfflineImageDescriber) and offline.posters
