"""Browser tests wait as long as a loaded 2-core machine needs for Streamlit to redraw."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.fixture(autouse=True, scope="session")
def patient_expectations() -> None:
    """`expect` waits 5 s by default; a rerun that scores an answer can take longer while
    other tests share the cores. A real failure still fails, after 30 s."""
    expect.set_options(timeout=30_000)
