"""Helpers for the Streamlit pages run by `AppTest` (tests/ui): what a page wrote, a saved
assignment to open, a question's submit button."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.texts import PASSWORD, TEXT

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

    from eduportal.wiring import Container


def texts(app: object) -> str:
    """Everything the page wrote, in one string, for assertions on what a user reads."""
    parts = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "metric"):
        for element in getattr(app, kind, []):
            parts.append(str(getattr(element, "value", "")))
            parts.append(str(getattr(element, "label", "")))
    return "\n".join(parts)


def make_assignment(
    container: Container, with_image: bool = True, text: str = TEXT, teacher: str = "teacher1"
) -> str:
    """An assignment saved by `teacher` from `text`; its id."""
    account = container.accounts.login(teacher, PASSWORD).account
    return container.assignments.create_from_text(
        account, text, with_image=with_image
    ).assignment_id


def submit(app: AppTest, question_id: str) -> None:
    """The submit button of the question's own form."""
    form = next(
        block for block in app.get("form") if block.proto.form.form_id == f"form_{question_id}"
    )
    form.button[0].click().run()
