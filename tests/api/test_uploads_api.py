"""Uploads into the processing pipeline over HTTP: taken at once, processed by a worker run in
the test, followed and listed by status and upload day, refused with a sentence, and never
recorded when the store is down (pipeline requirement 6.4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from eduportal.config import load_settings
from eduportal.domain.accounts import Role
from eduportal.wiring import build
from tests.support.api_server import Api, running_api
from tests.support.flaky_store import FlakyStore
from tests.support.images import gradient, png
from tests.support.network import free_port
from tests.support.portal_api import assert_error
from tests.support.texts import PASSWORD

STAGES = ["validate", "extract_metadata", "resize", "thumbnails", "archive"]


def upload(client: httpx.Client, data: bytes, name: str, content_type: str) -> dict[str, Any]:
    """An upload the API must take (202); returns the record summary."""
    response = client.post("/api/uploads", files={"file": (name, data, content_type)})
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == body["links"]["self"]
    return body


def picture(width: int = 640, height: int = 480) -> bytes:
    return png(gradient(width, height))


def processed(api: Api) -> None:
    """What a worker beside the API does, here in the test, until the queue is empty."""
    api.container.worker().run(drain=True)


def record(client: httpx.Client, image_id: str) -> dict[str, Any]:
    response = client.get(f"/api/uploads/{image_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def moment(text: str) -> datetime:
    """An ISO 8601 time as the API writes it: in UTC, with its zone."""
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() == timedelta(0), text
    return parsed


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_an_upload_is_taken_at_once_and_a_worker_completes_it(
    api: Api, teacher: httpx.Client
) -> None:
    summary = upload(teacher, picture(1600, 1200), "field trip.png", "image/png")
    image_id = summary["image_id"]
    assert summary["status"] == "UPLOADED"
    assert summary["key"] == f"uploads/{image_id}/field-trip.png"
    assert summary["file_name"] == "field-trip.png"
    assert summary["links"] == {"self": f"/api/uploads/{image_id}", "thumbnail": None}
    assert record(teacher, image_id)["status"] == "UPLOADED"  # nothing processes it yet

    processed(api)
    done = record(teacher, image_id)
    assert (done["status"], done["run"], done["reason"], done["failure"]) == (
        "COMPLETED",
        1,
        None,
        None,
    )
    assert (done["content_type"], done["upload_date"]) == ("image/png", today())
    uploaded = moment(done["uploaded_at"])
    assert uploaded <= moment(done["updated_at"])
    assert [(s["stage"], s["outcome"]) for s in done["stages"]] == [
        (stage, "completed") for stage in STAGES
    ]
    for stage in done["stages"]:
        started, finished = moment(stage["started_at"]), moment(stage["finished_at"])
        assert uploaded <= started <= finished
        assert stage["seconds"] == pytest.approx((finished - started).total_seconds(), abs=2e-3)
    assert done["processed"]["key"] == f"processed/{image_id}.webp"
    assert [t["key"] for t in done["thumbnails"]] == [
        f"thumbnails/{image_id}/128.webp",
        f"thumbnails/{image_id}/256.webp",
    ]
    assert done["links"]["thumbnail"] == done["thumbnails"][0]["url"]
    for output in (done["processed"], *done["thumbnails"]):
        assert output["url"] == f"{api.url}/images/{output['key']}"
        served = teacher.get(output["url"])
        assert (served.status_code, served.headers["content-type"]) == (200, "image/webp")
    assert done["archive"] == {"key": f"archive/{image_id}/field-trip.png", "url": None}
    assert done["metadata"]["width"] == 1600 and done["metadata"]["format"] == "PNG"


def test_a_text_file_is_taken_then_rejected_with_its_reason(
    api: Api, teacher: httpx.Client
) -> None:
    summary = upload(teacher, b"Notes for Monday: bring the worksheets.", "notes.png", "image/png")
    assert summary["status"] == "UPLOADED"  # what it is, the pipeline decides from the bytes
    processed(api)
    rejected = record(teacher, summary["image_id"])
    assert rejected["status"] == "REJECTED"
    assert "not an image we can read" in rejected["reason"]
    assert [(s["stage"], s["outcome"]) for s in rejected["stages"]] == [("validate", "rejected")]
    assert rejected["stages"][0]["message"] == rejected["reason"]
    assert (rejected["processed"], rejected["thumbnails"], rejected["failure"]) == (None, [], None)


def every_page(client: httpx.Client, first: str) -> list[list[dict[str, Any]]]:
    """Each page's items, following `next` from `first`."""
    pages: list[list[dict[str, Any]]] = []
    address: str | None = first
    while address is not None:
        response = client.get(address)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        address = body["next"]
        assert len(pages) < 50, "next never ends"
    return pages


