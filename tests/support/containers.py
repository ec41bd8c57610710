"""Portals built for tests that list the store exactly."""

from __future__ import annotations

from pathlib import Path

from eduportal.config import load_settings
from eduportal.wiring import Container, build


def without_variants(data_dir: Path) -> Container:
    """The embedded portal on `data_dir` with offline generators, without background image
    variants: those are made at moments a test's exact listing of the store cannot pin
    (tests/service/test_image_variants.py has them, reconcile and deletion included)."""
    return build(
        load_settings(
            storage="local", data_dir=data_dir, generators="offline", image_variants=False
        )
    )
