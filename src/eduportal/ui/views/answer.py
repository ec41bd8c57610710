# A student's assignments: the list with their progress, and one assignment with every
# question in full, each with its own answer box, result and reference answer.
# (Comments, not docstrings, in page scripts: Streamlit's magic would show a string.)

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment, QuestionAnswer
from eduportal.domain.errors import EduportalError
from eduportal.domain.grading import QuestionProgress
from eduportal.observability.logging import log_error
from eduportal.ports import Suggestions
from eduportal.services.grading import AnswerResult
from eduportal.ui.images import placeholder, show_image
from eduportal.ui.listing import (
    SELECTED,
    alt_text,
    assignment_list,
    back_to_list,
    escape_markdown,
    search_box,
)
from eduportal.ui.session import container, image_bytes, page, show_error
from eduportal.ui.wording import (
    answered_words,
    best_words,
    engine_words,
    local_day,
    plural,
    score_words,
)

HOW_SCORED = (
    "Each answer is compared with your teacher's reference answer and scored from 0 "
    "(says something else) to 100 (says the same). Your own words count as much as the "
    "text's: what matters is the meaning. Changing a key word, or adding a *not*, lowers the "
    "score. Your best answer to each question is kept, and your teacher may review it."
)


NOT_ANSWERED = QuestionProgress()


def answered(progress: Mapping[str, QuestionProgress]) -> int:
    return sum(each.attempts > 0 for each in progress.values())


def describer(student: Account) -> Callable[[Assignment], str]:
    def describe(item: Assignment) -> str:
        progress = container().grading.progress_by_question(student, item.assignment_id)
        count = answered(progress)
        done = (
            f"{plural(len(progress), 'question')} · not started"
            if count == 0
            else answered_words(count, len(progress))
        )
        return f"{done} · by {item.teacher_id} · {local_day(item.created_at)}"

    return describe


def kept(assignment: Assignment, qa: QuestionAnswer) -> dict[str, Any]:
    """What the student just got for this question (result, reference), kept across the
    reruns that other questions' buttons cause."""
    value: dict[str, Any] = st.session_state.setdefault(
        f"shown_{assignment.assignment_id}_{qa.id}", {}
    )
    return value


def writing_help(answer: str, suggestions: Suggestions) -> list[str]:
    """Only help that changes a word: not the answer again with a capital or a full stop (a
    one-word answer needs neither), nor a rephrasing that just repeats the corrected answer
    ("In other words: ...")."""
    corrected, rephrased = suggestions.corrected, suggestions.rephrased
    lines = [corrected] if corrected and _words(corrected) != _words(answer) else []
    if rephrased and not (corrected and corrected in rephrased):
        lines.append(rephrased)
    return lines


def _words(text: str) -> str:
    return text.strip().rstrip(".").casefold()


def show_result(result: AnswerResult, answer: str) -> None:
    st.metric("This answer", score_words(result.score))
    if not result.counted:
        st.caption("Not counted: you had already seen the reference answer.")
    if engine := engine_words(result.engine):
        st.caption(engine)
    if help_lines := writing_help(answer, result.suggestions):
        with st.expander("Writing help on your own words"):
            st.caption(
                "Spelling and grammar only: this help does not say whether the answer is right."
            )
            for line in help_lines:
                st.markdown(f"- {line}")
    if result.leaderboard:
        with st.expander("Top five on this question"):
            st.table(
                [
                    {
                        "Place": row.rank,
                        "Student": row.student_id,
                        "Best": score_words(row.best_score),
                    }
                    for row in result.leaderboard
                ]
            )


def question_card(
    student: Account,
    assignment: Assignment,
    number: int,
    qa: QuestionAnswer,
    progress: QuestionProgress,
) -> QuestionProgress:
    """One question with its answer box; returns the progress as it stands after this run,
    which may have scored an answer."""
    grading = container().grading
    state = kept(assignment, qa)
    with st.container(border=True):
        st.markdown(f"**Question {number} of {len(assignment.question_answers)}**")
        st.markdown(qa.question)
        best = st.container()  # filled below, once this run's answer is scored
        with st.form(f"form_{qa.id}", border=False):
            answer = st.text_area("Your answer", key=f"answer_{assignment.assignment_id}_{qa.id}")
            if st.form_submit_button("Submit answer", type="primary"):
                try:
                    with st.spinner("Scoring…"):
                        state["result"] = grading.answer(
                            student, assignment.assignment_id, qa.id, answer
                        )
                    state["answer"] = answer
                    progress = grading.progress(student, assignment.assignment_id, qa.id)
                except EduportalError as error:
                    log_error(error)
                    show_error(error)
        if progress.attempts:
            best.markdown(f"**Your best:** {best_words(progress)}")
            if progress.answer and progress.answer != answer.strip():  # not twice on screen
                best.caption(f"Your best answer: {escape_markdown(progress.answer)}")
        if "result" in state:
            show_result(state["result"], state["answer"])
        reveal(student, assignment, qa, state, progress)
    return progress


SEEN = "You have seen the reference answer: new answers are scored but no longer count."


def reveal(
    student: Account,
    assignment: Assignment,
    qa: QuestionAnswer,
    state: dict[str, Any],
    progress: QuestionProgress,
) -> None:
    if "reference" in state:
        st.info(f"Reference answer: {state['reference']}")
        st.caption(SEEN)
        return
    if st.button(
        "Show the reference answer again" if progress.revealed else "Show the reference answer",
        key=f"reveal_{qa.id}",
        disabled=not progress.attempts,
        help="After you see it, new answers to this question are scored but no longer count.",
    ):
        state["reference"] = container().grading.reveal(student, assignment.assignment_id, qa.id)
        st.rerun()
    if progress.revealed:
        st.caption(SEEN)
    elif progress.attempts:
        st.caption(
            "Seeing the reference answer stops further answers to this question from counting."
        )
    else:
        st.caption("Answer once to unlock the reference answer.")


def detail(student: Account, assignment: Assignment) -> None:
    back_to_list()
    st.header(assignment.title)
    summary = st.empty()  # filled last: an answer scored below changes it
    left, right = st.columns([2, 3]) if assignment.has_image else (None, st.container())
    if left is not None:
        with left:
            show_image(
                image_bytes(assignment.s3_image_key),
                placeholder=placeholder(assignment),
                alt=alt_text(assignment),
                key=assignment.s3_image_key,
            )
    with right:
        st.write(assignment.prompt)
        with st.expander("How answers are scored"):
            st.write(HOW_SCORED)
    found = container().grading.progress_by_question(student, assignment.assignment_id)
    progress: dict[str, QuestionProgress] = {}
    for number, qa in enumerate(assignment.question_answers, start=1):
        # read apart from the assignment: a question an edit just added has no entry
        before = found.get(qa.id, NOT_ANSWERED)
        progress[qa.id] = question_card(student, assignment, number, qa, before)
    summary.markdown(f"**{answered_words(answered(progress), len(progress))}**")


with page("Assignments", Role.STUDENT) as student:
    selected = st.query_params.get(SELECTED)
    if selected:
        detail(student, container().assignments.get(selected))
    else:
        assignment_list(
            teacher_id=None,
            describe=describer(student),
            empty="There are no assignments yet.",
            search=search_box(),
        )
