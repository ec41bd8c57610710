"""Helpers for the Streamlit pages run by `AppTest` (tests/ui): what a page wrote, what it
handed to Streamlit, a saved assignment to open, a question's submit button."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import streamlit
from streamlit.delta_generator import DeltaGenerator

from tests.support.texts import PASSWORD, TEXT

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

    from eduportal.wiring import Container

TEXT_TITLE = "The mitochondrion is the powerhouse of the cell"
"""The title proposed from `TEXT`."""


def texts(app: object) -> str:
    """Everything the page wrote, in one string, for assertions on what a user reads."""
    parts = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "metric"):
        for element in getattr(app, kind, []):
            parts.append(str(getattr(element, "value", "")))
            parts.append(str(getattr(element, "label", "")))
    return "\n".join(parts)


def handed_to(
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    pick: Callable[[tuple[Any, ...], dict[str, Any]], Any],
) -> list[Any]:
    """What the pages hand to `st.<command>` (or a column's `.<command>`), as `pick` takes it
    from the call's arguments, in order: a page run's element tree keeps only a media URL for
    an image or a download, not the bytes behind it."""
    handed: list[Any] = []
    method = getattr(DeltaGenerator, command)
    function = getattr(streamlit, command)

    def on_a_container(self: DeltaGenerator, *args: Any, **kwargs: Any) -> Any:
        handed.append(pick(args, kwargs))
        return method(self, *args, **kwargs)

    def on_the_page(*args: Any, **kwargs: Any) -> Any:
        handed.append(pick(args, kwargs))
        return function(*args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, command, on_a_container)
    monkeypatch.setattr(streamlit, command, on_the_page)
    return handed


def make_assignment(
    container: Container,
    with_image: bool = True,
    text: str = TEXT,
    teacher: str = "teacher1",
    **fields: Any,
) -> str:
    """An assignment saved by `teacher` from `text` (`fields`: title, subject); its id."""
    account = container.accounts.login(teacher, PASSWORD).account
    return container.assignments.create_from_text(
        account, text, with_image=with_image, **fields
    ).assignment_id


def submit(app: AppTest, question_id: str) -> None:
    """The submit button of the question's own form."""
    form = next(
        block for block in app.get("form") if block.proto.form.form_id == f"form_{question_id}"
    )
    form.button[0].click().run()
