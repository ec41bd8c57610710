"""The list of assignments both roles browse, a page at a time, each opening at its address.

The assignment shown in detail is in the address (`?assignment=ID`), so a link can open it
and the browser's back button returns to the list.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from eduportal.domain.assignments import Assignment
from eduportal.ui.session import container, image_bytes
from eduportal.ui.wording import plural

PAGE_SIZE = 10
SELECTED = "assignment"
"""The query parameter naming the assignment shown in detail."""


def alt_text(assignment: Assignment) -> str:
    if not assignment.has_image:
        return "No illustration"
    return f"Illustration for “{assignment.title}”"


def open_assignment(assignment_id: str) -> None:
    st.query_params[SELECTED] = assignment_id
    st.rerun()


def back_to_list(label: str = "← All assignments") -> None:
    if st.button(label, key="back"):
        del st.query_params[SELECTED]
        st.rerun()


def assignment_list(
    *,
    teacher_id: str | None,
    describe: Callable[[Assignment], str],
    empty: str,
) -> int:
    """Newest first, `PAGE_SIZE` at a time; the filters are part of the place kept, so a
    new filter starts from its first page. Returns how many there are."""
    place = f"list_offset_{teacher_id}"
    offset = int(st.session_state.get(place, 0))
    result = container().assignments.list(limit=PAGE_SIZE, offset=offset, teacher_id=teacher_id)
    if result.total == 0:
        st.info(empty)
        return 0
    last = min(offset + PAGE_SIZE, result.total)
    shown = f" · {offset + 1} to {last} shown" if result.total > PAGE_SIZE else ""
    st.caption(f"{plural(result.total, 'assignment')}, newest first{shown}")
    for item in result.items:
        with st.container(border=True):
            thumb, text, action = st.columns([1, 5, 1], vertical_alignment="center")
            if item.has_image:
                thumb.image(image_bytes(item.s3_image_key), width=96, alt=alt_text(item))
            text.markdown(f"**{escape_markdown(item.title)}**")
            text.caption(describe(item))
            if action.button("Open", key=f"open_{item.assignment_id}"):
                open_assignment(item.assignment_id)
    newer, _, older = st.columns([1, 4, 1])
    if offset > 0 and newer.button("← Newer", key="newer"):
        st.session_state[place] = max(0, offset - PAGE_SIZE)
        st.rerun()
    if last < result.total and older.button("Older →", key="older"):
        st.session_state[place] = offset + PAGE_SIZE
        st.rerun()
    return result.total


def escape_markdown(text: str) -> str:
    """Teachers' words shown as written: `*`, `_`, `#`… are not formatting."""
    return "".join("\\" + char if char in _MARKDOWN else char for char in text)


_MARKDOWN = frozenset("\\`*_{}[]()#+-.!|<>~$")
