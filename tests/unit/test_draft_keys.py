"""Draft image keys: one segment per account that names no one, a new key for every write."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduportal.domain.errors import ValidationError
from eduportal.domain.keys import new_draft_image_key, validate_key

DIGEST = hashlib.sha256(b"photo").hexdigest()


@given(st.text(min_size=1, max_size=64))
def test_any_user_name_gives_a_valid_key_named_by_its_hash(username: str) -> None:
    key = new_draft_image_key(username, DIGEST)
    owner = hashlib.sha256(username.encode()).hexdigest()[:16]
    assert validate_key(key) == key
    assert re.fullmatch(rf"drafts/{owner}/{DIGEST}-[0-9a-f]{{8}}", key)


def test_every_write_gets_a_key_never_used_before() -> None:
    keys = {new_draft_image_key("teacher1", DIGEST) for _ in range(100)}
    assert len(keys) == 100


@pytest.mark.parametrize("digest", ["", DIGEST[:-1], DIGEST.upper(), "../" + DIGEST[3:]])
def test_anything_but_a_sha256_hex_digest_is_refused(digest: str) -> None:
    with pytest.raises(ValidationError):
        new_draft_image_key("teacher1", digest)
