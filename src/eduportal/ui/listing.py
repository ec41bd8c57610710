"""The list of assignments both roles browse, a page at a time, each opening at its address.

The assignment shown in detail is in the address (`?assignment=ID`), so a link can open it
and the browser's back button returns to the list. So is a search (`?search=...`): a refresh,
or coming back from an assignment, finds the list as it was left.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from eduportal.domain.assignments import Assignment
from eduportal.domain.errors import ValidationError
from eduportal.ui.images import placeholder, show_image
from eduportal.ui.session import container, show_error
from eduportal.ui.wording import plural

PAGE_SIZE = 10
SELECTED = "assignment"
"""The query parameter naming the assignment shown in detail."""
SEARCH = "search"
"""The search box's key, and the query parameter it is kept in."""


THUMBNAIL_WIDTH = 96
"""CSS pixels of a list row's image."""


def thumbnail_bytes(assignment: Assignment, width: int) -> bytes:
    """The smallest thumbnail sharp at `width` (`Assignment.thumbnail_for`), so a list loads
    kilobytes per row, not whole illustrations; the image itself when it has none or the
    thumbnail is missing, and the placeholder when that is missing too."""
    images = container().image_store
    key = assignment.thumbnail_for(width)
    content = images.read(key)
    if content.is_placeholder and key != assignment.s3_image_key:
        content = images.read(assignment.s3_image_key)
    return content.data


def alt_text(assignment: Assignment) -> str:
    """The image's description as described or written (`Assignment.image_alt`); images
    stored before descriptions existed are named by the assignment's title."""
    if not assignment.has_image:
        return "No illustration"
    return assignment.image_alt or f"Illustration for “{assignment.title}”"


def open_assignment(assignment_id: str) -> None:
    st.query_params[SELECTED] = assignment_id
    st.rerun()


def back_to_list(label: str = "← All assignments") -> None:
    if st.button(label, key="back"):
        del st.query_params[SELECTED]
        st.rerun()


def search_box() -> str | None:
    """What to look for in titles, subjects and texts, trimmed; None when the box is empty."""
    typed = st.text_input(
        "Search",
        key=SEARCH,
        type="search",
        bind="query-params",
        placeholder="Words from a title, subject or text",
    )
    return typed.strip() or None


def assignment_list(
    *,
    teacher_id: str | None,
    describe: Callable[[Assignment], str],
    empty: str,
    search: str | None = None,
) -> int | None:
    """Newest first, `PAGE_SIZE` at a time, only those matching `search` when given; the
    filters are part of the place kept, so a new filter starts from its first page.

    Returns how many there are, or None when the service refused the search (too long): its
    sentence is shown as a warning, in the list's place."""
    place = f"list_offset_{teacher_id}_{search}"
    offset = int(st.session_state.get(place, 0))
    try:
        result = container().assignments.list(
            limit=PAGE_SIZE, offset=offset, teacher_id=teacher_id, search=search
        )
    except ValidationError as refused:
        show_error(refused)
        return None
    if result.total == 0:
        st.info(empty if search is None else f"No assignment matches {quoted(search)}.")
        return 0
    last = min(offset + PAGE_SIZE, result.total)
    shown = f" · {offset + 1} to {last} shown" if result.total > PAGE_SIZE else ""
    st.caption(f"{count_words(result.total, search)}, newest first{shown}")
    for item in result.items:
        with st.container(border=True):
            if item.has_image:
                thumb, text, action = st.columns([1, 5, 1], vertical_alignment="center")
                # Stretched in a container of the row image's width: given a width in
                # pixels, st.image would shrink the thumbnail to exactly that many, blurred
                # on a dense screen; this way the browser gets the thumbnail itself.
                with thumb.container(width=THUMBNAIL_WIDTH):
                    small = thumbnail_bytes(item, THUMBNAIL_WIDTH)
                    show_image(
                        small,
                        placeholder=placeholder(item),
                        alt=alt_text(item),
                        key=f"list/{item.assignment_id}",
                    )
            else:  # no empty column: on a phone it would stack into a gap above the title
                text, action = st.columns([6, 1], vertical_alignment="center")
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


def count_words(total: int, search: str | None) -> str:
    """ "3 assignments", or with a search "1 assignment matches “cell”"."""
    found = plural(total, "assignment")
    if search is None:
        return found
    return f"{found} {'matches' if total == 1 else 'match'} {quoted(search)}"


def quoted(words: str) -> str:
    """A user's words in quotes, shown as typed."""
    return f"“{escape_markdown(words)}”"


def as_written(text: str) -> str:
    """A teacher's or student's text shown as typed: no formatting, line breaks kept."""
    return "  \n".join(escape_markdown(line) for line in text.splitlines())


def escape_markdown(text: str) -> str:
    """Teachers' words shown as written: `*`, `_`, `#`… are not formatting."""
    return "".join("\\" + char if char in _MARKDOWN else char for char in text)


_MARKDOWN = frozenset("\\`*_{}[]()#+-.!|<>~$")
