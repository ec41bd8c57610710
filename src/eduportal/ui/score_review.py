"""A teacher reviews answers: those the scorer flagged, each with its text, and any student's
score on any question they answered, changed or given back to the scorer.

Scores change in button callbacks, which Streamlit runs before the page is drawn again, so the
results table above shows the new score in the same run. The rules (who may, 0 to 100, what an
override does) are the results service's; a refusal shows its sentence.
"""

from __future__ import annotations

import streamlit as st

from eduportal.domain.accounts import Account
from eduportal.domain.assignments import QuestionAnswer
from eduportal.domain.errors import EduportalError
from eduportal.domain.grading import QuestionProgress
from eduportal.domain.results import AssignmentResults
from eduportal.observability.logging import log_error
from eduportal.ui.listing import as_written, escape_markdown
from eduportal.ui.results_table import NEEDS_A_LOOK, OVERRIDDEN, REVEALED, points
from eduportal.ui.session import container, show_error
from eduportal.ui.wording import plural, score_words

STUDENT = "review_student"
QUESTION = "review_question"
OUTCOME = "review_outcome"
"""What the last score change did: a sentence, or the service's refusal."""
HOW_IT_WORKS = (
    "Your score replaces the scorer's for the answer shown: the student sees it and the top "
    "five ranks by it. If the student later answers better, that answer's score takes over."
)


def note(flag: str) -> str:
    """ "needs a look: 'release' became 'capture'" → "'release' became 'capture'"."""
    reason = flag.removeprefix("needs a look:").strip()
    return reason[:1].upper() + reason[1:]


def answer_shown(qa: QuestionAnswer, progress: QuestionProgress) -> None:
    """The question, the student's best answer beside the reference, and the scorer's doubts."""
    st.markdown(as_written(qa.question))
    st.markdown(f"**Their answer:** {as_written(progress.answer)}")
    st.caption(f"Reference answer: {as_written(qa.answer)}")
    for flag in progress.flags:
        st.markdown(f"{NEEDS_A_LOOK} {escape_markdown(note(flag))}")


def standing(progress: QuestionProgress) -> str:
    """Where the score stands now, in words."""
    parts = [f"Now {score_words(progress.best_score or 0)}"]
    if progress.override is not None:
        parts.append(f"{OVERRIDDEN} the scorer gave {points(progress.override.scored)}")
    parts.append(plural(progress.attempts, "attempt"))
    if progress.revealed:
        parts.append(REVEALED)
    return " · ".join(parts)


def score_key(student: str, question_id: str) -> str:
    return f"review_score_{student}_{question_id}"


def choose(student: str, question_id: str) -> None:
    st.session_state[STUDENT] = student
    st.session_state[QUESTION] = question_id


def answers_to_look_at(results: AssignmentResults) -> None:
    """Every answer the scorer flagged, to read and judge, with a way to change its score."""
    numbers = {qa.id: number for number, qa in enumerate(results.questions, start=1)}
    flagged = [
        (row.student_id, qa, progress)
        for row in results.students
        for qa in results.questions
        if (progress := row.progress.get(qa.id)) is not None and progress.flags
    ]
    if not flagged:
        return
    st.subheader("Answers that need a look")
    st.caption("The scorer was unsure of these. Read each answer; keep its score or change it.")
    for student, qa, progress in flagged:
        with st.container(border=True):
            st.markdown(
                f"**{escape_markdown(student)}** · Question {numbers[qa.id]} · "
                f"{score_words(progress.best_score or 0)}"
            )
            answer_shown(qa, progress)
            st.button(
                "Change this score",
                key=f"look_{student}_{qa.id}",
                on_click=choose,
                args=(student, qa.id),
            )


def change_a_score(teacher: Account, results: AssignmentResults) -> None:
    st.subheader("Change a score")
    st.caption(HOW_IT_WORKS)
    numbers = {qa.id: number for number, qa in enumerate(results.questions, start=1)}
    rows = {row.student_id: row for row in results.students}
    left, right = st.columns(2)
    student = left.selectbox("Student", list(rows), key=STUDENT)
    row = rows[student]
    question_id = right.selectbox(
        "Question",
        list(row.progress),  # only those answered: an unanswered one has no score to change
        format_func=lambda qid: f"Question {numbers[qid]}",
        key=QUESTION,
    )
    progress = row.progress[question_id]
    qa = next(qa for qa in results.questions if qa.id == question_id)
    with st.container(border=True):
        answer_shown(qa, progress)
        st.caption(standing(progress))
    st.number_input(
        "Your score, 0 to 100",
        min_value=0,
        max_value=100,
        step=1,
        value=round(progress.best_score or 0),
        key=score_key(student, question_id),
    )
    where = (teacher, results.assignment_id, question_id, student, numbers[question_id])
    with st.container(horizontal=True):
        st.button(
            "Save score",
            type="primary",
            key="review_save",
            on_click=change,
            args=(*where, False),
        )
        st.button(
            "Clear override",
            key="review_clear",
            on_click=change,
            args=(*where, True),
            disabled=not progress.overridden,
            help="Give the answer back the scorer's score.",
        )
    outcome = st.session_state.pop(OUTCOME, None)
    if isinstance(outcome, EduportalError):
        show_error(outcome)
    elif outcome:
        st.success(outcome)


def change(
    teacher: Account,
    assignment_id: str,
    question_id: str,
    student: str,
    number: int,
    clearing: bool,
) -> None:
    """Save the teacher's score (or clear it) and say what the student now has."""
    results = container().results
    try:
        if clearing:
            after = results.clear_override(teacher, assignment_id, question_id, student)
        else:
            score = float(st.session_state.get(score_key(student, question_id)) or 0)
            after = results.override(teacher, assignment_id, question_id, student, score)
    except EduportalError as refused:
        log_error(refused)
        st.session_state[OUTCOME] = refused
        return
    now = score_words(after.best_score or 0)
    if clearing:
        st.session_state.pop(score_key(student, question_id), None)  # shows the scorer's again
        st.session_state[OUTCOME] = f"{student} is back to the scorer's {now} on question {number}."
    else:
        st.session_state[OUTCOME] = f"{student} now has {now} on question {number}."