def test_records_are_listed_by_status_and_day_newest_first_a_page_at_a_time(
    api: Api, teacher: httpx.Client
) -> None:
    ours = [upload(teacher, picture(), f"list-{n}.png", "image/png")["image_id"] for n in range(3)]
    waiting = teacher.get("/api/uploads", params={"status": "uploaded", "limit": 200}).json()
    assert set(ours) <= {item["image_id"] for item in waiting["items"]}
    processed(api)

    pages = every_page(teacher, f"/api/uploads?status=COMPLETED&date={today()}&limit=2")
    assert all(len(page) == 2 for page in pages[:-1]) and len(pages[-1]) <= 2
    items = [item for page in pages for item in page]
    ids = [item["image_id"] for item in items]
    assert len(ids) == len(set(ids))  # no record on two pages
    assert {item["status"] for item in items} == {"COMPLETED"}
    assert [i for i in ids if i in ours] == list(reversed(ours))  # newest first
    uploaded = [moment(item["uploaded_at"]) for item in items]
    assert uploaded == sorted(uploaded, reverse=True)
    first = teacher.get("/api/uploads", params={"status": "COMPLETED", "limit": 2}).json()
    assert first["next"] == "/api/uploads?status=COMPLETED&limit=2&offset=2"

    yesterday = (date.fromisoformat(today()) - timedelta(days=1)).isoformat()
    for params in ({"date": "2001-09-11"}, {"until": yesterday}):
        empty = teacher.get("/api/uploads", params=params).json()
        assert (empty["items"], empty["next"]) == ([], None)
    since = teacher.get("/api/uploads", params={"since": yesterday, "limit": 200}).json()
    assert set(ours) <= {item["image_id"] for item in since["items"]}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"status": "DONE"}, "'DONE' is not a status: use one of UPLOADED, PROCESSING"),
        ({"date": "2025-13-01"}, "'2025-13-01' is not a date: write it as YYYY-MM-DD."),
        ({"date": "yesterday"}, "'yesterday' is not a date"),
        ({"date": "2025-01-01", "since": "2024-12-01"}, "Give one date, or a range"),
        ({"since": "2025-02-01", "until": "2025-01-01"}, "The range ends (2025-01-01) before"),
        ({"since": "2023-01-01", "until": "2025-01-01"}, "at most 366 days at a time"),
        ({"limit": 0}, "The request is not valid: query.limit"),
        ({"limit": 201}, "The request is not valid: query.limit"),
        ({"offset": -1}, "The request is not valid: query.offset"),
        ({"offset": 10**30}, "The request is not valid: query.offset"),
    ],
)
def test_a_listing_asked_wrongly_says_what_is_wrong(
    teacher: httpx.Client, params: dict[str, Any], words: str
) -> None:
    assert words in assert_error(teacher.get("/api/uploads", params=params), 422, "validation")


