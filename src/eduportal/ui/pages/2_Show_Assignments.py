"""Browse assignments: a list with small images, and the detail of one.

The assignment shown in detail is in the address (`?assignment=ID`), so a link can open it
and the browser's back button returns to the list.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment
from eduportal.ui.session import container, image_bytes, page

PAGE_SIZE = 10
SELECTED = "assignment"  # the query parameter naming the assignment shown in detail


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def listing() -> None:
    offset = st.session_state.setdefault("show_offset", 0)
    result = container().assignments.list(limit=PAGE_SIZE, offset=offset)
    if result.total == 0:
        st.info("No assignments yet.")
        return
    st.caption(f"{result.total} assignments, newest first")
    for item in result.items:
        thumb, text, action = st.columns([1, 5, 1])
        thumb.image(image_bytes(item.s3_image_key), width=96)
        text.markdown(f"**{item.title}**")
        text.caption(
            f"{len(item.question_answers)} questions · by {item.teacher_id} · "
            f"{when(item.created_at)} · image: {item.s3_upload_status.value}"
        )
        if action.button("Open", key=f"open_{item.assignment_id}"):
            st.query_params[SELECTED] = item.assignment_id
            st.rerun()
    previous, _, following = st.columns([1, 4, 1])
    if offset > 0 and previous.button("← Newer", key="newer"):
        st.session_state["show_offset"] = max(0, offset - PAGE_SIZE)
        st.rerun()
    if offset + PAGE_SIZE < result.total and following.button("Older →", key="older"):
        st.session_state["show_offset"] = offset + PAGE_SIZE
        st.rerun()


def detail(assignment: Assignment, viewer: Account) -> None:
    if st.button("← All assignments", key="back"):
        del st.query_params[SELECTED]
        st.rerun()
    st.header(assignment.title)
    left, right = st.columns([2, 3])
    left.image(image_bytes(assignment.s3_image_key), use_container_width=True)
    if assignment.image_metadata is not None:
        figures = assignment.image_metadata
        left.caption(
            f"{figures.dimensions} {figures.format}, {figures.optimized_size_bytes:,} bytes "
            f"({figures.compression_ratio:.0%} smaller than the original)"
        )
    right.subheader("Text")
    right.write(assignment.prompt)
    right.subheader("Questions")
    is_owner = viewer.role is Role.TEACHER and viewer.username == assignment.teacher_id
    for qa in assignment.question_answers:
        right.markdown(f"**{qa.id}.** {qa.question}")
        if viewer.role is Role.TEACHER:
            right.caption(f"Answer: {qa.answer}")
    if not is_owner:
        return
    st.divider()
    keep, remove = st.columns(2)
    if assignment.has_image and keep.button("Keep the image permanently", key="permanent"):
        container().assignments.mark_image_permanent(viewer, assignment.assignment_id)
        keep.success("The image is excluded from archiving and expiry.")
    confirm = remove.checkbox("I want to delete this assignment", key="confirm_delete")
    if remove.button("Delete", disabled=not confirm, key="delete"):
        container().assignments.delete(viewer, assignment.assignment_id)
        del st.query_params[SELECTED]
        st.session_state["show_deleted"] = assignment.title
        st.rerun()


with page("Show Assignments") as account:
    assert account is not None
    if deleted := st.session_state.pop("show_deleted", None):
        st.success(f"“{deleted}” deleted.")
    selected = st.query_params.get(SELECTED)
    if selected:
        detail(container().assignments.get(selected), account)
    else:
        listing()
