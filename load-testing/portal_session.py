"""What a Locust user does on the portal, as a browser or the REST API's client would: sign
in, create an assignment, read one and load its image, list assignments and load their
thumbnails. Each response's `Server-Timing` becomes storage entries and a CDN's `X-Cache`
cache entries (`eduportal.loadtest.measures`), beside the HTTP entries Locust keeps itself.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import deque
from typing import Any, Final

import requests
from locust import HttpUser

from classroom_texts import text_for
from eduportal.loadtest.measures import cache_outcome, storage_measures
from eduportal.loadtest.operations import (
    CACHE_TYPE,
    CREATE,
    IMAGE,
    LIST,
    LOGIN,
    STORAGE_TYPE,
    THUMBNAIL,
    VIEW,
)

TIMEOUT_SECONDS: Final = 60.0
"""A request slower than this is a failure, not a wait without end."""
LIST_PAGE: Final = 20
_lessons = itertools.count(1)


class ReportedStorageError(Exception):
    """A storage operation the API reported as failed (`desc="failure"`)."""


class Assignments:
    """The assignments users may view: a few made before the run, and the latest created
    during it. Shared by every user of the process (gevent runs them in one thread; the lock
    is for whoever runs them otherwise)."""

    def __init__(self, recent: int = 50) -> None:
        self.seeded: list[str] = []
        self._recent: deque[str] = deque(maxlen=recent)
        self._lock = threading.Lock()

    def seed(self, assignment_id: str) -> None:
        with self._lock:
            self.seeded.append(assignment_id)
            self._recent.append(assignment_id)

    def add(self, assignment_id: str) -> None:
        with self._lock:
            self._recent.append(assignment_id)

    def any_recent(self) -> str | None:
        with self._lock:
            return random.choice(self._recent) if self._recent else None

    def any_seeded(self) -> str | None:
        with self._lock:
            return random.choice(self.seeded) if self.seeded else None


ASSIGNMENTS = Assignments()


def sign_in(user: HttpUser, username: str, password: str) -> dict[str, str] | None:
    """The bearer header of a fresh session, or None (the failure is in the statistics)."""
    with user.client.post(
        "/api/login",
        json={"username": username, "password": password},
        name=LOGIN,
        timeout=TIMEOUT_SECONDS,
        catch_response=True,
    ) as response:
        token = _json(response).get("token") if response.ok else None
        if response.ok and not token:
            response.failure("signed in without a token")
    return {"Authorization": f"Bearer {token}"} if token else None


def create(user: HttpUser, teacher: dict[str, str]) -> None:
    """`POST /api/assignments` with an illustration, as a teacher does; its uploads' times
    come back in `Server-Timing`."""
    body = {"text": _next_text(), "with_image": True}
    with user.client.post(
        "/api/assignments",
        json=body,
        headers=teacher,
        name=CREATE,
        timeout=TIMEOUT_SECONDS,
        catch_response=True,
    ) as response:
        report_storage(user, response)
        created = _json(response)
        if response.status_code != 201:
            response.failure(f"{response.status_code}: {created.get('error', response.reason)}")
        elif not created.get("cloudfront_url"):
            response.failure("created without an image")
        else:
            ASSIGNMENTS.add(str(created["assignment_id"]))


def view(user: HttpUser, viewer: dict[str, str], assignment_id: str) -> None:
    """The assignment through the API, then its image from the URL the API gave, as a
    browser loads the page."""
    response = user.client.get(
        f"/api/assignments/{assignment_id}", headers=viewer, name=VIEW, timeout=TIMEOUT_SECONDS
    )
    url = _json(response).get("cloudfront_url") if response.ok else None
    if url:
        fetch_image(user, str(url), IMAGE)


def list_page(user: HttpUser, viewer: dict[str, str]) -> None:
    """The newest assignments, then each one's smallest thumbnail, as the list shows them."""
    response = user.client.get(
        "/api/assignments",
        params={"limit": LIST_PAGE},
        headers=viewer,
        name=LIST,
        timeout=TIMEOUT_SECONDS,
    )
    items: list[Any] = _json(response).get("items", []) if response.ok else []
    for item in items:
        url = thumbnail_url(item)
        if url:
            fetch_image(user, url, THUMBNAIL)


def thumbnail_url(item: dict[str, Any]) -> str | None:
    """The first (smallest) thumbnail's URL: the API lists thumbnail keys, served from the
    same place as the image, so the image's URL with the key replaced (`ImageStore.url_for`
    builds both alike)."""
    keys, url, key = (
        item.get("thumbnail_keys"),
        item.get("cloudfront_url"),
        item.get("s3_image_key"),
    )
    if not keys or not url or not key:
        return None
    base = str(url).split("?", 1)[0]
    if not base.endswith(str(key)):
        return None
    return base[: -len(str(key))] + str(keys[0])


def fetch_image(user: HttpUser, url: str, name: str) -> None:
    with user.client.get(url, name=name, timeout=TIMEOUT_SECONDS, catch_response=True) as response:
        report_storage(user, response)
        report_cache(user, response)
        if response.ok and not response.headers.get("content-type", "").startswith("image/"):
            response.failure(f"not an image: {response.headers.get('content-type')}")


def report_storage(user: HttpUser, response: requests.Response) -> None:
    """One STORAGE entry per upload or download the response reports."""
    for measure in storage_measures(response.headers.get("server-timing")):
        user.environment.events.request.fire(
            request_type=STORAGE_TYPE,
            name=measure.entry,
            response_time=measure.duration_ms,
            response_length=0,
            exception=ReportedStorageError("the API reported it failed")
            if measure.failed
            else None,
            context={},
        )


def report_cache(user: HttpUser, response: requests.Response) -> None:
    """A CACHE entry (hit or miss, timed as the image request) when a CDN said which."""
    outcome = cache_outcome(response.headers.get("x-cache"))
    if outcome is not None:
        user.environment.events.request.fire(
            request_type=CACHE_TYPE,
            name=outcome,
            response_time=response.elapsed.total_seconds() * 1000,
            response_length=len(response.content or b""),
            exception=None,
            context={},
        )


def seed_assignments(host: str, username: str, password: str, count: int) -> None:
    """A few assignments with images before the users start, so there is something to view
    from the first second; made outside the statistics (they are the setting, not the load)."""
    with requests.Session() as session:
        login = session.post(
            f"{host}/api/login",
            json={"username": username, "password": password},
            timeout=TIMEOUT_SECONDS,
        )
        login.raise_for_status()
        session.headers["Authorization"] = f"Bearer {login.json()['token']}"
        for _ in range(count):
            created = session.post(
                f"{host}/api/assignments",
                json={"text": _next_text(), "with_image": True},
                timeout=TIMEOUT_SECONDS,
            )
            created.raise_for_status()
            ASSIGNMENTS.seed(str(created.json()["assignment_id"]))


def _next_text() -> str:
    return text_for(next(_lessons))


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
