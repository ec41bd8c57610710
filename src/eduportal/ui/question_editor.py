"""Questions and answers in multi-line fields, one to `MAX_QUESTIONS` of them, added or removed.

Each question on the page has a *slot*: a number that names its two fields' widget keys for as
long as it is there. Removing a question drops its slot and adding one takes a new number, so
the other fields keep what was typed in them (Streamlit knows a widget by its key, and a
position-based key would hand question 3's text to question 2). A slot also remembers the id
of the saved question it shows, which is how an edit keeps each question's answers with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from eduportal.domain.assignments import MAX_FIELD_CHARS, MAX_QUESTIONS

Slot = tuple[int, str | None]
"""(number, the saved question's id or None for a question not saved yet)."""


def _slots(prefix: str) -> list[Slot]:
    value: list[Slot] = st.session_state.setdefault(f"{prefix}_slots", [])
    return value


def question_key(prefix: str, number: int) -> str:
    return f"{prefix}_q{number}"


def answer_key(prefix: str, number: int) -> str:
    return f"{prefix}_a{number}"


def load(prefix: str, questions: list[tuple[str | None, str, str]]) -> None:
    """Put (id, question, answer) triples on the page. Only before the fields are drawn in
    this run: in a callback, or above the editor."""
    clear(prefix)
    slots = _slots(prefix)
    for number, (question_id, question, answer) in enumerate(questions):
        slots.append((number, question_id))
        st.session_state[question_key(prefix, number)] = question
        st.session_state[answer_key(prefix, number)] = answer
    st.session_state[f"{prefix}_next"] = len(questions)


def clear(prefix: str) -> None:
    for number, _ in _slots(prefix):
        st.session_state.pop(question_key(prefix, number), None)
        st.session_state.pop(answer_key(prefix, number), None)
    st.session_state[f"{prefix}_slots"] = []


def edited(prefix: str) -> list[tuple[str | None, str, str]]:
    """(id, question, answer) as the fields now hold them, in order."""
    return [
        (
            question_id,
            str(st.session_state.get(question_key(prefix, number), "")),
            str(st.session_state.get(answer_key(prefix, number), "")),
        )
        for number, question_id in _slots(prefix)
    ]


def count(prefix: str) -> int:
    return len(_slots(prefix))


def _add(prefix: str, after: Callable[[], None] | None) -> None:
    number = int(st.session_state.get(f"{prefix}_next", 0))
    st.session_state[f"{prefix}_next"] = number + 1
    _slots(prefix).append((number, None))
    if after is not None:
        after()


def _remove(prefix: str, number: int, after: Callable[[], None] | None) -> None:
    st.session_state[f"{prefix}_slots"] = [s for s in _slots(prefix) if s[0] != number]
    st.session_state.pop(question_key(prefix, number), None)
    st.session_state.pop(answer_key(prefix, number), None)
    if after is not None:
        after()


def editor(prefix: str, *, on_change: Callable[[], None] | None = None) -> None:
    """Every question with its answer, each in a field that grows with its text, a way to
    remove each (not the last) and to add one (up to the limit). `on_change` runs after
    any change: a draft saves itself there."""
    slots = _slots(prefix)
    callback: dict[str, Any] = {"on_change": on_change} if on_change is not None else {}
    for position, (number, _) in enumerate(slots, start=1):
        with st.container(border=True):
            asked, expected = st.columns([3, 2])  # side by side on a desktop, stacked on a phone
            asked.text_area(
                f"Question {position}",
                key=question_key(prefix, number),
                height="content",  # the whole question shows: nothing is cut off
                max_chars=MAX_FIELD_CHARS,
                **callback,
            )
            expected.text_area(
                f"Answer {position}",
                key=answer_key(prefix, number),
                height="content",  # the whole question shows: nothing is cut off
                max_chars=MAX_FIELD_CHARS,
                **callback,
            )
            if len(slots) > 1:
                st.button(
                    f"Remove question {position}",
                    key=f"{prefix}_remove_{number}",
                    on_click=_remove,
                    args=(prefix, number, on_change),
                )
    if len(slots) < MAX_QUESTIONS:
        st.button("Add a question", key=f"{prefix}_add", on_click=_add, args=(prefix, on_change))