@pytest.mark.parametrize(
    ("image_id", "status", "words"),
    [
        ("1700000000000-abcdef01", 404, "There is no such image."),
        ("no such image", 422, "The image id 'no such image' is not valid"),
        ("x" * 65, 422, "is not valid: use 1 to 64 letters"),
        ("..", 404, "There is nothing at this address."),
    ],
)
def test_an_unknown_or_malformed_image_id_is_a_clear_error(
    teacher: httpx.Client, image_id: str, status: int, words: str
) -> None:
    assert words in assert_error(teacher.get(f"/api/uploads/{image_id}"), status)


def test_a_bad_file_is_refused_with_a_sentence_and_recorded_nowhere(
    api: Api, teacher: httpx.Client
) -> None:
    before = api.container.queue.depth().waiting
    refusals = [
        (teacher.post("/api/uploads", files={"file": ("empty.png", b"", "image/png")}), 422),
        (teacher.post("/api/uploads", files={"picture": ("a.png", picture(), "image/png")}), 422),
        (teacher.post("/api/uploads", json={"file": "not a form"}), 422),
        (teacher.post("/api/uploads", files={"file": ("big.png", b"0" * 2_000_001)}), 422),
        (teacher.post("/api/uploads", files={"file": ("huge.png", b"0" * 2_100_000)}), 413),
        (
            teacher.post(
                "/api/uploads",
                content=b"--x\r\nbroken",
                headers={"content-type": "multipart/form-data"},  # no boundary
            ),
            400,
        ),
    ]
    sentences = [assert_error(response, status) for response, status in refusals]
    assert sentences[:3] == [
        "The file is empty.",
        "Send the image as a multipart form field named 'file'.",
        "Send the image as a multipart form field named 'file'.",
    ]
    assert sentences[3] == "The file is 2,000,001 bytes; the largest we accept is 2,000,000 bytes."
    assert sentences[4] == "The file is larger than 2.0 MB, the largest we accept."
    assert sentences[5] == "Missing boundary in multipart."
    assert api.container.queue.depth().waiting == before


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("student", 403), ("other_teacher", 200)]
)
def test_only_teachers_upload_and_read_records(
    request: pytest.FixtureRequest, teacher: httpx.Client, who: str, status: int
) -> None:
    """Every teacher reads every record (the page is an operator's); a student none."""
    client: httpx.Client = request.getfixturevalue(who)
    image_id = upload(teacher, picture(64, 48), "class.png", "image/png")["image_id"]
    answers = [
        client.get("/api/uploads"),
        client.get(f"/api/uploads/{image_id}"),
        client.post("/api/uploads", files={"file": ("mine.png", picture(64, 48), "image/png")}),
    ]
    if status == 200:
        assert [r.status_code for r in answers] == [200, 200, 202]
        return
    for response in answers:
        assert_error(response, status)
    if status == 403:
        assert assert_error(answers[0], 403, "forbidden") == "Only teachers can do that."


@pytest.fixture(scope="module")
def store_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A second server whose object store refuses every upload, as an unavailable bucket."""
    port = free_port()
    data = tmp_path_factory.mktemp("store-down") / "data"
    settings = load_settings(
        data_dir=data, generators="offline", api_port=port, public_url=f"http://127.0.0.1:{port}"
    )
    container = build(settings, stored_objects=FlakyStore(Path(data), "uploads/", 10**9))
    container.accounts.register("teacher1", PASSWORD, Role.TEACHER)
    with running_api(container) as running:
        yield running


def test_an_unavailable_store_is_a_503_with_a_sentence_and_no_record(store_down: Api) -> None:
    """Pipeline requirement 6.4."""
    with store_down.signed_in("teacher1") as teacher:
        response = teacher.post("/api/uploads", files={"file": ("a.png", picture(), "image/png")})
        sentence = assert_error(response, 503, "unavailable")
        assert sentence == "Image storage is unavailable right now. Please try again later."
        assert response.headers["retry-after"] == "5"
        assert teacher.get("/api/uploads").json()["items"] == []
    assert store_down.container.queue.depth().waiting == 0
