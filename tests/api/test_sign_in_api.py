"""Signing in over HTTP: tokens, revocation, throttling of guesses, and floods.

This module's server counts failures in a 3-second window (3 per account, 6 per address), so
the window's end can be waited for; the waits are the server's own `Retry-After`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import httpx
import pytest
from argon2 import PasswordHasher

from tests.support.api_server import Api
from tests.support.network import wait_for
from tests.support.portal_api import assert_error
from tests.support.texts import PASSWORD


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    return {
        "login_failures_per_account": 3,
        "login_failures_per_address": 6,
        "login_window_seconds": 3,
    }


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/api/login", json={"username": username, "password": password})


def test_login_gives_a_bearer_token_that_authenticates(api: Api, anonymous: httpx.Client) -> None:
    response = login(anonymous, "teacher1", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["username"], body["role"]) == ("bearer", "teacher1", "teacher")
    assert body["expires_at"] > time.time()
    with api.client(Authorization=f"Bearer {body['token']}") as client:
        assert client.get("/api/assignments").status_code == 200


def test_a_bad_login_is_401_json_with_a_sentence_and_reference(anonymous: httpx.Client) -> None:
    sentence = assert_error(login(anonymous, "student2", "nope"), 401, "unauthenticated")
    assert sentence == "The user name or password is not right."


def test_logout_revokes_the_token(api: Api) -> None:
    with api.signed_in("student1") as client:
        assert client.get("/api/assignments").status_code == 200
        assert client.post("/api/logout").status_code == 204
        assert_error(client.get("/api/assignments"), 401, "unauthenticated")


def wait_out(response: httpx.Response) -> None:
    """Sleep for the server's Retry-After: the window is the thing under test."""
    time.sleep(int(response.headers["retry-after"]))


def test_guessing_an_account_is_throttled_until_the_window_passes(api: Api) -> None:
    with api.client(source="127.0.0.2") as first, api.client(source="127.0.0.3") as second:
        for client in (first, first, second):  # the account's count spans addresses
            assert login(client, "teacher2", "guess-wrong").status_code == 401
        refused = login(second, "teacher2", PASSWORD)  # even the right password, for now
        assert "Too many failed sign-ins" in assert_error(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 3
        assert login(second, "teacher1", PASSWORD).status_code == 200  # others may sign in
        wait_out(refused)
        assert login(second, "teacher2", PASSWORD).status_code == 200


def test_one_address_guessing_many_accounts_is_throttled(api: Api) -> None:
    metrics: Any = api.container.metrics
    throttled = metrics.value("login_throttled_total", scope="address")
    with api.client(source="127.0.0.4") as client:
        statuses = [login(client, f"nobody{n}", "guess-wrong").status_code for n in range(8)]
        assert statuses[:6] == [401] * 6 and statuses[6:] == [429, 429]
        refused = login(client, "student2", PASSWORD)
        assert_error(refused, 429, "rate_limited")
        wait_out(refused)
        assert login(client, "student2", PASSWORD).status_code == 200
    assert metrics.value("login_throttled_total", scope="address") == throttled + 3


def test_a_flood_of_sign_ins_leaves_other_endpoints_responsive(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 concurrent failed sign-ins: two password checks run at once (about 92 MiB), the
    other 38 wait in the event loop without a thread, and reads of the API are answered
    meanwhile. The checks are held open until the reads are done, so nothing here depends on
    how fast this machine hashes (before the bound, 40 checks of 64 MiB held every worker
    thread for seconds)."""
    inside = 0
    peak = 0
    entered = threading.Condition()
    release = threading.Event()
    real_verify = PasswordHasher.verify

    def held_verify(hasher: PasswordHasher, hash_: str, password: str) -> bool:
        nonlocal inside, peak
        with entered:
            inside += 1
            peak = max(peak, inside)
            entered.notify_all()
        try:
            assert release.wait(60), "the test never released the password checks"
            return real_verify(hasher, hash_, password)
        finally:
            with entered:
                inside -= 1

    monkeypatch.setattr(PasswordHasher, "verify", held_verify)
    limiter: anyio.CapacityLimiter = api.app.state.sign_in_limiter
    statuses: list[int] = []

    def guess(n: int) -> None:
        with api.client(source=f"127.0.1.{n + 1}") as client:
            statuses.append(login(client, f"flood{n}", "wrong-password").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    try:
        with entered:
            assert entered.wait_for(lambda: inside >= 2, timeout=60), f"{inside} checks began"
        wait_for(
            lambda: limiter.statistics().tasks_waiting == 38 or inside > 2,
            seconds=60,
            what="38 sign-ins queued behind the two checks",
        )
        assert inside == 2
        with api.client() as reader:
            health = reader.get("/healthz")
            ready = reader.get("/readyz")  # needs a worker thread: none is parked by sign-ins
        assert health.status_code == 200 and ready.status_code == 200
        assert statuses == []  # the reads did not wait for any check
    finally:
        release.set()
        for thread in threads:
            thread.join()
    assert peak == 2
    assert statuses == [401] * 40  # each from its own address and account: all checked
