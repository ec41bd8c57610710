# A teacher's assignments: the list (their own by default), and one assignment in detail,
# with its reference answers and, for its author, what can be done with it.
# (Comments, not docstrings, in page scripts: Streamlit's magic would show a string.)

from __future__ import annotations

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment
from eduportal.ui.listing import SELECTED, alt_text, assignment_list, back_to_list
from eduportal.ui.session import container, image_bytes, page
from eduportal.ui.wording import image_words, local_day, local_time, plural


def describe(item: Assignment) -> str:
    count = plural(len(item.question_answers), "question")
    return f"{count} · by {item.teacher_id} · {local_day(item.created_at)} · {image_words(item)}"


def image_details(assignment: Assignment) -> None:
    """The optimizer's figures, for whoever wants them, out of the teacher's way."""
    figures = assignment.image_metadata
    if figures is None:
        return
    with st.expander("Image details"):
        st.caption(
            f"Stored as {figures.format.upper()}, {figures.dimensions} pixels, "
            f"{figures.optimized_size_bytes:,} bytes: {figures.compression_ratio:.0%} smaller "
            f"than the {figures.original_size_bytes:,} bytes given."
        )


def detail(viewer: Account, assignment: Assignment) -> None:
    back_to_list()
    st.header(assignment.title)
    st.caption(f"By {assignment.teacher_id} · created {local_time(assignment.created_at)}")
    left, right = st.columns([2, 3])
    with left:
        st.image(image_bytes(assignment.s3_image_key), width="stretch", alt=alt_text(assignment))
        image_details(assignment)
    with right:
        st.subheader("Text")
        st.write(assignment.prompt)
        st.subheader("Questions")
        for number, qa in enumerate(assignment.question_answers, start=1):
            st.markdown(f"**{number}.** {qa.question}")
            st.caption(f"Answer: {qa.answer}")
    if viewer.username == assignment.teacher_id:
        author_actions(viewer, assignment)


def author_actions(teacher: Account, assignment: Assignment) -> None:
    st.divider()
    keep, remove = st.columns(2)
    if assignment.has_image and keep.button("Never archive this image", key="permanent"):
        container().assignments.mark_image_permanent(teacher, assignment.assignment_id)
        keep.success("This image will stay available as it is: it is never archived or removed.")
    confirm = remove.checkbox("I want to delete this assignment", key="confirm_delete")
    if remove.button("Delete", disabled=not confirm, key="delete"):
        container().assignments.delete(teacher, assignment.assignment_id)
        del st.query_params[SELECTED]
        st.session_state["show_deleted"] = assignment.title
        st.rerun()


with page("Assignments", Role.TEACHER) as teacher:
    if deleted := st.session_state.pop("show_deleted", None):
        st.success(f"“{deleted}” deleted.")
    selected = st.query_params.get(SELECTED)
    if selected:
        detail(teacher, container().assignments.get(selected))
    else:
        mine = st.toggle("Only mine", value=True, key="only_mine")
        total = assignment_list(
            teacher_id=teacher.username if mine else None,
            describe=describe,
            empty="You have no assignments yet." if mine else "There are no assignments yet.",
        )
        if total == 0:
            st.page_link("views/create.py", label="Create an assignment", icon="✏️")
