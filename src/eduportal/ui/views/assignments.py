# A teacher's assignments: the list (their own by default, searchable), and one assignment in
# detail, with its reference answers and, for its author, a tab of results, and ways to edit,
# keep or delete it. Editing has its own address (`?assignment=ID&edit=1`), as does the tab.
# (Comments, not docstrings, in page scripts: Streamlit's magic would show a string.)

from __future__ import annotations

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment, ImageUpload
from eduportal.domain.images import EncodingMode, ImageFigures
from eduportal.ui.assignment_editor import confirm_saved, edit_button, edit_page, editing
from eduportal.ui.images import placeholder, show_image
from eduportal.ui.listing import (
    SELECTED,
    alt_text,
    as_written,
    assignment_list,
    back_to_list,
    escape_markdown,
    search_box,
)
from eduportal.ui.results_table import results_table
from eduportal.ui.score_review import answers_to_look_at, change_a_score
from eduportal.ui.session import container, image_bytes, page
from eduportal.ui.uploads import follow, refused_words
from eduportal.ui.wording import image_words, local_day, local_time, plural


def describe(item: Assignment) -> str:
    words = [
        plural(len(item.question_answers), "question"),
        f"by {item.teacher_id}",
        local_day(item.created_at),
        image_words(item),
    ]
    if item.subject:
        words.insert(0, escape_markdown(item.subject))
    return " · ".join(words)


def image_details(assignment: Assignment) -> None:
    """The optimizer's figures, for whoever wants them, out of the teacher's way."""
    figures = assignment.image_metadata
    if figures is None:
        return
    with st.expander("Image details"):
        st.caption(
            f"Stored as {figures.format.upper()}, {figures.dimensions} pixels, "
            f"{figures.optimized_size_bytes:,} bytes: {figures.compression_ratio:.0%} smaller "
            f"than the {figures.original_size_bytes:,} bytes given." + encoding_words(figures)
        )


def encoding_words(figures: ImageFigures) -> str:
    """How the image was encoded, for whoever wonders why it looks as it does."""
    similar = (
        f" (SSIM {figures.ssim:.4f} against the resized original; 1 is identical)"
        if figures.ssim is not None
        else ""
    )
    if figures.mode == EncodingMode.LOSSLESS:
        return " Encoded losslessly: every pixel as given."
    if figures.mode == EncodingMode.NEAR_LOSSLESS:
        return f" Encoded losslessly with its colours reduced to 256{similar}."
    if figures.quality is None:
        return ""
    chosen = ", chosen for this image" if figures.ssim is not None else ""
    return f" Encoded at WebP quality {figures.quality}{chosen}{similar}."


def byline(assignment: Assignment) -> str:
    subject = f":blue-badge[{escape_markdown(assignment.subject)}] · " if assignment.subject else ""
    return f"{subject}By {assignment.teacher_id} · created {local_time(assignment.created_at)}"


def detail(viewer: Account, assignment: Assignment) -> None:
    back_to_list()
    st.header(escape_markdown(assignment.title))
    st.caption(byline(assignment))
    if viewer.username != assignment.teacher_id:
        contents(viewer, assignment)
        return
    about, results = st.tabs(["Assignment", "Results"], key="tab", bind="query-params")
    if about.open:
        with about:
            edit_button(assignment)
            contents(viewer, assignment)
            author_actions(viewer, assignment)
    if results.open:
        with results:
            results_tab(viewer, assignment)


def contents(viewer: Account, assignment: Assignment) -> None:
    """The image (and, for its author, how their own image is getting on), the text, and
    every question with its reference answer."""
    upload = assignment.image_upload if viewer.username == assignment.teacher_id else None
    with_column = assignment.has_image or upload is not None
    left, right = st.columns([2, 3]) if with_column else (None, st.container())
    if left is not None:
        with left:
            if upload is not None:
                own_image_news(viewer, assignment, upload)
            if assignment.has_image:
                show_image(
                    image_bytes(assignment.s3_image_key),
                    placeholder=placeholder(assignment),
                    alt=alt_text(assignment),
                    key=assignment.s3_image_key,
                )
                image_details(assignment)
    with right:
        st.subheader("Text")
        st.markdown(as_written(assignment.prompt))
        st.subheader("Questions")
        for number, qa in enumerate(assignment.question_answers, start=1):
            st.markdown(f"**{number}.** {as_written(qa.question)}")
            st.caption(f"Answer: {as_written(qa.answer)}")


def own_image_news(teacher: Account, assignment: Assignment, upload: ImageUpload) -> None:
    """The author's own image on its way (followed until it is adopted), or why it was
    refused, with a way to put the sentence away."""
    if upload.pending:
        with st.container(border=True):
            follow(teacher, upload.image_id, upload.label)
            if assignment.has_image:
                st.caption("The image below stays until yours is ready.")
        return
    kept = "The image below stays." if assignment.has_image else "It has no image for now."
    st.warning(
        f"{refused_words(upload.state, upload.message or '', upload.label)} {kept} "
        "To choose another file, edit the assignment."
    )
    st.button("OK", key="dismiss_image_problem", on_click=dismiss, args=(teacher, assignment))


def dismiss(teacher: Account, assignment: Assignment) -> None:
    container().assignments.dismiss_image_problem(teacher, assignment.assignment_id)


def results_tab(teacher: Account, assignment: Assignment) -> None:
    results = container().results.results(teacher, assignment.assignment_id)
    if not results.students:
        st.info("No student has answered yet.")
        return
    results_table(results)
    answers_to_look_at(teacher, results)
    change_a_score(teacher, results)


def author_actions(teacher: Account, assignment: Assignment) -> None:
    st.divider()
    keep, remove = st.columns(2) if assignment.has_image else (None, st.container())
    if keep is not None and keep.button("Never archive this image", key="permanent"):
        container().assignments.mark_image_permanent(teacher, assignment.assignment_id)
        keep.success("This image will stay available as it is: it is never archived or removed.")
    confirm = remove.checkbox("I want to delete this assignment", key="confirm_delete")
    if remove.button("Delete", disabled=not confirm, key="delete"):
        container().assignments.delete(teacher, assignment.assignment_id)
        del st.query_params[SELECTED]
        st.session_state["show_deleted"] = assignment.title
        st.rerun()


def listing(teacher: Account) -> None:
    search, mine = st.columns([3, 1], vertical_alignment="bottom")
    with search:
        words = search_box()
    with mine:
        only_mine = st.toggle("Only mine", value=True, key="only_mine", bind="query-params")
    total = assignment_list(
        teacher_id=teacher.username if only_mine else None,
        describe=describe,
        empty="You have no assignments yet." if only_mine else "There are no assignments yet.",
        search=words,
    )
    if total == 0 and words is not None and only_mine:
        st.caption("Only your own were searched: turn off “Only mine” to search everyone's.")
    elif total == 0 and words is None:
        st.page_link("views/create.py", label="Create an assignment", icon=":material/edit_note:")


with page("Assignments", Role.TEACHER) as teacher:
    if deleted := st.session_state.pop("show_deleted", None):
        st.success(f"“{deleted}” deleted.")
    confirm_saved()
    selected = st.query_params.get(SELECTED)
    if selected:
        shown = container().assignments.get(selected)
        if editing() and teacher.username == shown.teacher_id:
            edit_page(teacher, shown)
        else:
            detail(teacher, shown)
    else:
        listing(teacher)
